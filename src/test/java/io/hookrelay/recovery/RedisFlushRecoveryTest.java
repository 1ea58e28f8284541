package io.hookrelay.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.embedded.EmbeddedRedis;
import io.hookrelay.testing.RecordingReceiver;
import io.hookrelay.testing.RedisCommands;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver.Answer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Redis may lose all its data while deliveries are pending: PostgreSQL rebuilds the queue and nothing is lost. */
class RedisFlushRecoveryTest {
  private static EmbeddedRedis redis;
  private static TestNode node;

  @BeforeAll
  static void start() throws Exception {
    redis = EmbeddedRedis.start(Files.createTempDirectory("hookrelay-flush").resolve("redis"));
    node = TestNode.start(Map.of("HOOKRELAY_REDIS_URL", redis.url()));
  }

  @AfterAll
  static void stop() {
    node.close();
    redis.close();
  }

  @Test
  void webhooksPendingWhenRedisIsFlushedAreAllDeliveredAndNewOnesToo() {
    // Slow and capped at 2 at a time: most of the 40 are still in the Redis queue when it is flushed.
    try (RecordingReceiver receiver = RecordingReceiver.start(n -> Answer.delayed(200, 200))) {
      String subscription = node.subscribe(receiver.url(), new JsonObject().put("max_in_flight", 2)).getString("id");
      List<String> webhooks = new ArrayList<>();
      for (int i = 0; i < 40; i++) {
        webhooks.add(node.ingest(subscription, new JsonObject().put("n", i)));
      }
      RedisCommands.call(redis.url(), "FLUSHALL");
      assertThat(receiver.delivered()).as("still pending at the flush").hasSizeLessThan(40);
      for (int i = 40; i < 50; i++) {
        webhooks.add(node.ingest(subscription, new JsonObject().put("n", i)));
      }

      receiver.awaitDelivered(webhooks, Duration.ofSeconds(60));
      for (String id : webhooks) {
        assertThat(node.awaitStatus(id, Duration.ofSeconds(20), "succeeded").getString("status")).isEqualTo("succeeded");
      }
      assertThat(RedisCommands.call(redis.url(), "EXISTS", node.redisPrefix + "epoch")).as("epoch marker rebuilt")
          .isEqualTo("1");
    }
  }
}
