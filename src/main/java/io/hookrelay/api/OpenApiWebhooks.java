package io.hookrelay.api;

import io.hookrelay.store.EventType;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The OpenAPI document as served: the one in the jar, plus an OpenAPI 3.1 {@code webhooks} entry per event type
 * (what hookrelay POSTs to receivers: the type's schema and example), so that receivers can generate types from it.
 */
final class OpenApiWebhooks {
  private static final JsonObject DOCUMENT = load();

  private OpenApiWebhooks() {}

  static JsonObject document(List<EventType> types) {
    JsonObject doc = DOCUMENT.copy();
    if (types.isEmpty()) {
      return doc;
    }
    JsonObject webhooks = new JsonObject();
    for (EventType t : types) {
      webhooks.put(t.name(), new JsonObject().put("post", operation(t)));
    }
    return doc.put("webhooks", webhooks);
  }

  private static JsonObject operation(EventType t) {
    JsonObject media = new JsonObject().put("schema", schema(t));
    if (t.example() != null) {
      media.put("example", t.example());
    }
    JsonObject op = new JsonObject()
        .put("operationId", "webhook_" + t.name().replaceAll("[^A-Za-z0-9_]", "_"))
        .put("summary", t.description() != null ? t.description() : "The " + t.name() + " event")
        .put("description", "What hookrelay POSTs to a subscription's target_url for an event of type `" + t.name()
            + "` (also in the X-Event-Type header), signed per Standard Webhooks (webhook-id, webhook-timestamp, "
            + "webhook-signature) with the attempt number in X-Webhook-Attempt.")
        .put("tags", new JsonArray().add("webhooks"))
        .put("security", new JsonArray())
        .put("requestBody", new JsonObject().put("required", true)
            .put("content", new JsonObject().put("application/json", media)))
        .put("responses", new JsonObject().put("2XX", new JsonObject()
            .put("description", "Received; any other answer (or none in time) is retried")));
    if (t.deprecated()) {
      op.put("deprecated", true);
    }
    return op;
  }

  /**
   * The type's schema with an {@code $id} of its own, so that its internal {@code $ref}s ("#/$defs/…") resolve
   * against the schema, not against this document; no schema: any JSON.
   */
  private static JsonObject schema(EventType t) {
    if (t.schema() == null) {
      return new JsonObject();
    }
    JsonObject schema = t.schema().copy();
    if (!schema.containsKey("$id")) {
      schema.put("$id", "urn:hookrelay:event-type:" + t.name());
    }
    return schema;
  }

  private static JsonObject load() {
    try (InputStream in = OpenApiWebhooks.class.getClassLoader().getResourceAsStream("openapi.json")) {
      if (in == null) {
        throw new IllegalStateException("openapi.json is missing from the classpath");
      }
      return new JsonObject(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
