package io.hookrelay.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.ApiClient;
import io.hookrelay.testing.Await;
import io.hookrelay.testing.Load;
import io.hookrelay.testing.NodeProcess;
import io.hookrelay.testing.RecordingReceiver;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestServers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Chaos 1: the node is killed with kill -9 in the middle of a load and restarted; every 202 is still delivered. */
@Tag("chaos")
class KillNodeChaosTest {
  private static final int WEBHOOKS = 3000;
  private static final int PER_SECOND = 400;
  @Test
  void killNineOnTheEmbeddedDefaultLosesNoAcknowledgedWebhook() throws Exception {
    Map<String, String> env = nodeEnv();
    killMidLoadAndRestart("kill -9 (embedded PostgreSQL + Redis)", env);
  }

  @Test
  void killNineOnExternalServersLosesNoAcknowledgedWebhook() throws Exception {
    Map<String, String> env = nodeEnv();
    env.put("HOOKRELAY_DATABASE_URL", TestServers.freshDatabase());
    env.put("HOOKRELAY_REDIS_URL", TestServers.redisUrl());
    killMidLoadAndRestart("kill -9 (external PostgreSQL + Redis)", env);
  }

  private void killMidLoadAndRestart(String scenario, Map<String, String> env) throws Exception {
    Path log = Path.of("target", "chaos-logs", "kill-" + env.get("HOOKRELAY_HTTP_PORT") + ".log");
    NodeProcess node = NodeProcess.start(env, log, Duration.ofSeconds(120));
    try (Load load = new Load(8); RecordingReceiver receiver = RecordingReceiver.answering(200)) {
      String subscription = new ApiClient(node.baseUrl()).subscribe(receiver.url(), null);
      String ingestUrl = new ApiClient(node.baseUrl()).ingestUrl(subscription);
      load.send(WEBHOOKS / 2, i -> ingestUrl, TestNode.API_KEY, PER_SECOND);
      Await.until(Duration.ofSeconds(60), "a third of the first half acknowledged",
          () -> load.acknowledged().size() >= WEBHOOKS / 6);
      node.kill();
      int acknowledgedAtKill = load.acknowledged().size();
      load.await(Duration.ofSeconds(60)); // the rest of the first half meets a dead node
      node = NodeProcess.start(env, log, Duration.ofSeconds(120));
      load.send(WEBHOOKS / 2, i -> ingestUrl, TestNode.API_KEY, PER_SECOND).await(Duration.ofSeconds(120));
      receiver.awaitDelivered(load.acknowledged(), Duration.ofSeconds(120));

      assertThat(load.unexpectedStatuses()).as(load.summary()).isEmpty();
      ChaosReport.record(scenario, load.sent(), load.acknowledged(), receiver.delivered(), receiver.duplicates(),
          "killed after " + acknowledgedAtKill + " acks; " + load.connectionFailures() + " requests refused while down");
    } finally {
      node.close();
    }
  }

  static Map<String, String> nodeEnv() throws Exception {
    Map<String, String> env = new HashMap<>();
    env.put("HOOKRELAY_HTTP_PORT", Integer.toString(TestNode.freePort()));
    env.put("HOOKRELAY_HTTP_HOST", "127.0.0.1");
    env.put("HOOKRELAY_DATA_DIR", Files.createTempDirectory("hookrelay-chaos").toString());
    env.put("HOOKRELAY_API_KEYS", TestNode.API_KEY);
    env.put("HOOKRELAY_ALLOW_PRIVATE_TARGETS", "true");
    env.put("HOOKRELAY_RETRY_SCHEDULE", "100ms,200ms,300ms,400ms");
    env.put("HOOKRELAY_DELIVERY_TIMEOUT", "2s");
    env.put("HOOKRELAY_VISIBILITY_TIMEOUT", "5s");
    env.put("HOOKRELAY_RECOVERY_INTERVAL", "500ms");
    env.put("HOOKRELAY_RECOVERY_GRACE", "2s");
    env.put("HOOKRELAY_HTTP_INSTANCES", "2");
    env.put("HOOKRELAY_DELIVERY_INSTANCES", "2");
    env.put("HOOKRELAY_DATABASE_POOL_SIZE", "8");
    env.put("HOOKRELAY_SHUTDOWN_TIMEOUT", "5s");
    return env;
  }
}
