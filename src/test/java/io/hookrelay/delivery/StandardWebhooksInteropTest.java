package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Deliveries verify with the official Standard Webhooks library (Python, from PyPI), not only with our own Signer.
 * .ci/run installs the library; where Python or the package is missing the test says so and skips.
 */
class StandardWebhooksInteropTest {
  private static TestNode node;
  private static TestReceiver receiver;

  @BeforeAll
  static void start() {
    assumeTrue(pythonHasStandardWebhooks(),
        "python3 with the 'standardwebhooks' package is needed: python3 -m pip install standardwebhooks");
    node = TestNode.start();
    receiver = TestReceiver.answering(204);
  }

  @AfterAll
  static void stop() {
    if (receiver != null) {
      receiver.close();
    }
    if (node != null) {
      node.close();
    }
  }

  @Test
  void theOfficialLibraryVerifiesADelivery() throws Exception {
    JsonObject subscription = node.subscribe(receiver.url(), null);
    String payload = "{\"order\": 1, \"note\": \"caf\u00e9 \u2603\"}";
    int before = receiver.count();
    node.post("/ingest/" + subscription.getString("id"), payload);
    receiver.awaitCount(before + 1, Duration.ofSeconds(20));

    assertThat(verify(subscription.getString("secret"), receiver.received().get(before))).isEqualTo("verified");
  }

  @Test
  void bothSecretsVerifyWhileARotatedSecretOverlaps() throws Exception {
    JsonObject subscription = node.subscribe(receiver.url(), null);
    String id = subscription.getString("id");
    String newSecret = node.post("/subscriptions/" + id + "/rotate-secret", null).json().getString("secret");
    int before = receiver.count();
    node.post("/ingest/" + id, new JsonObject().put("rotated", true));
    receiver.awaitCount(before + 1, Duration.ofSeconds(20));
    TestReceiver.Received delivery = receiver.received().get(before);

    assertThat(delivery.header("webhook-signature").split(" ")).hasSize(2);
    assertThat(verify(newSecret, delivery)).isEqualTo("verified");
    assertThat(verify(subscription.getString("secret"), delivery)).isEqualTo("verified");
  }

  @Test
  void theLibraryRejectsATamperedBody() throws Exception {
    JsonObject subscription = node.subscribe(receiver.url(), null);
    int before = receiver.count();
    node.post("/ingest/" + subscription.getString("id"), new JsonObject().put("amount", 10));
    receiver.awaitCount(before + 1, Duration.ofSeconds(20));
    TestReceiver.Received real = receiver.received().get(before);
    TestReceiver.Received tampered = new TestReceiver.Received(real.number(), real.path(), real.headers(),
        "{\"amount\":1000}".getBytes(StandardCharsets.UTF_8), real.atMillis());

    assertThat(verify(subscription.getString("secret"), tampered)).startsWith("rejected");
  }

  private static String verify(String secret, TestReceiver.Received delivery) throws Exception {
    JsonObject headers = new JsonObject()
        .put("webhook-id", delivery.header("webhook-id"))
        .put("webhook-timestamp", delivery.header("webhook-timestamp"))
        .put("webhook-signature", delivery.header("webhook-signature"));
    JsonObject request = new JsonObject().put("secret", secret).put("headers", headers)
        .put("body", Base64.getEncoder().encodeToString(delivery.body()));
    Process p = new ProcessBuilder("python3", "src/test/resources/interop/verify_standardwebhooks.py")
        .redirectErrorStream(true).start();
    p.getOutputStream().write(request.encode().getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("python finished").isTrue();
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
  }

  private static boolean pythonHasStandardWebhooks() {
    try {
      Process p = new ProcessBuilder("python3", "-c", "import standardwebhooks").redirectErrorStream(true).start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (Exception e) {
      return false;
    }
  }
}
