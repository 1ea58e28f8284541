package io.hookrelay.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.Await;
import io.hookrelay.testing.Load;
import io.hookrelay.testing.RecordingReceiver;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver.Answer;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Chaos 4: receivers that misbehave (500 half of the time, reset connections, hang past the timeout) get every
 * webhook in the end; a receiver that never recovers gets each one the configured number of times, then it is failed.
 */
@Tag("chaos")
class FlakyReceiversChaosTest {
  private static final int WEBHOOKS = 400;
  private static final int MAX_ATTEMPTS = 4;
  private static TestNode node;

  @BeforeAll
  static void start() {
    // The circuit breaker is off here: this scenario is about retries; CircuitBreakerTest covers the breaker.
    node = TestNode.start(Map.of("HOOKRELAY_MAX_ATTEMPTS", Integer.toString(MAX_ATTEMPTS),
        "HOOKRELAY_CIRCUIT_BREAKER_THRESHOLD", "0"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void aReceiverAnswering500HalfOfTheTimeGetsEveryWebhook() {
    endsSucceeded("receiver answers 500 to half of the first attempts",
        a -> a.attempt() == 1 && a.oddHalf() ? Answer.status(500) : Answer.status(200));
  }

  @Test
  void aReceiverResettingConnectionsGetsEveryWebhook() {
    endsSucceeded("receiver resets half of the first attempts",
        a -> a.attempt() == 1 && a.oddHalf() ? Answer.resetConnection() : Answer.status(200));
  }

  @Test
  void aReceiverHangingPastTheTimeoutGetsEveryWebhook() {
    endsSucceeded("receiver hangs past the 2 s timeout on half of the first attempts",
        a -> a.attempt() == 1 && a.oddHalf() ? Answer.hangUp() : Answer.status(200));
  }

  @Test
  void aReceiverThatNeverRecoversEndsFailedAfterTheConfiguredAttempts() {
    try (RecordingReceiver receiver = RecordingReceiver.answering(500); Load load = new Load(4)) {
      String subscription = node.subscribe(receiver.url(), null).getString("id");
      load.send(WEBHOOKS / 4, i -> node.baseUrl + "/ingest/" + subscription, TestNode.API_KEY, 0)
          .await(Duration.ofSeconds(60));
      String finished = "FROM deliveries WHERE subscription_id = '" + subscription + "' AND status = 'failed'";
      Await.until(Duration.ofSeconds(60), "every delivery failed",
          () -> node.count("SELECT count(*) " + finished) == load.acknowledged().size());

      assertThat(node.count("SELECT count(*) " + finished + " AND attempt_count = " + MAX_ATTEMPTS))
          .isEqualTo(load.acknowledged().size());
      assertThat(receiver.requests()).isEqualTo(load.acknowledged().size() * MAX_ATTEMPTS);
      ChaosReport.record("receiver never recovers (always 500)", load.sent(), load.acknowledged(),
          receiver.delivered(), receiver.duplicateSuccesses(),
          "all failed after exactly " + MAX_ATTEMPTS + " attempts (" + receiver.requests() + " requests)");
    }
  }

  private void endsSucceeded(String scenario, Function<RecordingReceiver.Arrival, Answer> script) {
    try (RecordingReceiver receiver = RecordingReceiver.scripted(script); Load load = new Load(4)) {
      String subscription = node.subscribe(receiver.url(), null).getString("id");
      load.send(WEBHOOKS, i -> node.baseUrl + "/ingest/" + subscription, TestNode.API_KEY, 0)
          .await(Duration.ofSeconds(60));
      String succeeded = "SELECT count(*) FROM deliveries WHERE subscription_id = '" + subscription
          + "' AND status = 'succeeded'";
      Await.until(Duration.ofSeconds(90), "every delivery succeeded",
          () -> node.count(succeeded) == load.acknowledged().size());

      assertThat(receiver.succeeded()).containsAll(load.acknowledged());
      ChaosReport.record(scenario, load.sent(), load.acknowledged(), receiver.succeeded(),
          receiver.duplicateSuccesses(), "all succeeded; " + receiver.requests() + " requests in all");
    }
  }
}
