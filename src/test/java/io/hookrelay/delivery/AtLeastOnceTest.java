package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.bus.Addresses;
import io.hookrelay.bus.Dispatch;
import io.hookrelay.testing.Await;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import io.hookrelay.testing.TestServers;
import io.hookrelay.testing.TestReceiver.Answer;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.deployment.DeploymentContext;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * At-least-once, and not more than needed: an entry whose delivery verticle went away mid-attempt is claimed again
 * from the Redis stream and delivered; an entry queued twice is attempted once.
 */
class AtLeastOnceTest {
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  private static TestNode node;
  private static Vertx clientVertx;
  private static Redis redis;
  private final List<TestReceiver> receivers = new ArrayList<>();

  @BeforeAll
  static void startNode() {
    node = TestNode.start(Map.of(
        "HOOKRELAY_DELIVERY_TIMEOUT", "2s",
        "HOOKRELAY_VISIBILITY_TIMEOUT", "3s",
        // An undeployed delivery verticle waits at most half of this for attempts under way: less than the hang.
        "HOOKRELAY_SHUTDOWN_TIMEOUT", "1s",
        // No recovery sweep during the test: only the stream's own claim (XAUTOCLAIM) may bring the entry back.
        "HOOKRELAY_RECOVERY_INTERVAL", "1h"));
    clientVertx = Vertx.vertx();
    redis = Redis.createClient(clientVertx, node.redisUrl);
  }

  @AfterAll
  static void stopNode() {
    redis.close();
    await(clientVertx.close());
    node.close();
  }

  @AfterEach
  void closeReceivers() {
    receivers.forEach(TestReceiver::close);
  }

  @Test
  void anEntryWhoseDeliveryVerticleWentAwayMidAttemptIsClaimedAgainAndDelivered() {
    TestReceiver receiver = receiver(n -> n == 1 ? Answer.hangUp() : Answer.status(200));
    String webhookId = node.ingest(node.subscribe(receiver.url(), null).getString("id"), new JsonObject().put("a", 1));
    receiver.awaitCount(1, DEADLINE);

    // The attempt hangs: take every delivery verticle away under it, then bring a fresh one.
    Vertx vertx = node.node.vertx();
    for (String id : deliveryDeployments()) {
      await(vertx.undeploy(id));
    }
    assertThat(deliveryDeployments()).isEmpty();
    await(vertx.deployVerticle(() -> new DeliveryVerticle(node.node.config(), node.node.metrics(), io.hookrelay.tracing.Tracing.OFF), new DeploymentOptions().setInstances(1)));

    JsonObject status = node.awaitStatus(webhookId, DEADLINE, "succeeded");
    assertThat(receiver.count()).isEqualTo(2);
    assertThat(receiver.received()).extracting(r -> r.header("webhook-id")).containsOnly(webhookId);
    assertThat(status.getString("final_outcome")).isEqualTo("Success");
  }

  @Test
  void aDeliveryQueuedTwiceIsAttemptedOnce() {
    TestReceiver receiver = receiver(n -> Answer.delayed(200, 1000));
    String subscriptionId = node.subscribe(receiver.url(), null).getString("id");
    String webhookId = node.ingest(subscriptionId, new JsonObject().put("once", true));
    receiver.awaitCount(1, DEADLINE);

    xadd(webhookId, subscriptionId); // while the first attempt is under way
    node.awaitStatus(webhookId, DEADLINE, "succeeded");
    xadd(webhookId, subscriptionId); // after it succeeded
    Await.until(DEADLINE, "the duplicate entries to be consumed", () -> streamLength() == 0);

    assertThat(receiver.count()).isEqualTo(1);
    JsonArray attempts = node.status(webhookId).getJsonArray("recent_attempts");
    assertThat(attempts).hasSize(1);
  }

  @Test
  void aDeliveryTwiceInOneBatchIsAttemptedOnceAndBothEntriesAreDone() throws Exception {
    TestReceiver receiver = receiver(n -> Answer.status(200));
    String subscriptionId = node.subscribe(receiver.url(), null).getString("id");
    String webhookId = node.ingest(subscriptionId, new JsonObject().put("batch", true));
    node.awaitStatus(webhookId, DEADLINE, "succeeded");

    // Due again (as a retry would be), then handed to a delivery verticle twice in one batch, as one read of a
    // stream holding two entries for it would: one claim statement answers the row once.
    try (Connection c = TestServers.jdbc(node.databaseUrl); Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE deliveries SET status = 'retrying', next_attempt_at = now() WHERE id = '"
          + webhookId + "'");
    }
    Vertx vertx = node.node.vertx();
    String replyTo = "test.completions." + webhookId;
    List<String> done = new java.util.concurrent.CopyOnWriteArrayList<>();
    MessageConsumer<JsonObject> completions = vertx.eventBus().consumer(replyTo, m -> {
      JsonArray entries = m.body().getJsonArray("done");
      if (entries != null) {
        entries.forEach(e -> done.add((String) e));
      }
    });
    await(completions.completion());
    try {
      await(vertx.eventBus().request(Addresses.DELIVERY_DISPATCH, Dispatch.batch(replyTo,
          new JsonArray().add("1-1").add(webhookId).add(subscriptionId).add("1-2").add(webhookId).add(subscriptionId))));
      Await.until(DEADLINE, "both entries to be reported done", () -> done.size() == 2);
    } finally {
      await(completions.unregister());
    }
    assertThat(done).containsExactlyInAnyOrder("1-1", "1-2");
    assertThat(node.count("SELECT count(*) FROM attempts WHERE delivery_id = '" + webhookId + "'")).isEqualTo(2);
    assertThat(receiver.count()).isEqualTo(2);
  }

  // --- helpers ---

  private TestReceiver receiver(java.util.function.Function<Integer, Answer> script) {
    TestReceiver r = TestReceiver.start(script);
    receivers.add(r);
    return r;
  }

  private static List<String> deliveryDeployments() {
    VertxInternal vertx = (VertxInternal) node.node.vertx();
    List<String> ids = new ArrayList<>();
    for (String id : vertx.deploymentIDs()) {
      DeploymentContext context = vertx.deploymentManager().deployment(id);
      if (context != null && context.deployment().instances().stream().anyMatch(v -> v instanceof DeliveryVerticle)) {
        ids.add(id);
      }
    }
    return ids;
  }

  /** The entry ingest would write, added again by hand. */
  private static void xadd(String webhookId, String subscriptionId) {
    await(redis.send(Request.cmd(Command.XADD).arg(node.redisPrefix + "deliveries").arg("*")
        .arg("d").arg(webhookId).arg("s").arg(subscriptionId)));
  }

  private static long streamLength() {
    return await(redis.send(Request.cmd(Command.XLEN).arg(node.redisPrefix + "deliveries"))).toLong();
  }

  private static <T> T await(Future<T> future) {
    try {
      return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
