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
 * That library (1.1.0) knows v1 only, so v1a (ed25519) deliveries are verified by a short script on the 'cryptography'
 * package that follows the specification. .ci/run installs both; where Python or a package is missing the test says
 * so and skips.
 */
class StandardWebhooksInteropTest {
  private static TestNode node;
  private static TestReceiver receiver;

  @BeforeAll
  static void start() {
    assumeTrue(pythonHas("standardwebhooks"),
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
    TestReceiver.Received delivery = deliver(subscription.getString("id"), payload);

    assertThat(verify(subscription.getString("secret"), delivery)).isEqualTo("verified");
  }

  @Test
  void bothSecretsVerifyWhileARotatedSecretOverlaps() throws Exception {
    JsonObject subscription = node.subscribe(receiver.url(), null);
    String id = subscription.getString("id");
    String newSecret = node.post("/subscriptions/" + id + "/rotate-secret", null).json().getString("secret");
    TestReceiver.Received delivery = deliver(id, new JsonObject().put("rotated", true));

    assertThat(delivery.header("webhook-signature").split(" ")).hasSize(2);
    assertThat(verify(newSecret, delivery)).isEqualTo("verified");
    assertThat(verify(subscription.getString("secret"), delivery)).isEqualTo("verified");
  }

  @Test
  void theLibraryRejectsATamperedBody() throws Exception {
    JsonObject subscription = node.subscribe(receiver.url(), null);
    TestReceiver.Received real = deliver(subscription.getString("id"), new JsonObject().put("amount", 10));
    TestReceiver.Received tampered = withBody(real, "{\"amount\":1000}");

    assertThat(verify(subscription.getString("secret"), tampered)).startsWith("rejected");
  }

  @Test
  void anIndependentEd25519ImplementationVerifiesAV1aDelivery() throws Exception {
    assumeTrue(pythonHas("cryptography"), "python3 with the 'cryptography' package is needed for v1a");
    JsonObject subscription = node.subscribe(receiver.url(), new JsonObject().put("signature_scheme", "v1a"));
    String payload = "{\"order\": 1, \"note\": \"caf\u00e9 \u2603\"}";
    TestReceiver.Received delivery = deliver(subscription.getString("id"), payload);

    assertThat(verifyV1a(subscription.getString("public_key"), delivery)).isEqualTo("verified");
    assertThat(verifyV1a(Signer.generateKeyPair().publicKey(), delivery)).startsWith("rejected");
  }

  @Test
  void bothPublicKeysVerifyWhileARotatedV1aKeyOverlaps() throws Exception {
    assumeTrue(pythonHas("cryptography"), "python3 with the 'cryptography' package is needed for v1a");
    JsonObject subscription = node.subscribe(receiver.url(), new JsonObject().put("signature_scheme", "v1a"));
    String id = subscription.getString("id");
    String newKey = node.post("/subscriptions/" + id + "/rotate-secret", null).json().getString("public_key");
    TestReceiver.Received delivery = deliver(id, new JsonObject().put("rotated", true));
    TestReceiver.Received tampered = withBody(delivery, "{\"rotated\":false}");

    assertThat(delivery.header("webhook-signature").split(" ")).hasSize(2);
    assertThat(verifyV1a(newKey, delivery)).isEqualTo("verified");
    assertThat(verifyV1a(subscription.getString("public_key"), delivery)).isEqualTo("verified");
    assertThat(verifyV1a(newKey, tampered)).startsWith("rejected");
  }

  /** Ingests a payload (a JSON string or object) to the subscription and answers what the receiver got. */
  private static TestReceiver.Received deliver(String subscriptionId, Object payload) {
    int before = receiver.count();
    node.post("/ingest/" + subscriptionId, payload);
    receiver.awaitCount(before + 1, Duration.ofSeconds(20));
    return receiver.received().get(before);
  }

  private static TestReceiver.Received withBody(TestReceiver.Received real, String body) {
    return new TestReceiver.Received(real.number(), real.path(), real.headers(),
        body.getBytes(StandardCharsets.UTF_8), real.atMillis());
  }

  private static String verify(String secret, TestReceiver.Received delivery) throws Exception {
    return runScript("verify_standardwebhooks.py", request(delivery).put("secret", secret));
  }

  private static String verifyV1a(String publicKey, TestReceiver.Received delivery) throws Exception {
    return runScript("verify_v1a.py", request(delivery).put("public_key", publicKey));
  }

  private static JsonObject request(TestReceiver.Received delivery) {
    JsonObject headers = new JsonObject()
        .put("webhook-id", delivery.header("webhook-id"))
        .put("webhook-timestamp", delivery.header("webhook-timestamp"))
        .put("webhook-signature", delivery.header("webhook-signature"));
    return new JsonObject().put("headers", headers).put("body", Base64.getEncoder().encodeToString(delivery.body()));
  }

  /** Runs a script of src/test/resources/interop with the request on stdin; answers what it printed. */
  private static String runScript(String script, JsonObject request) throws Exception {
    Process p = new ProcessBuilder("python3", "src/test/resources/interop/" + script)
        .redirectErrorStream(true).start();
    p.getOutputStream().write(request.encode().getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("python finished").isTrue();
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
  }

  private static boolean pythonHas(String module) {
    try {
      Process p = new ProcessBuilder("python3", "-c", "import " + module).redirectErrorStream(true).start();
      return p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (Exception e) {
      return false;
    }
  }
}
