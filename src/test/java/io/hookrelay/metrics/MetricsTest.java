package io.hookrelay.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.Await;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** /metrics serves Prometheus text without a key, and hookrelay's numbers move as webhooks flow. */
class MetricsTest {
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)})? (\\S+)$");
  private static final Pattern UUID_LIKE = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

  private static TestNode node;
  private static TestReceiver receiver;

  @BeforeAll
  static void start() {
    node = TestNode.start();
    receiver = TestReceiver.answering(200);
  }

  @AfterAll
  static void stop() {
    receiver.close();
    node.close();
  }

  @Test
  void metricsAreServedAsPrometheusTextWithoutAnApiKey() {
    TestNode.Response r = node.send("GET", "/metrics", null, Map.of("Authorization", ""));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("content-type")).startsWith("text/plain");
    assertThat(r.body()).contains("# TYPE hookrelay_ingested_total counter", "hookrelay_deliveries_total",
        "hookrelay_attempts_total", "hookrelay_attempt_duration_seconds_bucket", "hookrelay_delivery_lag_seconds_bucket",
        "hookrelay_queue_depth", "hookrelay_retry_depth", "hookrelay_deliveries_in_flight",
        "hookrelay_subscriptions_disabled", "hookrelay_deliveries_deferred_total");
  }

  @Test
  void ingestDeliveryAndAttemptCountersIncreaseWhenWebhooksAreDelivered() {
    String id = node.subscribe(receiver.url(), null).getString("id");
    String before = scrape();
    for (int i = 0; i < 3; i++) {
      String webhook = node.ingest(id, new JsonObject().put("n", i));
      node.awaitStatus(webhook, WAIT, "succeeded");
    }
    Await.until(WAIT, "counters to count 3 delivered webhooks", () -> {
      String after = scrape();
      return delta(before, after, "hookrelay_ingested_total", "result=\"accepted\"") == 3
          && delta(before, after, "hookrelay_deliveries_total", "outcome=\"succeeded\"") == 3
          && delta(before, after, "hookrelay_attempts_total", "outcome=\"success\"") == 3
          && delta(before, after, "hookrelay_attempt_duration_seconds_count", "outcome=\"success\"") == 3
          && delta(before, after, "hookrelay_delivery_lag_seconds_count", "") == 3;
    });
  }

  @Test
  void failedAttemptsAndFailedDeliveriesAreCountedByOutcome() {
    try (TestReceiver failing = TestReceiver.answering(500)) {
      String id = node.subscribe(failing.url(), null).getString("id");
      String before = scrape();
      String webhook = node.ingest(id, new JsonObject().put("fails", true));
      node.awaitStatus(webhook, WAIT, "failed");
      Await.until(WAIT, "a failed delivery and its attempts to be counted", () -> {
        String after = scrape();
        return delta(before, after, "hookrelay_deliveries_total", "outcome=\"failed\"") == 1
            && delta(before, after, "hookrelay_attempts_total", "outcome=\"failure\"") == 1
            && delta(before, after, "hookrelay_attempts_total", "outcome=\"failed_attempt\"") >= 1;
      });
    }
  }

  @Test
  void rejectedIngestsAreCountedByTheirErrorCode() {
    String id = node.subscribe(receiver.url(), null).getString("id");
    String before = scrape();
    assertThat(node.post("/ingest/" + UUID.randomUUID(), new JsonObject()).status()).isEqualTo(404);
    assertThat(node.send("POST", "/ingest/" + id, "{not json", Map.of()).status()).isEqualTo(400);
    assertThat(node.send("POST", "/ingest/" + id, "{}", Map.of("Authorization", "Bearer wrong")).status())
        .isEqualTo(401);
    String after = scrape();
    assertThat(delta(before, after, "hookrelay_ingested_total", "reason=\"not_found\"")).isEqualTo(1);
    assertThat(delta(before, after, "hookrelay_ingested_total", "reason=\"invalid_json\"")).isEqualTo(1);
    assertThat(delta(before, after, "hookrelay_ingested_total", "reason=\"unauthorized\"")).isEqualTo(1);
  }

  @Test
  void jobsSentBackForTheirRateLimitAreCountedAsDeferredAndStillDelivered() {
    String id = node.subscribe(receiver.url(), new JsonObject().put("rate_limit_per_s", 1)).getString("id");
    String before = scrape();
    List<String> webhooks = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      webhooks.add(node.ingest(id, new JsonObject().put("n", i))); // one a second: at least two wait their turn
    }
    webhooks.forEach(w -> node.awaitStatus(w, WAIT, "succeeded"));
    String after = scrape();
    assertThat(delta(before, after, "hookrelay_deliveries_deferred_total", "reason=\"rate_limit\"")).isPositive();
    assertThat(delta(before, after, "hookrelay_deliveries_deferred_total", "reason=\"lane_full\"")).isZero();
  }

  @Test
  void duplicateIngestsAreCountedAsDuplicates() {
    String id = node.subscribe(receiver.url(), null).getString("id");
    String before = scrape();
    Map<String, String> key = Map.of("Idempotency-Key", "metrics-dup-1");
    assertThat(node.post("/ingest/" + id, new JsonObject().put("a", 1), key).status()).isEqualTo(202);
    assertThat(node.post("/ingest/" + id, new JsonObject().put("a", 1), key).status()).isEqualTo(200);
    String after = scrape();
    assertThat(delta(before, after, "hookrelay_ingested_total", "result=\"accepted\"")).isEqualTo(1);
    assertThat(delta(before, after, "hookrelay_ingested_total", "result=\"duplicate\"")).isEqualTo(1);
  }

  @Test
  void disabledSubscriptionsGaugeFollowsTheDatabase() {
    String id = node.subscribe(receiver.url(), null).getString("id");
    double before = value(scrape(), "hookrelay_subscriptions_disabled", "");
    assertThat(node.patch("/subscriptions/" + id, new JsonObject().put("status", "disabled")).status()).isEqualTo(200);
    Await.until(WAIT, "the disabled subscriptions gauge to go up",
        () -> value(scrape(), "hookrelay_subscriptions_disabled", "") == before + 1);
  }

  @Test
  void vertxHttpServerMetricsAreLabelledByRouteNotByPath() {
    String id = node.subscribe(receiver.url(), null).getString("id");
    node.get("/subscriptions/" + id);
    String text = scrape();
    assertThat(text).contains("vertx_http_server_requests_total");
    assertThat(text).contains("route=\"/subscriptions/:id\"");
  }

  @Test
  void noLabelCarriesAnIdOrAUrl() {
    String id = node.subscribe(receiver.url(), null).getString("id");
    node.awaitStatus(node.ingest(id, new JsonObject()), WAIT, "succeeded");
    for (String line : scrape().split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (!line.startsWith("#") && m.matches() && m.group(3) != null) {
        assertThat(m.group(3)).as(line).doesNotContainPattern(UUID_LIKE).doesNotContain("http://");
      }
    }
  }

  private static String scrape() {
    TestNode.Response r = node.get("/metrics");
    assertThat(r.status()).isEqualTo(200);
    return r.body();
  }

  private static double delta(String before, String after, String name, String label) {
    return value(after, name, label) - value(before, name, label);
  }

  /** The sum of a metric's samples whose labels contain {@code label} (all of them when empty). */
  static double value(String text, String name, String label) {
    double sum = 0;
    for (String line : text.split("\n")) {
      Matcher m = SAMPLE.matcher(line);
      if (m.matches() && m.group(1).equals(name) && (label.isEmpty() || (m.group(3) != null
          && m.group(3).contains(label)))) {
        sum += Double.parseDouble(m.group(4));
      }
    }
    return sum;
  }
}
