package io.hookrelay.tenant;

import io.hookrelay.store.Times;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * One customer of the platform: its id, its uid (the platform's own key for it, usable wherever the id is), a name,
 * a small metadata object, optional limits and timestamps.
 */
public record Tenant(UUID id, String uid, String name, JsonObject metadata, Integer maxSubscriptions,
    Integer ingestRatePerS, String status, OffsetDateTime createdAt, OffsetDateTime updatedAt) {

  public static final String ACTIVE = "active";
  public static final String DELETING = "deleting";

  static final String COLUMNS = "id, uid, name, metadata, max_subscriptions, ingest_rate_per_s, status, created_at, "
      + "updated_at";

  static Tenant from(Row r) {
    return new Tenant(r.getUUID("id"), r.getString("uid"), r.getString("name"), (JsonObject) r.getJson("metadata"),
        r.getInteger("max_subscriptions"), r.getInteger("ingest_rate_per_s"), r.getString("status"),
        r.getOffsetDateTime("created_at"), r.getOffsetDateTime("updated_at"));
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("uid", uid)
        .put("name", name)
        .put("metadata", metadata == null ? new JsonObject() : metadata)
        .put("limits", new JsonObject().put("max_subscriptions", maxSubscriptions)
            .put("ingest_rate_per_s", ingestRatePerS))
        .put("created_at", Times.iso(createdAt))
        .put("updated_at", Times.iso(updatedAt));
  }
}
