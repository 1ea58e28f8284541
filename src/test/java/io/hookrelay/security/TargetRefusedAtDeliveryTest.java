package io.hookrelay.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.Await;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SSRF at delivery time: a target that is (or has become) private is refused before connecting, and redirects are
 * never followed, so a public endpoint cannot bounce a webhook into the private network.
 */
class TargetRefusedAtDeliveryTest {

  @Test
  void aTargetThatResolvesToAPrivateAddressIsRefusedWhenDelivering() {
    try (TestReceiver receiver = TestReceiver.answering(200)) {
      // Created while private targets were allowed (as if its DNS answer changed since), delivered by a node that refuses them.
      Map<String, String> env = TestNode.defaults();
      String subscriptionId;
      try (TestNode permissive = TestNode.startWith(env)) {
        subscriptionId = permissive.subscribe(receiver.url(), null).getString("id");
      }
      Map<String, String> strict = new HashMap<>(env);
      strict.put("HOOKRELAY_ALLOW_PRIVATE_TARGETS", "false");
      strict.put("HOOKRELAY_MAX_ATTEMPTS", "1");
      try (TestNode node = TestNode.startWith(strict)) {
        String webhookId = node.ingest(subscriptionId, new JsonObject().put("probe", true));
        JsonObject status = node.awaitStatus(webhookId, Duration.ofSeconds(20), "failed");

        assertThat(status.getString("last_error")).startsWith("target refused");
        assertThat(status.getJsonArray("recent_attempts").getJsonObject(0).getInteger("status_code")).isNull();
        assertThat(receiver.count()).isZero();
      }
    }
  }

  @Test
  void redirectsAreNotFollowed() {
    try (TestReceiver inner = TestReceiver.answering(200);
        TestReceiver redirecting = TestReceiver.start(n -> TestReceiver.Answer.withHeader(302, "Location", inner.url()))) {
      try (TestNode node = TestNode.start(Map.of("HOOKRELAY_MAX_ATTEMPTS", "1"))) {
        String subscriptionId = node.subscribe(redirecting.url(), null).getString("id");
        String webhookId = node.ingest(subscriptionId, new JsonObject().put("probe", true));
        JsonObject status = node.awaitStatus(webhookId, Duration.ofSeconds(20), "failed");

        assertThat(status.getInteger("last_status_code")).isEqualTo(302);
        Await.until(Duration.ofSeconds(2), "the redirecting receiver got the attempt", () -> redirecting.count() == 1);
        assertThat(inner.count()).isZero();
      }
    }
  }
}
