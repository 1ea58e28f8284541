package io.hookrelay.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.Load;
import io.hookrelay.testing.RecordingReceiver;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver.Answer;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Chaos 5: one subscription whose endpoint hangs until the timeout, with hundreds of webhooks queued, must not slow a
 * healthy one: the healthy one's delivery lag (receiver arrival minus ingest) stays within a small multiple of its lag
 * when alone, and the hanging endpoint never has more requests open than its max_in_flight.
 */
@Tag("chaos")
class FairnessChaosTest {
  private static final int HEALTHY_WEBHOOKS = 200;
  private static final int HEALTHY_PER_SECOND = 50;
  private static final int HANGING_WEBHOOKS = 500;
  private static final int HANGING_CAP = 4;
  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of("HOOKRELAY_CIRCUIT_BREAKER_THRESHOLD", "0", "HOOKRELAY_DELIVERY_TIMEOUT", "2s"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void aHangingEndpointDoesNotSlowAHealthyOne() {
    try (RecordingReceiver healthy = RecordingReceiver.answering(200);
        RecordingReceiver hanging = RecordingReceiver.start(n -> Answer.hangUp())) {
      String healthySub = node.subscribe(healthy.url(), null).getString("id");
      String hangingSub = node.subscribe(hanging.url(), new JsonObject().put("max_in_flight", HANGING_CAP))
          .getString("id");

      healthyLag(healthy, healthySub); // warm-up: the first requests of a JVM measure the JIT, not fairness
      Lag alone = healthyLag(healthy, healthySub);

      try (Load flood = new Load(4)) {
        flood.send(HANGING_WEBHOOKS, i -> node.baseUrl + "/ingest/" + hangingSub, TestNode.API_KEY, 0)
            .await(Duration.ofSeconds(60));
      }
      Lag withHang = healthyLag(healthy, healthySub);

      String notes = String.format("healthy lag alone p50 %d ms / p99 %d ms; beside a hanging endpoint with %d queued: "
              + "p50 %d ms / p99 %d ms; at most %d requests open at the hanging endpoint (max_in_flight %d)",
          alone.p50, alone.p99, HANGING_WEBHOOKS, withHang.p50, withHang.p99, hanging.maxOpen(), HANGING_CAP);
      java.util.Set<String> acknowledged = new java.util.HashSet<>(alone.load.acknowledged());
      acknowledged.addAll(withHang.load.acknowledged());
      ChaosReport.record("fairness: healthy endpoint alone, then beside a hanging one", alone.load.sent()
          + withHang.load.sent(), acknowledged, measured(healthy.delivered(), acknowledged), healthy.duplicates(), notes);
      assertThat(withHang.p99).as(notes).isLessThanOrEqualTo(5 * alone.p99 + 1000);
      assertThat(hanging.maxOpen()).as(notes).isLessThanOrEqualTo(HANGING_CAP);
    }
  }

  /** The delivered webhooks of the measured phases (the receiver also got the warm-up's). */
  private static java.util.Set<String> measured(java.util.Set<String> delivered, java.util.Set<String> acknowledged) {
    java.util.Set<String> out = new java.util.HashSet<>(delivered);
    out.retainAll(acknowledged);
    return out;
  }

  private record Lag(Load load, long p50, long p99) {}

  private static Lag healthyLag(RecordingReceiver healthy, String subscription) {
    try (Load load = new Load(4)) {
      load.send(HEALTHY_WEBHOOKS, i -> node.baseUrl + "/ingest/" + subscription, TestNode.API_KEY, HEALTHY_PER_SECOND)
          .await(Duration.ofSeconds(60));
      healthy.awaitDelivered(load.acknowledged(), Duration.ofSeconds(60));
      List<Long> lags = new ArrayList<>();
      for (String id : load.acknowledged()) {
        lags.add(healthy.firstArrival(id) - load.sentAt(id));
      }
      Collections.sort(lags);
      return new Lag(load, lags.get(lags.size() / 2), lags.get((int) Math.ceil(lags.size() * 0.99) - 1));
    }
  }
}
