package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.Await;
import io.hookrelay.testing.OrderingReceiver;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import io.hookrelay.testing.TestReceiver.Answer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Ordered delivery on one node: per ordering key, webhook n+1 waits for webhook n to end; other keys go on meanwhile;
 * a webhook that failed for good is skipped, or holds its key until it is dismissed ('block').
 */
class OrderedDeliveryTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static TestNode node;

  @BeforeAll
  static void setUp() {
    node = TestNode.start(Map.of("HOOKRELAY_MAX_ATTEMPTS", "4", "HOOKRELAY_RETRY_SCHEDULE", "200ms,300ms,400ms"));
  }

  @AfterAll
  static void tearDown() {
    node.close();
  }

  @Test
  void eachKeyIsDeliveredInIngestOrderThroughRandomFailures() {
    try (OrderingReceiver receiver = OrderingReceiver.start(0.2, 0.0)) {
      String id = node.subscribe(receiver.url(), ordered("skip", 20)).getString("id");
      List<String> keys = List.of("a", "b", "c");
      for (int n = 1; n <= 30; n++) {
        for (String key : keys) {
          ingest(id, key, n);
        }
      }
      // with 20 % failures and four attempts, a webhook may fail for good (0.16 %): it is skipped; wait on the end
      Await.until(DEADLINE, "every delivery to end", () -> node.count("SELECT count(*) FROM deliveries WHERE "
          + "subscription_id = '" + id + "' AND status NOT IN ('succeeded', 'failed')") == 0);
      assertThat(receiver.violationsExcept(failedForGood(id))).isEmpty();
      assertThat(receiver.keysNotReceivedInOrderExcept(keys, 30, failedForGood(id))).isEmpty();
    }
  }

  @Test
  void aKeyWaitingForARetryHoldsBackOnlyItself() {
    // the first request ("slow" 1) fails three times, about 0.7 s of backoff; everything after it succeeds at once
    try (TestReceiver receiver = TestReceiver.start(n -> n <= 3 ? Answer.status(500) : Answer.status(200))) {
      String id = node.subscribe(receiver.url(), ordered("skip", 20)).getString("id");
      ingest(id, "slow", 1);
      receiver.awaitCount(1, DEADLINE);
      ingest(id, "slow", 2);
      for (int n = 1; n <= 5; n++) {
        ingest(id, "fast-" + n, 1);
      }
      receiver.awaitCount(4 + 1 + 5, DEADLINE);
      List<String> order = new ArrayList<>();
      receiver.received().forEach(r -> order.add(new JsonObject(r.bodyText()).getString("key") + "/"
          + new JsonObject(r.bodyText()).getInteger("n")));
      int slowSucceeded = order.lastIndexOf("slow/1");
      assertThat(order.indexOf("slow/2")).isGreaterThan(slowSucceeded);
      assertThat(order.subList(0, slowSucceeded)).contains("fast-1/1", "fast-2/1", "fast-3/1", "fast-4/1",
          "fast-5/1");
    }
  }

  @Test
  void withSkipAWebhookThatFailedForGoodLetsTheNextOneGo() {
    try (TestReceiver receiver = TestReceiver.start(n -> n <= 4 ? Answer.status(500) : Answer.status(200))) {
      String id = node.subscribe(receiver.url(), ordered("skip", 20)).getString("id");
      String first = ingest(id, "k", 1);
      String second = ingest(id, "k", 2);
      node.awaitStatus(first, DEADLINE, "failed");
      node.awaitStatus(second, DEADLINE, "succeeded");
      assertThat(receiver.received()).hasSize(5); // four tries of the first, then the second
    }
  }

  @Test
  void withBlockAWebhookThatFailedForGoodHoldsItsKeyUntilItIsDismissed() {
    try (TestReceiver receiver = TestReceiver.start(n -> n <= 4 ? Answer.status(500) : Answer.status(200))) {
      String id = node.subscribe(receiver.url(), ordered("block", 20)).getString("id");
      String first = ingest(id, "k", 1);
      String second = ingest(id, "k", 2);
      node.awaitStatus(first, DEADLINE, "failed");
      // the key stays held: the second is not attempted while the first is failed and not dismissed
      Await.until(Duration.ofSeconds(10), "the recovery sweep to have run past the second's grace",
          () -> node.count("SELECT count(*) FROM deliveries WHERE id = '" + second
              + "' AND created_at < now() - interval '3 seconds'") == 1);
      assertThat(node.status(second).getString("status")).isEqualTo("pending");
      assertThat(receiver.count()).isEqualTo(4);

      TestNode.Response dismissed = node.post("/status/" + first + "/dismiss", new JsonObject());
      assertThat(dismissed.status()).isEqualTo(200);
      node.awaitStatus(second, DEADLINE, "succeeded");
      assertThat(node.status(first).getString("status")).isEqualTo("failed");
      assertThat(node.post("/status/" + first + "/dismiss", new JsonObject()).status()).isEqualTo(409);
    }
  }

  @Test
  void withoutAKeyTheWholeStreamOfTheSubscriptionIsOneKey() {
    try (OrderingReceiver receiver = OrderingReceiver.start(0.3, 0.0)) {
      String id = node.subscribe(receiver.url(), ordered("skip", 20)).getString("id");
      for (int n = 1; n <= 20; n++) {
        node.ingest(id, new JsonObject().put("key", "").put("n", n));
      }
      Await.until(DEADLINE, "every delivery to end", () -> node.count("SELECT count(*) FROM deliveries WHERE "
          + "subscription_id = '" + id + "' AND status NOT IN ('succeeded', 'failed')") == 0);
      assertThat(receiver.violationsExcept(failedForGood(id))).isEmpty();
    }
  }

  @Test
  void eventsCarryTheirOrderingKeyToOrderedSubscriptionsOnly() {
    try (OrderingReceiver receiver = OrderingReceiver.start(0.0, 0.0);
         TestReceiver unordered = TestReceiver.answering(200)) {
      String orderedId = node.subscribe(receiver.url(), ordered("skip", 20).put("events", List.of("ord.test")))
          .getString("id");
      String unorderedId = node.subscribe(unordered.url(), new JsonObject().put("events", List.of("ord.test")))
          .getString("id");
      TestNode.Response r = node.post("/events", new JsonObject().put("event_type", "ord.test")
          .put("ordering_key", "acct_1").put("payload", new JsonObject().put("key", "acct_1").put("n", 1)));
      assertThat(r.status()).isEqualTo(202);
      unordered.awaitCount(1, DEADLINE);
      Await.until(DEADLINE, "the ordered copy", () -> receiver.received() == 1);
      assertThat(node.count("SELECT count(*) FROM deliveries WHERE subscription_id = '" + orderedId
          + "' AND ordering_key = 'acct_1' AND ordering_seq = 1")).isEqualTo(1);
      assertThat(node.count("SELECT count(*) FROM deliveries WHERE subscription_id = '" + unorderedId
          + "' AND ordering_key IS NULL")).isEqualTo(1);
    }
  }

  @Test
  void orderingSettingsAreValidatedAndShown() {
    TestNode.Response bad = node.post("/subscriptions", new JsonObject().put("target_url", "http://127.0.0.1:9/x")
        .put("ordering", "strict"));
    assertThat(bad.status()).isEqualTo(422);
    assertThat(bad.json().getString("detail")).contains("ordering must be one of none, per_key");
    TestNode.Response badFailure = node.post("/subscriptions", new JsonObject()
        .put("target_url", "http://127.0.0.1:9/x").put("ordering_on_failure", "retry"));
    assertThat(badFailure.status()).isEqualTo(422);
    assertThat(badFailure.json().getString("detail")).contains("ordering_on_failure must be one of skip, block");

    JsonObject created = node.subscribe("http://127.0.0.1:9/x", null);
    assertThat(created.getString("ordering")).isEqualTo("none");
    assertThat(created.getString("ordering_on_failure")).isEqualTo("skip");
    TestNode.Response patched = node.patch("/subscriptions/" + created.getString("id"),
        new JsonObject().put("ordering", "per_key").put("ordering_on_failure", "block"));
    assertThat(patched.json().getString("ordering")).isEqualTo("per_key");
    assertThat(patched.json().getString("ordering_on_failure")).isEqualTo("block");

    TestNode.Response longKey = node.post("/events", new JsonObject().put("event_type", "x")
        .put("ordering_key", "k".repeat(257)).put("payload", new JsonObject()));
    assertThat(longKey.status()).isEqualTo(422);
    assertThat(longKey.json().getString("detail")).contains("ordering_key must be 1 to 256 characters");
    assertThat(node.post("/status/00000000-0000-0000-0000-000000000000/dismiss", new JsonObject()).status())
        .isEqualTo(404);
  }

  private static JsonObject ordered(String onFailure, int maxInFlight) {
    return new JsonObject().put("ordering", "per_key").put("ordering_on_failure", onFailure)
        .put("max_in_flight", maxInFlight);
  }

  /** The webhooks of a subscription that failed for good, as "key/n" from their payloads. */
  static java.util.Set<String> failedForGood(String subscriptionId) {
    java.util.Set<String> out = new java.util.HashSet<>();
    try (var c = io.hookrelay.testing.TestServers.jdbc(node.databaseUrl); var st = c.createStatement();
         var rs = st.executeQuery("SELECT convert_from(m.payload, 'UTF8') FROM deliveries d JOIN messages m "
             + "ON m.id = d.message_id WHERE d.subscription_id = '" + subscriptionId + "' AND d.status = 'failed'")) {
      while (rs.next()) {
        JsonObject p = new JsonObject(rs.getString(1));
        out.add(p.getString("key") + "/" + p.getInteger("n"));
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return out;
  }

  private static String ingest(String subscriptionId, String key, int n) {
    TestNode.Response r = node.post("/ingest/" + subscriptionId, new JsonObject().put("key", key).put("n", n),
        Map.of("X-Ordering-Key", key));
    if (r.status() != 202) {
      throw new AssertionError("ingest: " + r);
    }
    return r.json().getString("webhook_id");
  }
}
