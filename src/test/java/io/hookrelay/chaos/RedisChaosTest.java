package io.hookrelay.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.embedded.EmbeddedRedis;
import io.hookrelay.testing.Await;
import io.hookrelay.testing.Load;
import io.hookrelay.testing.RecordingReceiver;
import io.hookrelay.testing.RedisCommands;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver.Answer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Chaos 2: Redis loses everything in the middle of a load, by FLUSHALL, or by being stopped for ten seconds and
 * started again empty. PostgreSQL rebuilds the queue and every 202 is delivered.
 */
@Tag("chaos")
class RedisChaosTest {
  private static final int WEBHOOKS = 1500;
  private static final int PER_SECOND = 300;
  private static Path redisDir;
  private static int redisPort;
  private static EmbeddedRedis redis;
  private static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    redisDir = Files.createTempDirectory("hookrelay-chaos-redis");
    redis = EmbeddedRedis.start(redisDir.resolve("redis"));
    redisPort = redis.port();
    node = TestNode.start(Map.of("HOOKRELAY_REDIS_URL", redis.url()));
  }

  @AfterAll
  static void stop() {
    node.close();
    redis.close();
  }

  @Test
  void flushAllMidLoadLosesNoAcknowledgedWebhook() {
    // A receiver slower than the load, so that most webhooks sit in Redis when it is flushed.
    try (RecordingReceiver receiver = RecordingReceiver.start(n -> Answer.delayed(200, 50)); Load load = new Load(8)) {
      String subscription = node.subscribe(receiver.url(), new JsonObject().put("max_in_flight", 8)).getString("id");
      load.send(WEBHOOKS, i -> node.baseUrl + "/ingest/" + subscription, TestNode.API_KEY, PER_SECOND);
      Await.until(Duration.ofSeconds(60), "a third acknowledged", () -> load.acknowledged().size() >= WEBHOOKS / 3);
      int delivered = receiver.delivered().size();
      RedisCommands.call(redis.url(), "FLUSHALL");
      load.await(Duration.ofSeconds(60));
      receiver.awaitDelivered(load.acknowledged(), Duration.ofSeconds(120));

      assertThat(load.unexpectedStatuses()).as(load.summary()).isEmpty();
      ChaosReport.record("Redis FLUSHALL mid-load", load.sent(), load.acknowledged(), receiver.delivered(),
          receiver.duplicates(), "flushed with " + (load.acknowledged().size() - delivered) + " acknowledged not yet delivered");
    }
  }

  @Test
  void redisDownTenSecondsAndBackEmptyLosesNoAcknowledgedWebhook() throws Exception {
    try (RecordingReceiver receiver = RecordingReceiver.start(n -> Answer.delayed(200, 50)); Load load = new Load(8)) {
      String subscription = node.subscribe(receiver.url(), new JsonObject().put("max_in_flight", 8)).getString("id");
      load.send(WEBHOOKS, i -> node.baseUrl + "/ingest/" + subscription, TestNode.API_KEY, PER_SECOND / 3.0);
      Await.until(Duration.ofSeconds(60), "a fifth acknowledged", () -> load.acknowledged().size() >= WEBHOOKS / 5);
      redis.close();
      long downAt = System.nanoTime();
      deleteRecursively(redisDir.resolve("redis"));
      int acknowledgedAtStop = load.acknowledged().size();
      Await.until(Duration.ofSeconds(20), "ten seconds of Redis down", () -> System.nanoTime() - downAt > 10_000_000_000L);
      int acknowledgedWhileDown = load.acknowledged().size() - acknowledgedAtStop;
      redis = EmbeddedRedis.start(redisDir.resolve("redis"), redisPort);
      load.await(Duration.ofSeconds(60));
      receiver.awaitDelivered(load.acknowledged(), Duration.ofSeconds(120));

      assertThat(load.unexpectedStatuses()).as(load.summary()).isEmpty();
      ChaosReport.record("Redis stopped 10 s, restarted empty", load.sent(), load.acknowledged(), receiver.delivered(),
          receiver.duplicates(), acknowledgedWhileDown + " acknowledged while Redis was down");
    }
  }

  static void deleteRecursively(Path dir) throws java.io.IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
