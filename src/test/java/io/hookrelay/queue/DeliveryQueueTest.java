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
}
