package io.hookrelay.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.embedded.EmbeddedPostgres;
import io.hookrelay.testing.Await;
import io.hookrelay.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Ingest as a producer sees it: 202 only for what was stored, every error status of the contract, idempotency
 * (also under concurrent duplicates), fan-out, backpressure, and a 503 when PostgreSQL is gone.
 */
class IngestApiTest {
  private static final String TARGET = "https://hooks.example.com/in";
  private static final int MAX_BODY = 2048;

  /** API only: nothing is delivered, so every webhook stays where ingest put it. */
  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of("HOOKRELAY_ROLES", "api", "HOOKRELAY_MAX_BODY_BYTES", Integer.toString(MAX_BODY)));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static String subscription(JsonArray events) {
    return node.subscribe(TARGET, events == null ? null : new JsonObject().put("events", events)).getString("id");
  }

  private static TestNode.Response ingest(String id, String body, Map<String, String> headers) {
    return node.send("POST", "/ingest/" + id, body, headers);
  }

  private static void assertError(TestNode.Response r, int status, String code) {
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.json().getString("error")).isEqualTo(code);
    assertThat(r.json().getString("detail")).isNotBlank();
  }

  // --- the happy path ---

  @Test
  void ingestAnswers202AndTheStatusIsReadableRightAway() {
    String id = subscription(null);
    TestNode.Response r = ingest(id, "{\"order_id\":1}", Map.of("X-Event-Type", "order.created"));

    assertThat(r.status()).as(r.toString()).isEqualTo(202);
    String webhookId = r.json().getString("webhook_id");
    assertThat(r.json().containsKey("status")).isFalse();
    TestNode.Response status = node.get("/status/" + webhookId);
    assertThat(status.status()).as(status.toString()).isEqualTo(200);
    assertThat(status.json().getString("webhook_id")).isEqualTo(webhookId);
    assertThat(status.json().getString("subscription_id")).isEqualTo(id);
    assertThat(status.json().getString("event_type")).isEqualTo("order.created");
    assertThat(status.json().getString("status")).isIn("pending", "delivering", "retrying", "succeeded", "failed");
  }

  @Test
  void thePayloadIsStoredByteForByte() {
    String id = subscription(null);
    String body = "{ \"b\" : 2,\n  \"a\":[1, 2.50] }";
    String webhookId = ingest(id, body, Map.of()).json().getString("webhook_id");

    assertThat(node.count("SELECT count(*) FROM messages m JOIN deliveries d ON d.message_id = m.id WHERE d.id = '"
        + webhookId + "' AND m.payload = convert_to('" + body.replace("'", "''") + "', 'UTF8')")).isEqualTo(1);
  }

  @Test
  void anObjectOrAnArrayIsAccepted() {
    String id = subscription(null);
    for (String body : List.of("{}", "[1,2,3]", "[]")) {
      assertThat(ingest(id, body, Map.of()).status()).as(body).isEqualTo(202);
    }
  }

  @Test
  void aBareJsonScalarIs422() {
    String id = subscription(null);
    for (String body : List.of("\"text\"", "42", "true", "null")) {
      assertError(ingest(id, body, Map.of()), 422, "validation_failed");
    }
  }

  @Test
  void anEventTypeNoFilterCouldMatchIs422() {
    String id = subscription(null);
    TestNode.Response r = ingest(id, "{}", Map.of("X-Event-Type", "order created!!"));
    assertError(r, 422, "validation_failed");
    assertThat(r.json().getString("detail")).contains("X-Event-Type");
    assertError(node.post("/events", new JsonObject().put("event_type", "order created!!")
        .put("payload", new JsonObject())), 422, "validation_failed");
    assertThat(ingest(id, "{}", Map.of("X-Event-Type", "shop:order.created_v2-eu")).status()).isEqualTo(202);
  }

  // --- errors ---

  @Test
  void invalidJsonIs400() {
    assertError(ingest(subscription(null), "{\"order_id\": ", Map.of()), 400, "invalid_json");
  }

  @Test
  void anEmptyBodyIs400() {
    assertError(ingest(subscription(null), "", Map.of("Content-Type", "application/json")), 400, "invalid_json");
    assertError(node.send("POST", "/ingest/" + subscription(null), null, Map.of()), 400, "invalid_json");
  }

  @Test
  void aNonJsonContentTypeIs415() {
    String id = subscription(null);
    assertError(ingest(id, "{\"a\":1}", Map.of("Content-Type", "text/plain")), 415, "unsupported_media_type");
    assertError(ingest(id, "a=1", Map.of("Content-Type", "application/x-www-form-urlencoded")), 415,
        "unsupported_media_type");
  }

  @Test
  void anUnknownSubscriptionIs404() {
    assertError(ingest(UUID.randomUUID().toString(), "{}", Map.of()), 404, "not_found");
    assertError(ingest("not-a-uuid", "{}", Map.of()), 404, "not_found");
  }

  @Test
  void aBodyOverTheLimitIs413AndNothingIsStored() {
    String id = subscription(null);
    long before = node.count("SELECT count(*) FROM messages");
    String big = "{\"pad\":\"" + "x".repeat(MAX_BODY) + "\"}";

    assertError(ingest(id, big, Map.of()), 413, "payload_too_large");
    assertThat(node.count("SELECT count(*) FROM messages")).isEqualTo(before);
  }

  @Test
  void aBodyJustUnderTheLimitIsAccepted() {
    String body = "{\"pad\":\"" + "x".repeat(MAX_BODY - 20) + "\"}";
    assertThat(ingest(subscription(null), body, Map.of()).status()).isEqualTo(202);
  }

  @Test
  void anOverlongEventTypeOrIdempotencyKeyIs400() {
    String id = subscription(null);
    String tooLong = "x".repeat(IngestRoutes.MAX_HEADER_VALUE + 1);
    assertError(ingest(id, "{}", Map.of("X-Event-Type", tooLong)), 400, "invalid_header");
    assertError(ingest(id, "{}", Map.of("Idempotency-Key", tooLong)), 400, "invalid_header");
  }

  @Test
  void theStatusOfAnUnknownOrMalformedWebhookIdIs404() {
    assertError(node.get("/status/" + UUID.randomUUID()), 404, "not_found");
    assertError(node.get("/status/nope"), 404, "not_found");
  }

  // --- event filters ---

  @Test
  void anEventOutsideAWildcardFilterIsFiltered() {
    String id = subscription(new JsonArray().add("order.*"));

    TestNode.Response matching = ingest(id, "{}", Map.of("X-Event-Type", "order.shipped"));
    TestNode.Response other = ingest(id, "{}", Map.of("X-Event-Type", "invoice.paid"));

    assertThat(matching.status()).isEqualTo(202);
    assertThat(matching.json().containsKey("status")).isFalse();
    assertThat(other.status()).isEqualTo(202);
    assertThat(other.json().getString("status")).isEqualTo("filtered");
    assertThat(node.get("/status/" + other.json().getString("webhook_id")).json().getString("status"))
        .isEqualTo("filtered");
  }

  @Test
  void anEventOutsideAnExactFilterIsFiltered() {
    String id = subscription(new JsonArray().add("invoice.paid"));

    assertThat(ingest(id, "{}", Map.of("X-Event-Type", "invoice.paid")).json().containsKey("status")).isFalse();
    assertThat(ingest(id, "{}", Map.of("X-Event-Type", "invoice.paid.late")).json().getString("status"))
        .isEqualTo("filtered");
    assertThat(ingest(id, "{}", Map.of("X-Event-Type", "invoice")).json().getString("status")).isEqualTo("filtered");
  }

  @Test
  void anEventWithoutATypeIsFilteredByAnyFilter() {
    String id = subscription(new JsonArray().add("order.*"));
    assertThat(ingest(id, "{}", Map.of()).json().getString("status")).isEqualTo("filtered");
  }

  @Test
  void aFilteredWebhookIsNotQueued() {
    String id = subscription(new JsonArray().add("order.*"));
    String webhookId = ingest(id, "{}", Map.of("X-Event-Type", "user.created")).json().getString("webhook_id");
    assertThat(node.count("SELECT count(*) FROM deliveries WHERE id = '" + webhookId
        + "' AND status = 'filtered' AND next_attempt_at IS NULL")).isEqualTo(1);
  }

  @Test
  void ingestFollowsAChangeToTheSubscriptionAtOnce() {
    String id = subscription(null);
    assertThat(ingest(id, "{}", Map.of("X-Event-Type", "order.created")).json().containsKey("status")).isFalse();

    node.patch("/subscriptions/" + id, new JsonObject().put("events", new JsonArray().add("invoice.*")));
    assertThat(ingest(id, "{}", Map.of("X-Event-Type", "order.created")).json().getString("status"))
        .isEqualTo("filtered");

    node.patch("/subscriptions/" + id, new JsonObject().put("status", "disabled"));
    assertThat(ingest(id, "{}", Map.of("X-Event-Type", "invoice.sent")).json().getString("status"))
        .isEqualTo("held");

    node.delete("/subscriptions/" + id);
    assertError(ingest(id, "{}", Map.of()), 404, "not_found");
  }

  // --- idempotency ---

  @Test
  void theSameKeyAndPayloadIsADuplicateThatStoresNothingNew() {
    String id = subscription(null);
    Map<String, String> key = Map.of("Idempotency-Key", "dup-" + UUID.randomUUID());
    TestNode.Response first = ingest(id, "{\"n\":1}", key);
    long messages = node.count("SELECT count(*) FROM messages");
    long deliveries = node.count("SELECT count(*) FROM deliveries");

    TestNode.Response again = ingest(id, "{\"n\":1}", key);

    assertThat(first.status()).isEqualTo(202);
    assertThat(again.status()).as(again.toString()).isEqualTo(200);
    assertThat(again.json().getBoolean("duplicate")).isTrue();
    assertThat(again.json().getString("webhook_id")).isEqualTo(first.json().getString("webhook_id"));
    assertThat(node.count("SELECT count(*) FROM messages")).isEqualTo(messages);
    assertThat(node.count("SELECT count(*) FROM deliveries")).isEqualTo(deliveries);
  }

  @Test
  void theSameKeyWithAnotherPayloadIs409() {
    String id = subscription(null);
    Map<String, String> key = Map.of("Idempotency-Key", "conflict-" + UUID.randomUUID());
    assertThat(ingest(id, "{\"n\":1}", key).status()).isEqualTo(202);
    long messages = node.count("SELECT count(*) FROM messages");

    assertError(ingest(id, "{\"n\":2}", key), 409, "idempotency_conflict");
    assertThat(node.count("SELECT count(*) FROM messages")).isEqualTo(messages);
  }

  @Test
  void twentyConcurrentRequestsWithTheSameKeyStoreExactlyOneMessage() throws Exception {
    String id = subscription(null);
    String key = "concurrent-" + UUID.randomUUID();
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      HttpRequest request = HttpRequest.newBuilder(URI.create(node.baseUrl + "/ingest/" + id))
          .timeout(Duration.ofSeconds(30))
          .header("Authorization", "Bearer " + TestNode.API_KEY)
          .header("Content-Type", "application/json")
          .header("Idempotency-Key", key)
          .POST(HttpRequest.BodyPublishers.ofString("{\"same\":true}"))
          .build();
      calls.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
    }
    CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

    List<Integer> statuses = calls.stream().map(c -> c.join().statusCode()).toList();
    Set<String> webhookIds = new HashSet<>();
    calls.forEach(c -> webhookIds.add(new JsonObject(c.join().body()).getString("webhook_id")));
    assertThat(statuses).as("one 202, the rest duplicates").containsOnly(202, 200);
    assertThat(statuses.stream().filter(s -> s == 202).count()).isEqualTo(1);
    assertThat(webhookIds).hasSize(1);
    assertThat(node.count("SELECT count(*) FROM messages WHERE idempotency_key = '" + key + "'")).isEqualTo(1);
    assertThat(node.count("SELECT count(*) FROM deliveries WHERE subscription_id = '" + id + "'")).isEqualTo(1);
  }

  @Test
  void theSameKeyOnTwoSubscriptionsIsTwoWebhooks() {
    Map<String, String> key = Map.of("Idempotency-Key", "scoped-" + UUID.randomUUID());
    TestNode.Response a = ingest(subscription(null), "{\"n\":1}", key);
    TestNode.Response b = ingest(subscription(null), "{\"n\":1}", key);

    assertThat(a.status()).isEqualTo(202);
    assertThat(b.status()).as(b.toString()).isEqualTo(202);
    assertThat(b.json().getString("webhook_id")).isNotEqualTo(a.json().getString("webhook_id"));
  }

  // --- POST /events ---

  @Test
  void eventsRefusesAMissingEventType() {
    assertError(node.post("/events", new JsonObject().put("payload", new JsonObject())), 422, "validation_failed");
    assertError(node.post("/events", new JsonObject().put("event_type", "").put("payload", new JsonObject())),
        422, "validation_failed");
    assertError(node.post("/events", new JsonObject().put("event_type", 7).put("payload", new JsonObject())),
        422, "validation_failed");
  }

  @Test
  void eventsRefusesAMissingPayload() {
    assertError(node.post("/events", new JsonObject().put("event_type", "order.created")), 422, "validation_failed");
    assertError(node.post("/events", new JsonObject().put("event_type", "order.created").put("payload", "text")),
        422, "validation_failed");
  }

  @Test
  void eventsRefusesInvalidJson() {
    assertError(node.send("POST", "/events", "{\"event_type\":", Map.of()), 400, "invalid_json");
  }

  /** Fan-out on a node of its own, so that no other test's subscriptions match. */
  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class FanOut {
    private TestNode fanOut;
    private String all;
    private String orders;
    private String invoicesPaid;
    private String disabled;

    @BeforeAll
    void start() {
      fanOut = TestNode.start(Map.of("HOOKRELAY_ROLES", "api"));
      all = fanOut.subscribe(TARGET, null).getString("id");
      orders = fanOut.subscribe(TARGET, new JsonObject().put("events", new JsonArray().add("order.*"))).getString("id");
      invoicesPaid = fanOut.subscribe(TARGET, new JsonObject().put("events", new JsonArray().add("invoice.paid")))
          .getString("id");
      disabled = fanOut.subscribe(TARGET, new JsonObject().put("events", new JsonArray().add("order.*")))
          .getString("id");
      fanOut.patch("/subscriptions/" + disabled, new JsonObject().put("status", "disabled"));
      fanOut.delete("/subscriptions/" + fanOut.subscribe(TARGET, null).getString("id"));
    }

    @AfterAll
    void stop() {
      fanOut.close();
    }

    private Set<String> subscriptionsOf(JsonArray webhookIds, String status) {
      Set<String> out = new HashSet<>();
      for (Object id : webhookIds) {
        JsonObject s = fanOut.get("/status/" + id).json();
        if (s.getString("status").equals(status)) {
          out.add(s.getString("subscription_id"));
        }
      }
      return out;
    }

    @Test
    void anOrderEventGoesToTheUnfilteredAndTheOrderSubscriptions() {
      TestNode.Response r = fanOut.post("/events", new JsonObject().put("event_type", "order.created")
          .put("payload", new JsonObject().put("order_id", 1)));

      assertThat(r.status()).as(r.toString()).isEqualTo(202);
      assertThat(r.json().getString("event_id")).isNotBlank();
      assertThat(subscriptionsOf(r.json().getJsonArray("webhook_ids"), "pending")).containsExactlyInAnyOrder(all, orders);
    }

    @Test
    void aDisabledSubscriptionGetsItsMatchingEventsHeldNotDelivered() {
      TestNode.Response r = fanOut.post("/events", new JsonObject().put("event_type", "order.refunded")
          .put("payload", new JsonObject()));

      JsonArray webhookIds = r.json().getJsonArray("webhook_ids");
      assertThat(webhookIds).hasSize(3);
      assertThat(subscriptionsOf(webhookIds, "held")).containsExactly(disabled);
    }

    @Test
    void anInvoicePaidEventGoesToTheUnfilteredAndTheExactSubscriptions() {
      TestNode.Response r = fanOut.post("/events", new JsonObject().put("event_type", "invoice.paid")
          .put("payload", new JsonObject()));
      assertThat(r.json().getJsonArray("webhook_ids")).hasSize(2);
      assertThat(subscriptionsOf(r.json().getJsonArray("webhook_ids"), "pending"))
          .containsExactlyInAnyOrder(all, invoicesPaid);
    }

    @Test
    void anEventNoFilterNamesGoesOnlyToTheUnfilteredSubscription() {
      TestNode.Response r = fanOut.post("/events", new JsonObject().put("event_type", "invoice.created")
          .put("payload", new JsonObject()));
      assertThat(r.json().getJsonArray("webhook_ids")).hasSize(1);
      assertThat(subscriptionsOf(r.json().getJsonArray("webhook_ids"), "pending")).containsExactly(all);
    }

    @Test
    void aRepeatedEventIdIsADuplicate() {
      JsonObject event = new JsonObject().put("event_type", "order.paid").put("event_id", "evt-" + UUID.randomUUID())
          .put("payload", new JsonObject().put("n", 1));
      TestNode.Response first = fanOut.post("/events", event);
      TestNode.Response again = fanOut.post("/events", event);

      assertThat(first.status()).isEqualTo(202);
      assertThat(again.status()).isEqualTo(200);
      assertThat(again.json().getBoolean("duplicate")).isTrue();
      assertThat(again.json().getString("event_id")).isEqualTo(event.getString("event_id"));
      assertThat(again.json().getJsonArray("webhook_ids")).isEqualTo(first.json().getJsonArray("webhook_ids"));
    }
  }

  // --- backpressure ---

  @Test
  void aBacklogOverItsLimitIs429WithRetryAfter() {
    // No delivery role: nothing drains the stream, so it only grows.
    try (TestNode full = TestNode.start(Map.of("HOOKRELAY_ROLES", "api", "HOOKRELAY_BACKLOG_LIMIT", "5"))) {
      String id = full.subscribe(TARGET, null).getString("id");
      List<Integer> answers = new ArrayList<>();
      // The backlog is sampled every 500 ms: keep ingesting until the node notices.
      TestNode.Response refused = Await.value(Duration.ofSeconds(30), "a 429 once the backlog is over 5", () -> {
        TestNode.Response r = full.post("/ingest/" + id, new JsonObject().put("n", answers.size()));
        answers.add(r.status());
        return r;
      }, r -> r.status() != 202);

      assertThat(refused.status()).as(refused.toString()).isEqualTo(429);
      assertThat(refused.json().getString("error")).isEqualTo("backlog_full");
      assertThat(refused.header("retry-after")).matches("[1-9][0-9]*");
      assertThat(answers.subList(0, answers.size() - 1)).containsOnly(202);
      assertThat(full.post("/events", new JsonObject().put("event_type", "a").put("payload", new JsonObject()))
          .status()).isEqualTo(429);
    }
  }

  // --- PostgreSQL down ---

  @Test
  void ingestAnswers503NotA202WhenPostgresqlIsUnreachable() throws Exception {
    Path dir = Files.createTempDirectory("hookrelay-pg-down");
    EmbeddedPostgres postgres = EmbeddedPostgres.start(dir.resolve("postgres"));
    TestNode lonely = null;
    try {
      // One HTTP instance: the ingest below warms its subscription cache, so the failure is at the commit.
      lonely = TestNode.start(Map.of("HOOKRELAY_DATABASE_URL", postgres.url(), "HOOKRELAY_ROLES", "api",
          "HOOKRELAY_HTTP_INSTANCES", "1"));
      String id = lonely.subscribe(TARGET, null).getString("id");
      assertThat(lonely.post("/ingest/" + id, new JsonObject().put("n", 0)).status()).isEqualTo(202);

      postgres.close();

      for (int i = 1; i <= 3; i++) {
        TestNode.Response r = lonely.post("/ingest/" + id, new JsonObject().put("n", i));
        assertThat(r.status()).as(r.toString()).isEqualTo(503);
        assertThat(r.json().getString("error")).isEqualTo("database_unavailable");
        assertThat(r.body()).doesNotContain("Exception").doesNotContain("127.0.0.1");
        assertThat(r.header("retry-after")).isNotNull();
      }
      TestNode.Response events = lonely.post("/events", new JsonObject().put("event_type", "a")
          .put("payload", new JsonObject()));
      assertThat(events.status()).as(events.toString()).isIn(503);
      TestNode.Response ready = lonely.send("GET", "/ready", null, Map.of());
      assertThat(ready.status()).isEqualTo(503);
      assertThat(ready.json().getString("postgres")).isEqualTo("unreachable");
    } finally {
      if (lonely != null) {
        lonely.close();
      }
      postgres.close();
    }
  }
}
