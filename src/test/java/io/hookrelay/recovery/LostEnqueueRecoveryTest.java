package io.hookrelay.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.tenant.Scope;
import io.hookrelay.testing.Await;
import io.hookrelay.testing.RecordingReceiver;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver.Answer;
import io.hookrelay.testing.TestServers;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The periodic sweep finds, through deliveries_open, the deliveries that PostgreSQL holds and Redis never got (the
 * enqueue after the commit failed) or whose worker died under its lease, and delivers them; rows left behind by a
 * deleted delivery are dropped.
 */
class LostEnqueueRecoveryTest {
  private static TestNode node;
  private static RecordingReceiver receiver;
  private static String subscription;

  @BeforeAll
  static void start() {
    node = TestNode.start();
    receiver = RecordingReceiver.answering(200);
    subscription = node.subscribe(receiver.url(), null).getString("id");
  }

  @AfterAll
  static void stop() {
    receiver.close();
    node.close();
  }

  @Test
  void aCommittedDeliveryThatRedisNeverGotAndOneWhoseWorkerDiedAreBothDelivered() throws Exception {
    UUID lost = UUID.randomUUID();
    UUID abandoned = UUID.randomUUID();
    // What ingest commits, without the enqueue that follows it; and a claim whose lease lapsed a minute ago.
    sql("INSERT INTO messages (id, event_type, payload, payload_sha256, tenant_id) VALUES "
        + "('" + lost + "', 'order.created', convert_to('{\"n\":1}', 'UTF8'), sha256(''::bytea), '" + Scope.DEFAULT_TENANT + "'), "
        + "('" + abandoned + "', 'order.created', convert_to('{\"n\":2}', 'UTF8'), sha256(''::bytea), '" + Scope.DEFAULT_TENANT + "')",
        "INSERT INTO deliveries (id, message_id, subscription_id, event_type, status, next_attempt_at, lease_until, "
        + "tenant_id) VALUES ('" + lost + "', '" + lost + "', '" + subscription + "', 'order.created', 'pending', now(), "
        + "NULL, '" + Scope.DEFAULT_TENANT + "'), ('" + abandoned + "', '" + abandoned + "', '" + subscription
        + "', 'order.created', 'delivering', now() - interval '2 minutes', now() - interval '1 minute', '"
        + Scope.DEFAULT_TENANT + "')",
        "INSERT INTO deliveries_open (delivery_id, due_at) VALUES ('" + lost + "', now()), "
        + "('" + abandoned + "', now() - interval '2 minutes')");

    receiver.awaitDelivered(List.of(lost.toString(), abandoned.toString()), Duration.ofSeconds(30));
    for (UUID id : List.of(lost, abandoned)) {
      assertThat(node.awaitStatus(id.toString(), Duration.ofSeconds(10), "succeeded").getString("status"))
          .isEqualTo("succeeded");
    }
    Await.until(Duration.ofSeconds(10), "both to have left deliveries_open", () -> node.count(
        "SELECT count(*) FROM deliveries_open WHERE delivery_id IN ('" + lost + "', '" + abandoned + "')") == 0);
  }

  @Test
  void anOpenRowWhoseDeliveryIsGoneIsDropped() throws Exception {
    UUID gone = UUID.randomUUID();
    sql("INSERT INTO deliveries_open (delivery_id, due_at) VALUES ('" + gone + "', now() - interval '1 minute')");
    Await.until(Duration.ofSeconds(20), "the sweep to drop the row",
        () -> node.count("SELECT count(*) FROM deliveries_open WHERE delivery_id = '" + gone + "'") == 0);
  }

  @Test
  void deletingASubscriptionTakesItsOpenDeliveriesOutOfTheSweep() {
    // The attempt hangs past the delivery timeout, so the delete lands while the delivery is open and in flight.
    try (RecordingReceiver hanging = RecordingReceiver.start(n -> Answer.delayed(10_000, 200))) {
      String other = node.subscribe(hanging.url(), null).getString("id");
      String pending = node.ingest(other, new JsonObject().put("n", 4));
      assertThat(node.count("SELECT count(*) FROM deliveries_open WHERE delivery_id = '" + pending + "'")).isEqualTo(1);
      assertThat(node.delete("/subscriptions/" + other).status()).isEqualTo(204);
      assertThat(node.count("SELECT count(*) FROM deliveries_open WHERE delivery_id = '" + pending + "'"))
          .as("the delete took the open row with the delivery").isZero();
    }
  }

  private static void sql(String... statements) throws Exception {
    try (Connection c = TestServers.jdbc(node.databaseUrl); Statement s = c.createStatement()) {
      for (String statement : statements) {
        s.execute(statement);
      }
    }
  }
}
