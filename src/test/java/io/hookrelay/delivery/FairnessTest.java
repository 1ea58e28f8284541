package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.RecordingReceiver;
import io.hookrelay.testing.TestNode;
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
 * A subscription's max_in_flight caps the requests open at its endpoint at once, and rate_limit_per_s its rate.
 * (That a hanging endpoint does not slow a healthy one is measured by chaos.FairnessChaosTest.)
 */
class FairnessTest {
  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of("HOOKRELAY_CIRCUIT_BREAKER_THRESHOLD", "0"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void aHangingEndpointNeverSeesMoreOpenRequestsThanMaxInFlight() {
    try (RecordingReceiver hanging = RecordingReceiver.start(n -> Answer.hangUp())) {
      String subscription = node.subscribe(hanging.url(), new JsonObject().put("max_in_flight", 3)).getString("id");
      for (int i = 0; i < 40; i++) {
        node.ingest(subscription, new JsonObject().put("n", i));
      }
      // Three rounds of timeouts (2 s each): the cap is reached again and again.
      io.hookrelay.testing.Await.until(Duration.ofSeconds(30), "three rounds of requests", () -> hanging.requests() >= 9);

      assertThat(hanging.maxOpen()).isEqualTo(3);
    }
  }

  @Test
  void rateLimitPerSecondKeepsTheArrivalRateNearTheLimit() {
    try (RecordingReceiver receiver = RecordingReceiver.answering(200)) {
      String subscription = node.subscribe(receiver.url(), new JsonObject().put("rate_limit_per_s", 10)).getString("id");
      List<String> webhooks = new ArrayList<>();
      for (int i = 0; i < 60; i++) {
        webhooks.add(node.ingest(subscription, new JsonObject().put("n", i)));
      }
      receiver.awaitDelivered(webhooks, Duration.ofSeconds(30));

      // After the first second's burst, arrivals follow the refill rate.
      List<Long> times = new ArrayList<>(receiver.arrivalTimes());
      times.sort(null);
      List<Long> afterBurst = times.subList(10, times.size());
      double perSecond = (afterBurst.size() - 1) * 1000.0 / (afterBurst.get(afterBurst.size() - 1) - afterBurst.get(0));
      assertThat(perSecond).isBetween(6.0, 14.0);
    }
  }
}
