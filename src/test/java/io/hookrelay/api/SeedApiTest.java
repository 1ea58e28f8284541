package io.hookrelay.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The curl walkthrough of the seed service (with an API key) answers as the seed documented, trailing slashes too. */
class SeedApiTest {
  private static TestNode node;
  private static TestReceiver receiver;

  @BeforeAll
  static void start() {
    node = TestNode.start();
    receiver = TestReceiver.answering(200);
  }

  @AfterAll
  static void stop() {
    receiver.close();
    node.close();
  }

  @Test
  void theSeedWalkthroughWorksAndTheWebhookIsDelivered() {
    TestNode.Response created = node.post("/subscriptions/", new JsonObject().put("target_url", receiver.url()));
    assertThat(created.status()).isEqualTo(201);
    String id = created.json().getString("id");
    assertThat(created.json().getString("secret")).startsWith("whsec_");

    TestNode.Response list = node.get("/subscriptions/");
    assertThat(list.status()).isEqualTo(200);
    assertThat(list.array().size()).isEqualTo(1);
    assertThat(list.body()).doesNotContain("whsec_");

    assertThat(node.get("/subscriptions/" + id).status()).isEqualTo(200);
    TestNode.Response patched = node.patch("/subscriptions/" + id, new JsonObject().put("secret", "newS3cr3t"));
    assertThat(patched.status()).isEqualTo(200);
    assertThat(patched.body()).doesNotContain("newS3cr3t");

    TestNode.Response ingested = node.post("/ingest/" + id,
        new JsonObject().put("order_id", 123).put("amount", 99.99).put("customer", "test@example.com"),
        Map.of("X-Event-Type", "order.created"));
    assertThat(ingested.status()).isEqualTo(202);
    String webhookId = ingested.json().getString("webhook_id");

    JsonObject status = node.awaitStatus(webhookId, Duration.ofSeconds(20), "succeeded");
    assertThat(status.getString("final_outcome")).isEqualTo("Success");
    assertThat(status.getJsonArray("recent_attempts")).hasSize(1);
    TestNode.Response attempts = node.get("/subscriptions/" + id + "/attempts?limit=5");
    assertThat(attempts.status()).isEqualTo(200);
    assertThat(attempts.array().getJsonObject(0).getString("outcome")).isEqualTo("Success");
    assertThat(receiver.received().get(0).header("x-event-type")).isEqualTo("order.created");

    assertThat(node.delete("/subscriptions/" + id).status()).isEqualTo(204);
    assertThat(node.get("/subscriptions/" + id).status()).isEqualTo(404);
  }
}
