package io.hookrelay.retention;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.RedisCommands;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestServers;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retention deletes attempts and finished messages (with their deliveries) older than the retention period, never
 * a delivery still open, and only one node sweeps at a time.
 */
class RetentionTest {
  private static TestNode node;
  private static String subscription;

  @BeforeAll
  static void start() {
    // No delivery role: the deliveries stay in the states this test gives them.
    node = TestNode.start(Map.of("HOOKRELAY_ROLES", "api,retention", "HOOKRELAY_RETENTION_HOURS", "72"));
    subscription = node.subscribe("http://127.0.0.1:9/hook", null).getString("id");
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @BeforeEach
  void releaseTheLock() {
    // The lock outlives a sweep on purpose (it spaces sweeps out); each test starts without it.
    RedisCommands.call(node.redisUrl, "DEL", node.redisPrefix + "retention-lock");
  }

  @Test
  void oldAttemptsAndFinishedMessagesAreDeletedButOpenDeliveriesAndRecentRowsStay() throws Exception {
    String oldSucceeded = webhookIn("succeeded", 100);
    String oldFailed = webhookIn("failed", 100);
    String oldPending = webhookIn("pending", 100);
    String oldRetrying = webhookIn("retrying", 100);
    String oldHeld = webhookIn("held", 100);
    String recentSucceeded = webhookIn("succeeded", 1);

    long deleted = sweep(newRetentionVerticle()).get(0);

    assertThat(deleted).isPositive();
    assertThat(exists(oldSucceeded)).as("old succeeded delivery").isFalse();
    assertThat(exists(oldFailed)).as("old failed delivery").isFalse();
    assertThat(node.count("SELECT count(*) FROM attempts WHERE delivery_id IN ('" + oldSucceeded + "', '"
        + oldFailed + "')")).isZero();
    assertThat(exists(oldPending)).as("old pending delivery").isTrue();
    assertThat(exists(oldRetrying)).as("old retrying delivery").isTrue();
    assertThat(exists(oldHeld)).as("old held delivery").isTrue();
    assertThat(exists(recentSucceeded)).as("recent delivery").isTrue();
    assertThat(node.count("SELECT count(*) FROM attempts WHERE delivery_id = '" + recentSucceeded + "'")).isEqualTo(1);
    assertThat(node.count("SELECT count(*) FROM messages m JOIN deliveries d ON d.message_id = m.id WHERE d.id IN ('"
        + oldPending + "', '" + oldRetrying + "', '" + oldHeld + "')")).isEqualTo(3);
  }

  @Test
  void aFinishedMessageTakesItsDeliveryAndEveryAttemptOfItEvenARecentOne() throws Exception {
    String old = webhookIn("succeeded", 100);
    // Retried by hand an hour ago: the attempt is within the retention period, its message is not.
    try (Connection c = TestServers.jdbc(node.databaseUrl); Statement s = c.createStatement()) {
      s.execute("INSERT INTO attempts (delivery_id, subscription_id, target_url, attempt_number, started_at, "
          + "duration_ms, outcome, status_code) VALUES ('" + old + "', '" + subscription
          + "', 'http://127.0.0.1:9/hook', 2, now() - interval '1 hour', 5, 'Success', 200)");
    }

    sweep(newRetentionVerticle());

    assertThat(exists(old)).isFalse();
    assertThat(node.count("SELECT count(*) FROM attempts WHERE delivery_id = '" + old + "'"))
        .as("no attempt outlives its delivery").isZero();
  }

  @Test
  void twoNodesSweepingAtOnceDeleteOnlyOnce() throws Exception {
    for (int i = 0; i < 5; i++) {
      webhookIn("succeeded", 100);
    }
    RetentionVerticle first = newRetentionVerticle();
    RetentionVerticle second = newRetentionVerticle();

    List<Long> deleted = sweep(first, second);

    assertThat(deleted).containsOnlyOnce(0L);
    assertThat(deleted.stream().mapToLong(Long::longValue).sum()).isPositive();
  }

  /** A webhook whose delivery is in {@code status}, created (with one attempt) {@code hoursAgo} hours ago. */
  private static String webhookIn(String status, int hoursAgo) throws Exception {
    String id = node.ingest(subscription, new JsonObject().put("status", status));
    try (Connection c = TestServers.jdbc(node.databaseUrl); Statement s = c.createStatement()) {
      String ago = "now() - interval '" + hoursAgo + " hours'";
      s.execute("UPDATE deliveries SET status = '" + status + "', created_at = " + ago + ", updated_at = " + ago
          + " WHERE id = '" + id + "'");
      s.execute("UPDATE messages SET created_at = " + ago + " WHERE id = (SELECT message_id FROM deliveries WHERE id = '"
          + id + "')");
      s.execute("INSERT INTO attempts (delivery_id, subscription_id, target_url, attempt_number, started_at, duration_ms, "
          + "outcome, status_code) VALUES ('" + id + "', '" + subscription + "', 'http://127.0.0.1:9/hook', 1, " + ago
          + ", 5, 'Failed Attempt', 500)");
    }
    return id;
  }

  private static boolean exists(String deliveryId) {
    return node.count("SELECT count(*) FROM deliveries WHERE id = '" + deliveryId + "'") == 1;
  }

  private static RetentionVerticle newRetentionVerticle() throws Exception {
    RetentionVerticle verticle = new RetentionVerticle(node.node.config());
    node.node.vertx().deployVerticle(verticle).toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    return verticle;
  }

  /** Starts a sweep on each verticle at the same time; answers the rows each deleted. */
  private static List<Long> sweep(RetentionVerticle... verticles) throws Exception {
    List<Future<Long>> sweeps = java.util.Arrays.stream(verticles).map(RetentionVerticle::sweep).toList();
    Future.all(sweeps).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    return sweeps.stream().map(Future::result).toList();
  }
}
