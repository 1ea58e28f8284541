package io.hookrelay.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.embedded.EmbeddedPostgres;
import io.hookrelay.testing.Await;
import io.hookrelay.testing.Load;
import io.hookrelay.testing.RecordingReceiver;
import io.hookrelay.testing.TestNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Chaos 3: PostgreSQL stops for ten seconds in the middle of a load: ingest answers 503 meanwhile, no 202 is lost. */
@Tag("chaos")
class PostgresOutageChaosTest {
  private static final int WEBHOOKS = 2000;
  private static final int PER_SECOND = 100;

  @Test
  void postgresDownTenSecondsGives503sAndLosesNoAcknowledgedWebhook() throws Exception {
    Path dir = Files.createTempDirectory("hookrelay-chaos-pg").resolve("postgres");
    EmbeddedPostgres postgres = EmbeddedPostgres.start(dir);
    int port = postgres.port();
    TestNode node = null;
    try (RecordingReceiver receiver = RecordingReceiver.answering(200); Load load = new Load(8)) {
      node = TestNode.start(Map.of("HOOKRELAY_DATABASE_URL", postgres.url()));
      String subscription = node.subscribe(receiver.url(), null).getString("id");
      String ingestUrl = node.baseUrl + "/ingest/" + subscription;
      load.send(WEBHOOKS, i -> ingestUrl, TestNode.API_KEY, PER_SECOND);
      Await.until(Duration.ofSeconds(60), "a quarter acknowledged", () -> load.acknowledged().size() >= WEBHOOKS / 4);
      postgres.close();
      long downAt = System.nanoTime();
      int acknowledgedAtStop = load.acknowledged().size();
      Await.until(Duration.ofSeconds(20), "ten seconds of PostgreSQL down",
          () -> System.nanoTime() - downAt > 10_000_000_000L);
      int acknowledgedWhileDown = load.acknowledged().size() - acknowledgedAtStop;
      int unavailable = load.count(503);
      postgres = EmbeddedPostgres.start(dir, port);
      load.await(Duration.ofSeconds(60));
      receiver.awaitDelivered(load.acknowledged(), Duration.ofSeconds(120));

      assertThat(load.unexpectedStatuses()).as(load.summary()).isEmpty();
      assertThat(unavailable).as("503s while PostgreSQL was down").isPositive();
      ChaosReport.record("PostgreSQL stopped 10 s", load.sent(), load.acknowledged(), receiver.delivered(),
          receiver.duplicates(), load.count(503) + " answered 503 (" + unavailable + " during the outage), "
              + acknowledgedWhileDown + " answered 202 during it");
    } finally {
      if (node != null) {
        node.close();
      }
      postgres.close();
    }
  }
}
