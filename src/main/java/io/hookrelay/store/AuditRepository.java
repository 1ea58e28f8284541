package io.hookrelay.store;

import io.hookrelay.tenant.Scope;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/**
 * The audit log: one row per action an operator may need to explain later, with who acted (the scope's principal,
 * by a non-secret id) and for which tenant. Never holds secrets or payloads.
 */
public final class AuditRepository {

  public Future<Void> record(SqlClient client, Scope scope, UUID tenantId, String action, UUID subscriptionId,
      UUID deliveryId, UUID messageId, JsonObject details) {
    return client.preparedQuery("INSERT INTO audit_log (action, subscription_id, delivery_id, message_id, details, "
            + "actor, tenant_id) VALUES ($1, $2, $3, $4, $5, $6, $7)")
        .execute(Tuple.of(action, subscriptionId, deliveryId, messageId, details, scope.actor(), tenantId))
        .mapEmpty();
  }

  /** The newest rows the scope reaches. */
  public Future<JsonArray> recent(SqlClient client, Scope scope, int limit) {
    return client.preparedQuery("SELECT id, at, action, actor, tenant_id, subscription_id, delivery_id, message_id, "
            + "details FROM audit_log WHERE ($1::uuid IS NULL OR tenant_id = $1) ORDER BY at DESC, id DESC LIMIT $2")
        .execute(Tuple.of(scope.filter(), limit))
        .map(rows -> {
          JsonArray out = new JsonArray();
          rows.forEach(r -> out.add(new JsonObject()
              .put("id", r.getLong("id"))
              .put("at", Times.iso(r.getOffsetDateTime("at")))
              .put("action", r.getString("action"))
              .put("actor", r.getString("actor"))
              .put("tenant_id", str(r.getUUID("tenant_id")))
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
