package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.Await;
import io.hookrelay.testing.RecordingReceiver;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver.Answer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** After the threshold of failed deliveries in a row a subscription is disabled; its new webhooks wait for enable. */
class CircuitBreakerTest {
  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of("HOOKRELAY_CIRCUIT_BREAKER_THRESHOLD", "3", "HOOKRELAY_MAX_ATTEMPTS", "1"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void threeFailedDeliveriesInARowDisableTheSubscriptionHoldItsWebhooksAndEnableDeliversThem() {
    AtomicBoolean healthy = new AtomicBoolean(false);
    try (RecordingReceiver receiver = RecordingReceiver.start(n -> Answer.status(healthy.get() ? 200 : 500))) {
      String subscription = node.subscribe(receiver.url(), null).getString("id");
      for (int i = 0; i < 3; i++) {
        String id = node.ingest(subscription, new JsonObject().put("n", i));
        node.awaitStatus(id, Duration.ofSeconds(20), "failed");
      }

      JsonObject disabled = Await.value(Duration.ofSeconds(10), "subscription disabled",
          () -> node.get("/subscriptions/" + subscription).json(), s -> "disabled".equals(s.getString("status")));
      assertThat(disabled.getString("disabled_reason")).isNotBlank();
      assertThat(node.count("SELECT count(*) FROM audit_log WHERE action = 'subscription_disabled' "
          + "AND subscription_id = '" + subscription + "' AND details->>'actor' = 'circuit_breaker'")).isEqualTo(1);

      List<String> held = List.of(node.ingest(subscription, new JsonObject().put("n", "held 1")),
          node.ingest(subscription, new JsonObject().put("n", "held 2")));
      for (String id : held) {
        assertThat(node.awaitStatus(id, Duration.ofSeconds(10), "held").getString("status")).isEqualTo("held");
      }
      int requestsWhileDisabled = receiver.requests();

      healthy.set(true);
      assertThat(node.post("/subscriptions/" + subscription + "/enable", null).status()).isEqualTo(200);
      for (String id : held) {
        node.awaitStatus(id, Duration.ofSeconds(20), "succeeded");
      }
      assertThat(receiver.requests()).isEqualTo(requestsWhileDisabled + 2);
      assertThat(node.get("/subscriptions/" + subscription).json().getString("status")).isEqualTo("enabled");
    }
  }
}
