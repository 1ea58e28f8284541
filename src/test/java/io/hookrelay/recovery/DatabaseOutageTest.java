package io.hookrelay.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.embedded.EmbeddedPostgres;
import io.hookrelay.testing.Await;
import io.hookrelay.testing.RecordingReceiver;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver.Answer;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * While PostgreSQL is unreachable, ingest answers 503 (never 202), /ready fails, and delivery pauses without
 * burning attempts; when it returns on the same data, everything resumes by itself.
 */
class DatabaseOutageTest {

  @Test
  void anOutageRefusesIngestPausesDeliveryAndEverythingResumesWhenTheDatabaseReturns() throws Exception {
    Path dir = Files.createTempDirectory("hookrelay-outage").resolve("postgres");
    EmbeddedPostgres postgres = EmbeddedPostgres.start(dir);
    int port = postgres.port();
    TestNode node = null;
    // Slow and capped at 2 at a time, so that most webhooks are still waiting when the database goes away.
    try (RecordingReceiver receiver = RecordingReceiver.start(n -> Answer.delayed(200, 300))) {
      node = TestNode.start(Map.of("HOOKRELAY_DATABASE_URL", postgres.url()));
      String subscription = node.subscribe(receiver.url(), new JsonObject().put("max_in_flight", 2)).getString("id");
      List<String> webhooks = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        webhooks.add(node.ingest(subscription, new JsonObject().put("n", i)));
      }

      postgres.close();
      TestNode n = node;
      long downAt = System.nanoTime();
      assertThat(n.post("/ingest/" + subscription, new JsonObject().put("n", "down")).status()).isEqualTo(503);
      assertThat(n.get("/ready").status()).isEqualTo(503);
      // Stay down past the delivery timeout and a few recovery passes, so that delivery has had its chances to burn.
      Await.until(Duration.ofSeconds(20), "five seconds of outage", () -> System.nanoTime() - downAt > 5_000_000_000L);
      assertThat(n.post("/ingest/" + subscription, new JsonObject().put("n", "still down")).status()).isEqualTo(503);

      postgres = EmbeddedPostgres.start(dir, port);
      Await.until(Duration.ofSeconds(30), "/ready after the database returned", () -> n.get("/ready").status() == 200);
      webhooks.add(node.ingest(subscription, new JsonObject().put("n", "after")));

      receiver.awaitDelivered(webhooks, Duration.ofSeconds(60));
      for (String id : webhooks) {
        JsonObject status = node.awaitStatus(id, Duration.ofSeconds(30), "succeeded");
        assertThat(status.getInteger("total_attempts")).as("attempts of %s", id).isEqualTo(1);
      }
      assertThat(node.count("SELECT count(*) FROM attempts WHERE outcome <> 'Success'")).isZero();
    } finally {
      if (node != null) {
        node.close();
      }
      postgres.close();
    }
  }
}
