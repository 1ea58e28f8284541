package io.hookrelay.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/** The audit log: one row per action an operator may need to explain later. Never holds secrets or payloads. */
public final class AuditRepository {

  public Future<Void> record(SqlClient client, String action, UUID subscriptionId, UUID deliveryId, UUID messageId,
      JsonObject details) {
    return client.preparedQuery("INSERT INTO audit_log (action, subscription_id, delivery_id, message_id, details) "
            + "VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(action, subscriptionId, deliveryId, messageId, details))
        .mapEmpty();
  }

  public Future<JsonArray> recent(SqlClient client, int limit) {
    return client.preparedQuery("SELECT id, at, action, subscription_id, delivery_id, message_id, details FROM audit_log "
            + "ORDER BY at DESC, id DESC LIMIT $1")
        .execute(Tuple.of(limit))
        .map(rows -> {
          JsonArray out = new JsonArray();
          rows.forEach(r -> out.add(new JsonObject()
              .put("id", r.getLong("id"))
              .put("at", Times.iso(r.getOffsetDateTime("at")))
              .put("action", r.getString("action"))
              .put("subscription_id", str(r.getUUID("subscription_id")))
              .put("delivery_id", str(r.getUUID("delivery_id")))
              .put("message_id", str(r.getUUID("message_id")))
              .put("details", r.getJsonObject("details"))));
          return out;
        });
  }

  private static String str(UUID id) {
    return id == null ? null : id.toString();
  }
}
