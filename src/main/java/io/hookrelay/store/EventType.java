package io.hookrelay.store;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.OffsetDateTime;

/**
 * An entry of the event-type catalogue (global, shared by every tenant): its name, what it means, the JSON Schema its
 * payloads must meet (null: any JSON), an example payload, and whether producers should stop sending it.
 */
public record EventType(String name, String description, JsonObject schema, Object example, boolean deprecated,
    OffsetDateTime createdAt, OffsetDateTime updatedAt) {

  static EventType from(Row row) {
    return new EventType(row.getString("name"), row.getString("description"), row.getJsonObject("schema"),
        row.getJson("example"), row.getBoolean("deprecated"), row.getOffsetDateTime("created_at"),
        row.getOffsetDateTime("updated_at"));
  }

  public boolean hasExample() {
    return example != null;
  }

  public JsonObject toJson() {
    return new JsonObject()
        .put("name", name)
        .put("description", description)
        .put("schema", schema)
        .put("example", example)
        .put("deprecated", deprecated)
        .put("created_at", Times.iso(createdAt))
        .put("updated_at", Times.iso(updatedAt));
  }
}
