package io.hookrelay;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The embedded default keeps everything across a restart on the same data dir: a node with no database or Redis
 * URL and no API key is started, used, stopped and started again.
 */
class RestartTest {
  private static TestReceiver receiver;
  private static TestNode second;
  private static Map<String, String> env;
  private static String firstKey;
  private static String subscriptionId;
  private static String webhookId;

  @BeforeAll
  static void runAndRestart() throws Exception {
    receiver = TestReceiver.answering(200);
    env = new HashMap<>(TestNode.defaults());
    env.remove("HOOKRELAY_DATABASE_URL");
    env.remove("HOOKRELAY_REDIS_URL");
    env.remove("HOOKRELAY_API_KEYS");
    env.put("HOOKRELAY_DATA_DIR", Files.createTempDirectory("hookrelay-restart").toString());

    try (TestNode first = TestNode.startWith(env)) {
      firstKey = storedKey();
      Map<String, String> auth = Map.of("Authorization", "Bearer " + firstKey);
      TestNode.Response created = first.send("POST", "/subscriptions",
          new JsonObject().put("target_url", receiver.url()).encode(), auth);
      assertThat(created.status()).as(created.toString()).isEqualTo(201);
      subscriptionId = created.json().getString("id");
      TestNode.Response ingested = first.send("POST", "/ingest/" + subscriptionId, "{\"kept\":true}", auth);
      assertThat(ingested.status()).as(ingested.toString()).isEqualTo(202);
      webhookId = ingested.json().getString("webhook_id");
    }
    second = TestNode.startWith(env);
  }

  @AfterAll
  static void stop() {
    if (second != null) {
      second.close();
    }
    receiver.close();
  }

  private static String storedKey() throws Exception {
    return Files.readString(Path.of(env.get("HOOKRELAY_DATA_DIR"), "api-key"), StandardCharsets.UTF_8).trim();
  }

  private static TestNode.Response get(String path) {
    return second.send("GET", path, null, Map.of("Authorization", "Bearer " + firstKey));
  }

  @Test
  void theNodeRanOnEmbeddedServersInItsDataDir() {
    Path dataDir = Path.of(env.get("HOOKRELAY_DATA_DIR"));
    assertThat(second.node.config().embeddedDatabase()).isFalse(); // the URLs are the embedded servers' own
    assertThat(dataDir.resolve("postgres")).isDirectory();
    assertThat(dataDir.resolve("redis")).isDirectory();
  }

  @Test
  void theSubscriptionIsStillThere() {
    TestNode.Response r = get("/subscriptions/" + subscriptionId);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().getString("target_url")).isEqualTo(receiver.url());
  }

  @Test
  void theMessageIsStillThere() {
    TestNode.Response r = get("/status/" + webhookId);
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().getString("subscription_id")).isEqualTo(subscriptionId);
  }

  @Test
  void theWebhookIsDeliveredInTheEnd() {
    JsonObject status = io.hookrelay.testing.Await.value(Duration.ofSeconds(30), "webhook delivered",
        () -> get("/status/" + webhookId).json(), s -> "succeeded".equals(s.getString("status")));
    assertThat(status.getString("final_outcome")).isEqualTo("Success");
  }

  @Test
  void theGeneratedApiKeyIsStoredAndReusedByTheSecondStart() throws Exception {
    assertThat(firstKey).isNotBlank().hasSizeGreaterThanOrEqualTo(16);
    assertThat(storedKey()).isEqualTo(firstKey);
    assertThat(get("/subscriptions").status()).isEqualTo(200);
    assertThat(second.send("GET", "/subscriptions", null, Map.of()).status())
        .as("the test default key is not configured here").isEqualTo(401);
  }
}
