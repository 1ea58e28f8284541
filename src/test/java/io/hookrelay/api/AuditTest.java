package io.hookrelay.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.Await;
import io.hookrelay.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The audit log explains what happened: subscriptions created, duplicates dropped, idempotency conflicts refused. */
class AuditTest {
  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of("HOOKRELAY_ROLES", "api"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  /** Waits for an audit row with this action and a field equal to the value. */
  private static JsonObject awaitAuditRow(String action, String field, String value) {
    JsonArray found = Await.value(Duration.ofSeconds(20), action + " in /audit", () -> {
      TestNode.Response r = node.get("/audit?limit=1000");
      assertThat(r.status()).isEqualTo(200);
      JsonArray rows = new JsonArray();
      r.array().forEach(o -> {
        JsonObject row = (JsonObject) o;
        if (action.equals(row.getString("action")) && value.equals(field(row, field))) {
          rows.add(row);
        }
      });
      return rows;
    }, rows -> !rows.isEmpty());
    return found.getJsonObject(0);
  }

  private static String field(JsonObject row, String field) {
    return field.startsWith("details.") ? row.getJsonObject("details").getString(field.substring(8)) : row.getString(field);
  }

  @Test
  void creatingASubscriptionIsAudited() {
    String id = node.subscribe("https://hooks.example.com/in", null).getString("id");
    JsonObject row = awaitAuditRow("subscription_created", "subscription_id", id);
    assertThat(row.getString("at")).isNotBlank();
    assertThat(row.encode()).doesNotContain("whsec_");
  }

  @Test
  void aDuplicateIngestIsAudited() {
    String id = node.subscribe("https://hooks.example.com/in", null).getString("id");
    String key = "audit-dup-" + UUID.randomUUID();
    node.post("/ingest/" + id, new JsonObject().put("n", 1), Map.of("Idempotency-Key", key));
    assertThat(node.post("/ingest/" + id, new JsonObject().put("n", 1), Map.of("Idempotency-Key", key)).status())
        .isEqualTo(200);

    JsonObject row = awaitAuditRow("event_deduplicated", "details.idempotency_key", key);
    assertThat(row.getString("message_id")).isNotBlank();
  }

  @Test
  void anIdempotencyConflictIsAudited() {
    String id = node.subscribe("https://hooks.example.com/in", null).getString("id");
    String key = "audit-conflict-" + UUID.randomUUID();
    node.post("/ingest/" + id, new JsonObject().put("n", 1), Map.of("Idempotency-Key", key));
    assertThat(node.post("/ingest/" + id, new JsonObject().put("n", 2), Map.of("Idempotency-Key", key)).status())
        .isEqualTo(409);

    awaitAuditRow("idempotency_conflict", "details.idempotency_key", key);
  }
}
