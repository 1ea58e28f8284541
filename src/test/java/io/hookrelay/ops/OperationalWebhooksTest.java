package io.hookrelay.ops;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.delivery.Signer;
import io.hookrelay.testing.Await;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import io.hookrelay.testing.TestReceiver.Answer;
import io.hookrelay.testing.TestReceiver.Received;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * hookrelay's own events arrive at HOOKRELAY_OPERATIONAL_WEBHOOK_URL as signed Standard Webhooks, through the same
 * pipeline as any webhook, on a system tenant that takes no tokens and no portal links.
 */
class OperationalWebhooksTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);
  private static final String SECRET = "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]);
  private static TestReceiver operator;
  private static TestNode node;

  @BeforeAll
  static void setUp() {
    operator = TestReceiver.answering(204);
    node = TestNode.start(Map.of("HOOKRELAY_OPERATIONAL_WEBHOOK_URL", operator.url(),
        "HOOKRELAY_OPERATIONAL_WEBHOOK_SECRET", SECRET, "HOOKRELAY_MAX_ATTEMPTS", "2",
        "HOOKRELAY_RETRY_SCHEDULE", "100ms"));
  }

  @AfterAll
  static void tearDown() {
    node.close();
    operator.close();
  }

  @Test
  void aSubscriptionDisabledByA410IsReportedWithTheReason() {
    try (TestReceiver gone = TestReceiver.answering(410)) {
      String id = node.subscribe(gone.url(), null).getString("id");
      node.ingest(id, new JsonObject().put("n", 1));
      JsonObject event = awaitEvent("subscription.disabled", id);
      assertThat(event.getJsonObject("data").getString("reason")).contains("410");
    }
  }

  @Test
  void aSubscriptionEnabledThroughTheApiIsReportedWithTheActor() {
    String id = node.subscribe("http://127.0.0.1:9/off", null).getString("id");
    node.patch("/subscriptions/" + id, new JsonObject().put("status", "disabled"));
    assertThat(node.post("/subscriptions/" + id + "/enable", new JsonObject()).status()).isEqualTo(200);
    JsonObject event = awaitEvent("subscription.enabled", id);
    assertThat(event.getJsonObject("data").getString("actor")).isEqualTo("api");
  }

  @Test
  void aDeliveryThatFailedForGoodIsReportedWithItsLastError() {
    try (TestReceiver failing = TestReceiver.answering(500)) {
      String id = node.subscribe(failing.url(), null).getString("id");
      String webhook = node.ingest(id, new JsonObject().put("n", 2));
      JsonObject event = awaitEvent("delivery.failed", id);
      assertThat(event.getJsonObject("data").getString("webhook_id")).isEqualTo(webhook);
      assertThat(event.getJsonObject("data").getInteger("attempts")).isEqualTo(2);
      assertThat(event.getJsonObject("data").getString("last_error")).isEqualTo("HTTP 500");
    }
  }

  @Test
  void aDeletedTenantIsReported() {
    TestNode.Response created = node.send("PUT", "/tenants/ops-doomed", new JsonObject().put("name", "Doomed").encode(),
        Map.of());
    String tenantId = created.json().getString("id");
    assertThat(node.delete("/tenants/ops-doomed").status()).isEqualTo(202);
    Received r = Await.value(DEADLINE, "tenant.deleted at the operator's endpoint", () -> find("tenant.deleted",
        "tenant_id", tenantId), x -> x != null);
    assertThat(json(r).getJsonObject("data").getString("uid")).isEqualTo("ops-doomed");
  }

  @Test
  void theSystemTenantTakesNoTokensNoPortalLinksAndIsNotDeleted() {
    for (TestNode.Response refused : List.of(
        node.post("/tenants/hookrelay-system/tokens", new JsonObject()),
        node.post("/tenants/hookrelay-system/portal-link", new JsonObject()),
        node.delete("/tenants/hookrelay-system"))) {
      assertThat(refused.status()).isEqualTo(409);
      assertThat(refused.json().getString("error")).isEqualTo("system_tenant");
    }
    // and a tenant's own token does not see it at all: it looks like a tenant that does not exist
    node.send("PUT", "/tenants/ops-watcher", new JsonObject().put("name", "Watcher").encode(), Map.of());
    String token = node.post("/tenants/ops-watcher/tokens", new JsonObject()).json().getString("token");
    TestNode.Response seen = node.send("GET", "/tenants/hookrelay-system", null, Map.of("Authorization", "Bearer " + token));
    TestNode.Response missing = node.send("GET", "/tenants/no-such-tenant", null, Map.of("Authorization", "Bearer " + token));
    assertThat(seen.status()).isEqualTo(missing.status());
    assertThat(seen.json().getString("error")).isEqualTo(missing.json().getString("error"));
  }

  @Test
  void aUrlWithoutASecretStopsStartUpNamingTheSetting() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> io.hookrelay.config.ConfigLoader.load(Map.of(
            "HOOKRELAY_OPERATIONAL_WEBHOOK_URL", "https://ops.example.com/hook")))
        .isInstanceOf(io.hookrelay.config.ConfigException.class)
        .hasMessageContaining("HOOKRELAY_OPERATIONAL_WEBHOOK_SECRET: required when HOOKRELAY_OPERATIONAL_WEBHOOK_URL");
  }

  /** Waits for an event of this type about this subscription, and checks its signature and shape. */
  private static JsonObject awaitEvent(String type, String subscriptionId) {
    Received r = Await.value(DEADLINE, type + " for " + subscriptionId + " at the operator's endpoint",
        () -> find(type, "subscription_id", subscriptionId), x -> x != null);
    assertThat(Signer.verify(SECRET, r.header("webhook-id"), r.header("webhook-timestamp"), r.body(),
        r.header("webhook-signature"), System.currentTimeMillis() / 1000, 300)).as("signed with the secret").isTrue();
    assertThat(r.header("x-event-type")).isEqualTo(type);
    JsonObject event = json(r);
    assertThat(event.getString("type")).isEqualTo(type);
    assertThat(event.getString("timestamp")).isNotBlank();
    return event;
  }

  private static Received find(String type, String field, String value) {
    return operator.received().stream().filter(r -> {
      JsonObject e = json(r);
      return type.equals(e.getString("type")) && value.equals(e.getJsonObject("data").getString(field));
    }).findFirst().orElse(null);
  }

  private static JsonObject json(Received r) {
    return new JsonObject(r.bodyText());
  }
}
