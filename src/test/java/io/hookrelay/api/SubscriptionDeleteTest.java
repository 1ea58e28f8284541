package io.hookrelay.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.Await;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestServers;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Deleting a subscription while the delivery path holds some of its deliveries. The delivery path locks many
 * deliveries per statement (a claim, a batch of records) in no fixed order, and the delete's cascade locks them all:
 * PostgreSQL may break the two apart as a deadlock, and the client must still get its 204, not a 503.
 */
class SubscriptionDeleteTest {
  private static TestNode node;

  @BeforeAll
  static void start() {
    // The API alone: deliveries stay pending, and this test plays the delivery path's part with its own locks.
    node = TestNode.start(Map.of("HOOKRELAY_ROLES", "api"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void aSubscriptionIsDeletedEvenWhenItsDeletionDeadlocksWithTheDeliveryPath() throws Exception {
    long deadlocksBefore = deadlocks();
    // Holding one delivery, then reaching for the others, deadlocks with the delete's cascade whenever the cascade
    // locked one of the others before waiting on the held one; holding each in turn makes that certain once.
    for (int held = 0; held < 3; held++) {
      String id = node.subscribe("http://127.0.0.1:9/hook", null).getString("id");
      List<String> webhooks = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        webhooks.add(node.ingest(id, new JsonObject().put("n", i)));
      }
      try (Connection c = TestServers.jdbc(node.databaseUrl); Statement s = c.createStatement()) {
        c.setAutoCommit(false);
        s.executeUpdate("UPDATE deliveries SET updated_at = now() WHERE id = '" + webhooks.get(held) + "'");
        CompletableFuture<TestNode.Response> delete =
            CompletableFuture.supplyAsync(() -> node.delete("/subscriptions/" + id));
        Await.until(Duration.ofSeconds(10), "the delete to wait on the held delivery", SubscriptionDeleteTest::deleteWaits);
        s.executeUpdate("UPDATE deliveries SET updated_at = now() WHERE subscription_id = '" + id + "'");
        c.commit();
        TestNode.Response r = delete.get(30, TimeUnit.SECONDS);
        assertThat(r.status()).as(r.toString()).isEqualTo(204);
      }
      assertThat(node.get("/subscriptions/" + id).status()).isEqualTo(404);
      assertThat(node.count("SELECT count(*) FROM deliveries WHERE subscription_id = '" + id + "'")).isZero();
      assertThat(node.count("SELECT count(*) FROM audit_log WHERE action = 'subscription_deleted' AND "
          + "subscription_id = '" + id + "'")).as("one audit entry, not one per try").isEqualTo(1);
    }
    Await.until(Duration.ofSeconds(10), "PostgreSQL to count the deadlock it broke", () -> deadlocks() > deadlocksBefore);
  }

  private static boolean deleteWaits() {
    return node.count("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
        + "AND query LIKE 'WITH s AS (DELETE FROM subscriptions%'") > 0;
  }

  private static long deadlocks() {
    return node.count("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()");
  }
}
