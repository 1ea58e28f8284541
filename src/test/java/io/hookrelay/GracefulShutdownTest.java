package io.hookrelay;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.ApiClient;
import io.hookrelay.testing.Await;
import io.hookrelay.testing.NodeProcess;
import io.hookrelay.testing.RecordingReceiver;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver.Answer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SIGTERM while deliveries are in flight: the node exits 0 within its shutdown bound, and a restart delivers the rest. */
class GracefulShutdownTest {

  @Test
  void sigtermWithDeliveriesInFlightExitsZeroAndARestartDeliversEveryAcknowledgedWebhook() {
    Map<String, String> env = new java.util.HashMap<>(TestNode.defaults());
    env.put("HOOKRELAY_SHUTDOWN_TIMEOUT", "5s");
    Path log = Path.of("target", "chaos-logs", "graceful-" + env.get("HOOKRELAY_HTTP_PORT") + ".log");
    try (RecordingReceiver receiver = RecordingReceiver.start(n -> Answer.delayed(200, 1000))) {
      NodeProcess node = NodeProcess.start(env, log, Duration.ofSeconds(90));
      try {
        ApiClient api = new ApiClient(node.baseUrl());
        String subscription = api.subscribe(receiver.url(), new JsonObject().put("max_in_flight", 4));
        List<String> webhooks = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
          TestNode.Response r = api.post("/ingest/" + subscription, new JsonObject().put("n", i));
          assertThat(r.status()).isEqualTo(202);
          webhooks.add(r.json().getString("webhook_id"));
        }
        Await.until(Duration.ofSeconds(20), "deliveries in flight", () -> receiver.requests() >= 2);

        long termAt = System.nanoTime();
        node.terminate();
        Integer exit = node.waitFor(Duration.ofSeconds(30));
        long tookMs = (System.nanoTime() - termAt) / 1_000_000;

        assertThat(exit).as("exit code after SIGTERM (log:\n%s)", node.tail()).isEqualTo(0);
        assertThat(tookMs).as("time to exit with a 5 s shutdown bound").isLessThan(5_000 + 3_000);
        assertThat(receiver.delivered()).as("still undelivered at SIGTERM").hasSizeLessThan(webhooks.size());

        node = NodeProcess.start(env, log, Duration.ofSeconds(90));
        receiver.awaitDelivered(webhooks, Duration.ofSeconds(90));
      } finally {
        node.close();
      }
    }
  }
}
