package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.Await;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import io.hookrelay.testing.TestReceiver.Answer;
import io.hookrelay.testing.TestReceiver.Received;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The delivery pipeline end to end, against real receivers: what a subscriber gets (headers, exact bytes,
 * signatures), how failures are retried and recorded, and the operator's levers (410, enable, manual retry, recover,
 * fan-out).
 */
class DeliveryPipelineTest {
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  /** Every subscription of this class but the fan-out ones listens to this family only, so fan-out reaches no other. */
  private static final String EVENT_TYPE = "pipeline.tested";

  private static TestNode node;
  private final List<TestReceiver> receivers = new ArrayList<>();

  @BeforeAll
  static void startNode() {
    // One node for the class: a short total timeout for the silent receiver, three attempts for the failing ones, and
    // a largest step of 2 s so that a Retry-After of 1 s is within the cap. A 500 ms timeout would be closer to the
    // brief but leaves too little room for the healthy deliveries on a loaded 2-core machine.
    node = TestNode.start(Map.of(
        "HOOKRELAY_DELIVERY_TIMEOUT", "1s",
        "HOOKRELAY_VISIBILITY_TIMEOUT", "5s",
        "HOOKRELAY_MAX_ATTEMPTS", "3",
        "HOOKRELAY_RETRY_SCHEDULE", "100ms,200ms,2s"));
  }

  @AfterAll
  static void stopNode() {
    node.close();
  }

  @AfterEach
  void closeReceivers() {
    receivers.forEach(TestReceiver::close);
  }

  @Test
  void aWebhookIsDeliveredOnceWithTheDocumentedHeadersAndRecordedAsSucceeded() {
    TestReceiver receiver = receiver(n -> Answer.status(200));
    JsonObject subscription = subscribe(receiver);
    String raw = "{\"b\":1,  \"a\":\"é\",\n \"z\" : [ 1.50, true ]}";

    String webhookId = ingestRaw(subscription.getString("id"), raw);

    JsonObject status = node.awaitStatus(webhookId, DEADLINE, "succeeded");
    assertThat(status.getString("final_outcome")).isEqualTo("Success");
    assertThat(status.getInteger("total_attempts")).isEqualTo(1);
    assertThat(status.getInteger("last_status_code")).isEqualTo(200);
    JsonArray attempts = status.getJsonArray("recent_attempts");
    assertThat(attempts).hasSize(1);
    JsonObject attempt = attempts.getJsonObject(0);
    assertThat(attempt.getString("outcome")).isEqualTo("Success");
    assertThat(attempt.getInteger("status_code")).isEqualTo(200);
    assertThat(attempt.getInteger("duration_ms")).isNotNull().isGreaterThanOrEqualTo(0);

    assertThat(receiver.received()).hasSize(1);
    Received request = receiver.received().get(0);
    Set<String> names = new HashSet<>(request.headers().keySet());
    names.removeAll(Set.of("host", "content-length")); // transport, not ours
    assertThat(names).containsExactlyInAnyOrder("content-type", "webhook-id", "webhook-timestamp",
        "webhook-signature", "x-event-type", "x-webhook-attempt", "user-agent");
    assertThat(request.header("content-type")).isEqualTo("application/json");
    assertThat(request.header("webhook-id")).isEqualTo(webhookId);
    assertThat(Long.parseLong(request.header("webhook-timestamp")))
        .isBetween(Instant.now().getEpochSecond() - 120, Instant.now().getEpochSecond() + 5);
    assertThat(request.header("webhook-signature")).startsWith("v1,");
    assertThat(request.header("x-event-type")).isEqualTo(EVENT_TYPE);
    assertThat(request.header("x-webhook-attempt")).isEqualTo("1");
    assertThat(request.header("user-agent")).matches("hookrelay/\\S+");
    assertThat(request.body()).isEqualTo(raw.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void theSignatureVerifiesWithTheSubscriptionsSecret() {
    TestReceiver receiver = receiver(n -> Answer.status(200));
    JsonObject subscription = subscribe(receiver);
    String secret = subscription.getString("secret");

    Received r = firstDelivery(receiver, subscription.getString("id"), "{\"order\":42}");

    assertThat(verifies(secret, r, r.header("webhook-signature"))).isTrue();
    assertThat(verifies(Signer.generateSecret(), r, r.header("webhook-signature"))).isFalse();
  }

  @Test
  void afterARotationADeliveryCarriesTwoSignaturesOnePerLiveSecret() {
    TestReceiver receiver = receiver(n -> Answer.status(200));
    JsonObject subscription = subscribe(receiver);
    String id = subscription.getString("id");
    String oldSecret = subscription.getString("secret");
    String newSecret = rotate(id).getString("secret");
    assertThat(newSecret).startsWith("whsec_").isNotEqualTo(oldSecret);

    Received r = firstDelivery(receiver, id, "{\"rotated\":true}");

    String[] signatures = r.header("webhook-signature").split(" ");
    assertThat(signatures).hasSize(2);
    assertThat(verifies(newSecret, r, signatures[0])).isTrue();
    assertThat(verifies(oldSecret, r, signatures[1])).isTrue();
    assertThat(verifies(oldSecret, r, signatures[0])).isFalse();
  }

  @Test
  void aV1aSubscriptionSignsWithEd25519ThatItsPublicKeyVerifies() {
    TestReceiver receiver = receiver(n -> Answer.status(200));
    JsonObject subscription = node.subscribe(receiver.url(), filter().put("signature_scheme", "v1a"));
    String publicKey = subscription.getString("public_key");

    Received r = firstDelivery(receiver, subscription.getString("id"), "{\"order\":42}");

    assertThat(r.header("webhook-signature")).startsWith("v1a,").doesNotContain(" ");
    assertThat(verifies(publicKey, r, r.header("webhook-signature"))).isTrue();
    assertThat(verifies(Signer.generateKeyPair().publicKey(), r, r.header("webhook-signature"))).isFalse();
  }

  @Test
  void afterAV1aRotationADeliveryCarriesTwoEd25519SignaturesOnePerLiveKey() {
    TestReceiver receiver = receiver(n -> Answer.status(200));
    JsonObject subscription = node.subscribe(receiver.url(), filter().put("signature_scheme", "v1a"));
    String id = subscription.getString("id");
    String oldKey = subscription.getString("public_key");
    String newKey = rotate(id).getString("public_key");
    assertThat(newKey).startsWith("whpk_").isNotEqualTo(oldKey);

    Received r = firstDelivery(receiver, id, "{\"rotated\":true}");

    String[] signatures = r.header("webhook-signature").split(" ");
    assertThat(signatures).hasSize(2).allMatch(sig -> sig.startsWith("v1a,"));
    assertThat(verifies(newKey, r, signatures[0])).isTrue();
    assertThat(verifies(oldKey, r, signatures[1])).isTrue();
    assertThat(verifies(oldKey, r, signatures[0])).isFalse();
  }

  @Test
  void switchingAV1SubscriptionToV1aSignsWithTheNewKeyAndTheOldSecretForTheOverlap() {
    TestReceiver receiver = receiver(n -> Answer.status(200));
    JsonObject subscription = subscribe(receiver);
    String id = subscription.getString("id");
    String oldSecret = subscription.getString("secret");
    TestNode.Response switched = node.patch("/subscriptions/" + id, new JsonObject().put("signature_scheme", "v1a"));
    assertThat(switched.status()).as(switched.toString()).isEqualTo(200);
    String publicKey = switched.json().getString("public_key");

    Received r = firstDelivery(receiver, id, "{\"switched\":true}");

    String[] signatures = r.header("webhook-signature").split(" ");
    assertThat(signatures).hasSize(2);
    assertThat(signatures[0]).startsWith("v1a,");
    assertThat(signatures[1]).startsWith("v1,");
    assertThat(verifies(publicKey, r, r.header("webhook-signature"))).isTrue();
    assertThat(verifies(oldSecret, r, r.header("webhook-signature"))).isTrue();
  }

  @Test
  void twoServerErrorsThenSuccessGiveThreeAttemptsSpacedByTheSchedule() {
    TestReceiver receiver = receiver(n -> Answer.status(n <= 2 ? 500 : 200));
    String webhookId = ingestRaw(subscribe(receiver).getString("id"), "{\"n\":1}");

    JsonObject status = node.awaitStatus(webhookId, DEADLINE, "succeeded");

    assertThat(status.getInteger("total_attempts")).isEqualTo(3);
    JsonArray attempts = status.getJsonArray("recent_attempts"); // newest first
    assertThat(attempts).hasSize(3);
    assertAttempt(attempts.getJsonObject(2), 1, "Failed Attempt", 500);
    assertAttempt(attempts.getJsonObject(1), 2, "Failed Attempt", 500);
    assertAttempt(attempts.getJsonObject(0), 3, "Success", 200);
    assertThat(attempts.getJsonObject(2).getString("response_body")).isEqualTo("answer 1");
    assertThat(attempts.getJsonObject(2).getString("error")).isEqualTo("HTTP 500");
    List<Received> got = receiver.received();
    assertThat(got).hasSize(3);
    assertThat(got).extracting(x -> x.header("x-webhook-attempt")).containsExactly("1", "2", "3");
    // Schedule 100ms, 200ms with ±20 % jitter: never earlier than 80 % of the step.
    assertThat(got.get(1).atMillis() - got.get(0).atMillis()).isGreaterThanOrEqualTo(80);
    assertThat(got.get(2).atMillis() - got.get(1).atMillis()).isGreaterThanOrEqualTo(160);
  }

  @Test
  void theAttemptHistoryOfASubscriptionListsItsAttemptsNewestFirst() {
    TestReceiver receiver = receiver(n -> Answer.status(n == 1 ? 502 : 204));
    String id = subscribe(receiver).getString("id");
    String webhookId = ingestRaw(id, "{\"history\":true}");
    node.awaitStatus(webhookId, DEADLINE, "succeeded");

    TestNode.Response history = node.get("/subscriptions/" + id + "/attempts?limit=1");

    assertThat(history.status()).isEqualTo(200);
    assertThat(history.array()).hasSize(1);
    assertThat(history.array().getJsonObject(0).getInteger("status_code")).isEqualTo(204);
    JsonArray all = node.get("/subscriptions/" + id + "/attempts").array();
    assertThat(all).extracting(a -> ((JsonObject) a).getInteger("attempt_number")).containsExactly(2, 1);
    assertThat(all).extracting(a -> ((JsonObject) a).getString("webhook_id")).containsOnly(webhookId);
  }

  @Test
  void aDeliveryWaitingForItsRetryShowsWhenItIsDue() {
    TestReceiver receiver = receiver(n -> n == 1 ? Answer.withHeader(503, "Retry-After", "2") : Answer.status(200));
    String webhookId = ingestRaw(subscribe(receiver).getString("id"), "{\"wait\":true}");

    JsonObject waiting = node.awaitStatus(webhookId, DEADLINE, "retrying");

    assertThat(waiting.getString("final_outcome")).isNull();
    assertThat(waiting.getInteger("last_status_code")).isEqualTo(503);
    Instant lastAttempt = Instant.parse(waiting.getString("last_attempt_at"));
    Instant nextRetry = Instant.parse(waiting.getString("next_retry_at"));
    assertThat(Duration.between(lastAttempt, nextRetry)).isBetween(Duration.ofMillis(1900), Duration.ofSeconds(4));
    node.awaitStatus(webhookId, DEADLINE, "succeeded");
  }

  @Test
  void aReceiverThatNeverAnswersGetsTimeoutsRecordedAndIsRetried() {
    TestReceiver receiver = receiver(n -> Answer.hangUp());
    String webhookId = ingestRaw(subscribe(receiver).getString("id"), "{\"silent\":true}");

    JsonObject status = node.awaitStatus(webhookId, DEADLINE, "failed");

    assertThat(receiver.count()).isEqualTo(3);
    assertThat(status.getInteger("total_attempts")).isEqualTo(3);
    assertThat(status.getString("last_error")).startsWith("timeout");
    for (Object a : status.getJsonArray("recent_attempts")) {
      JsonObject attempt = (JsonObject) a;
      assertThat(attempt.getInteger("status_code")).isNull();
      assertThat(attempt.getString("error")).startsWith("timeout");
      assertThat(attempt.getInteger("duration_ms")).isGreaterThanOrEqualTo(900);
    }
  }

  @Test
  void aConnectionResetWithoutAnswerIsAFailedAttemptAndRetried() {
    TestReceiver receiver = receiver(n -> n == 1 ? Answer.resetConnection() : Answer.status(200));
    String webhookId = ingestRaw(subscribe(receiver).getString("id"), "{\"reset\":true}");

    JsonObject status = node.awaitStatus(webhookId, DEADLINE, "succeeded");

    JsonObject first = status.getJsonArray("recent_attempts").getJsonObject(1);
    assertThat(first.getString("outcome")).isEqualTo("Failed Attempt");
    assertThat(first.getInteger("status_code")).isNull();
    assertThat(first.getString("error")).startsWith("connection reset");
  }

  @Test
  void aRefusedConnectionIsRetriedUntilMaxAttemptsThenTheDeliveryFails() {
    String url = "http://127.0.0.1:" + TestNode.freePort() + "/nobody-listens";
    String webhookId = ingestRaw(node.subscribe(url, filter()).getString("id"), "{\"refused\":true}");

    JsonObject status = node.awaitStatus(webhookId, DEADLINE, "failed");

    assertThat(status.getString("final_outcome")).isEqualTo("Failure");
    assertThat(status.getInteger("total_attempts")).isEqualTo(3);
    assertThat(status.getValue("next_retry_at")).isNull();
    JsonArray attempts = status.getJsonArray("recent_attempts");
    assertThat(attempts).hasSize(3);
    assertThat(attempts).extracting(a -> ((JsonObject) a).getString("outcome"))
        .containsExactly("Failure", "Failed Attempt", "Failed Attempt");
    assertThat(attempts).allSatisfy(a -> assertThat(((JsonObject) a).getString("error"))
        .startsWith("connection refused"));
    assertThat(node.count("SELECT count(*) FROM attempts WHERE delivery_id = '" + webhookId + "'")).isEqualTo(3);
  }

  @Test
  void goneDisablesTheSubscriptionHoldsNewWebhooksAndEnableDeliversThem() {
    TestReceiver receiver = receiver(n -> Answer.status(n == 1 ? 410 : 200));
    String id = subscribe(receiver).getString("id");
    String first = ingestRaw(id, "{\"first\":true}");

    JsonObject failed = node.awaitStatus(first, DEADLINE, "failed");
    assertThat(failed.getInteger("total_attempts")).isEqualTo(1);
    JsonObject disabled = Await.value(DEADLINE, "subscription disabled", () -> node.get("/subscriptions/" + id).json(),
        s -> "disabled".equals(s.getString("status")));
    assertThat(disabled.getString("disabled_reason")).contains("410");

    String second = ingestRaw(id, "{\"second\":true}");
    node.awaitStatus(second, DEADLINE, "held");
    assertThat(receiver.count()).isEqualTo(1);

    TestNode.Response enabled = node.post("/subscriptions/" + id + "/enable", null);
    assertThat(enabled.status()).isEqualTo(200);
    assertThat(enabled.json().getString("status")).isEqualTo("enabled");
    assertThat(enabled.json().getInteger("resumed_deliveries")).isEqualTo(1);
    node.awaitStatus(second, DEADLINE, "succeeded");
    assertThat(receiver.received().get(1).header("webhook-id")).isEqualTo(second);
  }

  @Test
  void retryAfterOnTooManyRequestsIsHonoured() {
    TestReceiver receiver = receiver(n -> n == 1 ? Answer.withHeader(429, "Retry-After", "1") : Answer.status(200));
    String webhookId = ingestRaw(subscribe(receiver).getString("id"), "{\"busy\":true}");

    node.awaitStatus(webhookId, DEADLINE, "succeeded");

    List<Received> got = receiver.received();
    assertThat(got).hasSize(2);
    // The schedule alone would have waited 80-120 ms.
    assertThat(got.get(1).atMillis() - got.get(0).atMillis()).isGreaterThanOrEqualTo(950);
  }

  @Test
  void aManualRetryOfAFailedDeliveryMakesANewAttempt() {
    TestReceiver receiver = receiver(n -> Answer.status(n <= 3 ? 500 : 200));
    String webhookId = ingestRaw(subscribe(receiver).getString("id"), "{\"manual\":true}");
    node.awaitStatus(webhookId, DEADLINE, "failed");

    TestNode.Response retry = node.post("/status/" + webhookId + "/retry", null);

    assertThat(retry.status()).isEqualTo(202);
    JsonObject status = node.awaitStatus(webhookId, DEADLINE, "succeeded");
    assertThat(status.getInteger("total_attempts")).isEqualTo(4);
    assertThat(receiver.count()).isEqualTo(4);
  }

  @Test
  void aManualRetryOfAnUnknownWebhookIsNotFound() {
    TestNode.Response retry = node.post("/status/" + java.util.UUID.randomUUID() + "/retry", null);

    assertThat(retry.status()).isEqualTo(404);
    assertThat(retry.json().getString("error")).isNotBlank();
    assertThat(retry.json().getString("detail")).isNotBlank();
  }

  @Test
  void recoverRedeliversTheFailedDeliveriesSinceTheGivenTime() {
    TestReceiver receiver = receiver(n -> Answer.status(n <= 3 ? 503 : 200));
    String id = subscribe(receiver).getString("id");
    String since = Instant.now().minusSeconds(60).toString();
    String webhookId = ingestRaw(id, "{\"recover\":true}");
    node.awaitStatus(webhookId, DEADLINE, "failed");

    TestNode.Response recovered = node.post("/subscriptions/" + id + "/recover?since=" + since, null);

    assertThat(recovered.status()).isEqualTo(202);
    assertThat(recovered.json().getInteger("recovered")).isEqualTo(1);
    node.awaitStatus(webhookId, DEADLINE, "succeeded");
    assertThat(receiver.count()).isEqualTo(4);
  }

  @Test
  void recoverWithoutSinceIsABadRequest() {
    String id = node.subscribe("http://127.0.0.1:9/unused", filter()).getString("id");

    TestNode.Response r = node.post("/subscriptions/" + id + "/recover", null);

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().getString("detail")).contains("since");
  }

  @Test
  void oneEventFansOutToExactlyTheSubscriptionsWhoseFilterMatches() {
    TestReceiver all = receiver(n -> Answer.status(200));
    TestReceiver orders = receiver(n -> Answer.status(200));
    TestReceiver invoices = receiver(n -> Answer.status(200));
    node.subscribe(all.url(), null);
    node.subscribe(orders.url(), new JsonObject().put("events", new JsonArray().add("order.*")));
    node.subscribe(invoices.url(), new JsonObject().put("events", new JsonArray().add("invoice.paid")));

    JsonArray orderIds = publish("order.created", new JsonObject().put("order", 1));
    JsonArray invoiceIds = publish("invoice.paid", new JsonObject().put("invoice", 2));

    assertThat(orderIds).hasSize(2);
    assertThat(invoiceIds).hasSize(2);
    for (Object id : orderIds.addAll(invoiceIds)) {
      node.awaitStatus((String) id, DEADLINE, "succeeded");
    }
    assertThat(all.received()).extracting(r -> r.header("x-event-type"))
        .containsExactlyInAnyOrder("order.created", "invoice.paid");
    assertThat(orders.received()).extracting(r -> r.header("x-event-type")).containsExactly("order.created");
    assertThat(invoices.received()).extracting(r -> r.header("x-event-type")).containsExactly("invoice.paid");
  }

  // --- helpers ---

  private TestReceiver receiver(java.util.function.Function<Integer, Answer> script) {
    TestReceiver r = TestReceiver.start(script);
    receivers.add(r);
    return r;
  }

  private static JsonObject filter() {
    return new JsonObject().put("events", new JsonArray().add("pipeline.*"));
  }

  private static JsonObject subscribe(TestReceiver receiver) {
    return node.subscribe(receiver.url(), filter());
  }

  /** Ingests these exact bytes to a subscription whose receiver has had nothing yet, and answers what it got. */
  private static Received firstDelivery(TestReceiver receiver, String subscriptionId, String raw) {
    ingestRaw(subscriptionId, raw);
    receiver.awaitCount(1, DEADLINE);
    return receiver.received().get(0);
  }

  private static JsonObject rotate(String subscriptionId) {
    TestNode.Response rotated = node.post("/subscriptions/" + subscriptionId + "/rotate-secret", null);
    assertThat(rotated.status()).as(rotated.toString()).isEqualTo(200);
    return rotated.json();
  }

  /** Ingests these exact bytes (no client-side re-serialisation) and answers the webhook id. */
  private static String ingestRaw(String subscriptionId, String raw) {
    TestNode.Response r = node.send("POST", "/ingest/" + subscriptionId, raw, Map.of("X-Event-Type", EVENT_TYPE));
    assertThat(r.status()).as("ingest: %s", r).isEqualTo(202);
    return r.json().getString("webhook_id");
  }

  private static JsonArray publish(String eventType, JsonObject payload) {
    TestNode.Response r = node.post("/events", new JsonObject().put("event_type", eventType).put("payload", payload));
    assertThat(r.status()).as("events: %s", r).isEqualTo(202);
    return r.json().getJsonArray("webhook_ids");
  }

  private static boolean verifies(String secret, Received r, String signatureHeader) {
    return Signer.verify(secret, r.header("webhook-id"), r.header("webhook-timestamp"), r.body(), signatureHeader,
        Instant.now().getEpochSecond(), 300);
  }

  private static void assertAttempt(JsonObject attempt, int number, String outcome, int statusCode) {
    assertThat(attempt.getInteger("attempt_number")).isEqualTo(number);
    assertThat(attempt.getString("outcome")).isEqualTo(outcome);
    assertThat(attempt.getInteger("status_code")).isEqualTo(statusCode);
  }
}
