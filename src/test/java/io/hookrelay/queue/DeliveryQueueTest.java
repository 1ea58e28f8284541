package io.hookrelay.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.Await;
import io.hookrelay.testing.TestNode;
import io.vertx.core.Context;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Redis side of delivery against a real Redis. */
class DeliveryQueueTest {
  private static TestNode node;
  private static Redis redis;

  @BeforeAll
  static void setUp() {
    node = TestNode.start(Map.of("HOOKRELAY_ROLES", "api"));
    redis = DeliveryQueue.client(node.node.vertx(), node.redisUrl, 1);
  }

  @AfterAll
  static void tearDown() {
    redis.close();
    node.close();
  }

  /**
   * A subscription resumed with a large backlog hands all of it to the queue at once. In one round trip the client
   * refused it (more replies waiting than it allows) and the deliveries waited for the recovery sweep.
   */
  @Test
  void aHundredAndFiftyThousandDeliveriesAreAllQueuedInOneCall() {
    Context context = node.node.vertx().getOrCreateContext();
    DeliveryQueue queue = new DeliveryQueue(redis, "queue-test-" + UUID.randomUUID() + ":");
    int n = 150_000;
    List<UUID> ids = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ids.add(UUID.randomUUID());
    }
    UUID subscription = UUID.randomUUID();
    Await.onContext(context, () -> queue.enqueue(ids, Collections.nCopies(n, subscription)));
    assertThat(Await.onContext(context, queue::streamLength)).isEqualTo(n);
    Await.onContext(context, () -> redis.send(Request.cmd(Command.DEL).arg(queue.stream())));
  }

  /** A look at the retry set moves what is due and says when the next one is, which the poller sleeps until. */
  @Test
  void movingDueRetriesAnswersWhenTheNextOneIsDue() {
    Context context = node.node.vertx().getOrCreateContext();
    DeliveryQueue queue = new DeliveryQueue(redis, "queue-test-" + UUID.randomUUID() + ":");
    long now = System.currentTimeMillis();
    UUID subscription = UUID.randomUUID();
    List<UUID> ids = List.of(UUID.randomUUID(), UUID.randomUUID(), UUID.randomUUID());
    Await.onContext(context, () -> queue.scheduleRetries(ids, Collections.nCopies(3, subscription),
        List.of(now - 1000, now + 9000, now + 5000)));

    DeliveryQueue.Moved first = Await.onContext(context, () -> queue.moveDueRetries(now, 1000));
    assertThat(first).isEqualTo(new DeliveryQueue.Moved(1, now + 5000));
    assertThat(Await.onContext(context, queue::streamLength)).isEqualTo(1);

    DeliveryQueue.Moved rest = Await.onContext(context, () -> queue.moveDueRetries(now + 10_000, 1000));
    assertThat(rest).isEqualTo(new DeliveryQueue.Moved(2, -1));
    assertThat(Await.onContext(context, queue::retryDepth)).isZero();
    Await.onContext(context, () -> redis.send(Request.cmd(Command.DEL).arg(queue.stream())));
  }
}
