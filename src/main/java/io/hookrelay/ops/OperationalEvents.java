package io.hookrelay.ops;

import io.hookrelay.bus.Addresses;
import io.hookrelay.config.HookrelayConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;

/**
 * hookrelay's own events, sent as webhooks to {@code HOOKRELAY_OPERATIONAL_WEBHOOK_URL}: a subscription disabled (by
 * the circuit breaker or a 410) or enabled, a delivery failed for good, a tenant deleted. Each is a message of the
 * system tenant, stored and delivered by the same pipeline as any webhook (signed, retried, recorded) to that
 * tenant's one subscription, so an operator's alerting gets the same guarantees as a customer's endpoint.
 */
public final class OperationalEvents {
  /** The tenant the operational webhooks belong to (V10); it takes no tokens and no portal links. */
  public static final UUID SYSTEM_TENANT = UUID.fromString("00000000-0000-0000-0000-000000000002");
  /** The system tenant's subscription to the operational webhook URL. */
  public static final UUID SUBSCRIPTION = UUID.fromString("00000000-0000-0000-0000-000000000003");

  public static final String SUBSCRIPTION_DISABLED = "subscription.disabled";
  public static final String SUBSCRIPTION_ENABLED = "subscription.enabled";
  public static final String DELIVERY_FAILED = "delivery.failed";
  public static final String TENANT_DELETED = "tenant.deleted";

  private OperationalEvents() {}

  /**
   * Points the system subscription at the configured URL and secret (at start, on every node: the same statement
   * twice changes nothing). Without a URL it is disabled, so nothing waits for an endpoint that was taken away.
   */
  public static Future<Void> configure(Pool pool, HookrelayConfig config) {
    String url = config.operationalWebhookUrl();
    if (url.isEmpty()) {
      return pool.preparedQuery("UPDATE subscriptions SET status = 'disabled', disabled_reason = "
              + "'HOOKRELAY_OPERATIONAL_WEBHOOK_URL is not set', updated_at = now() WHERE id = $1 AND status = 'enabled'")
          .execute(Tuple.of(SUBSCRIPTION)).mapEmpty();
    }
    return pool.preparedQuery("INSERT INTO subscriptions (id, tenant_id, target_url, secret, description, max_in_flight) "
            + "VALUES ($1, $2, $3, $4, 'hookrelay operational webhooks', 8) ON CONFLICT (id) DO UPDATE SET "
            + "target_url = EXCLUDED.target_url, secret = EXCLUDED.secret, status = 'enabled', disabled_reason = NULL, "
            + "updated_at = now() WHERE subscriptions.target_url IS DISTINCT FROM EXCLUDED.target_url "
            + "OR subscriptions.secret IS DISTINCT FROM EXCLUDED.secret OR subscriptions.status <> 'enabled'")
        .execute(Tuple.of(SUBSCRIPTION, SYSTEM_TENANT, url, config.operationalWebhookSecret()))
        .mapEmpty();
  }

  /** Whether {@code subscriptionId} is the operational one, whose own troubles are not reported to itself. */
  public static boolean isOwn(UUID subscriptionId) {
    return SUBSCRIPTION.equals(subscriptionId);
  }

  /** A subscription the circuit breaker or a 410 disabled; the operational subscription's own is not reported. */
  public static void subscriptionDisabled(Vertx vertx, UUID subscriptionId, String reason) {
    if (!isOwn(subscriptionId)) {
      emit(vertx, SUBSCRIPTION_DISABLED, new JsonObject().put("subscription_id", subscriptionId.toString())
          .put("reason", reason));
    }
  }

  /** A delivery that failed for good; the operational subscription's own are not reported. */
  public static void deliveryFailed(Vertx vertx, UUID webhookId, UUID subscriptionId, int attempts, String lastError) {
    if (!isOwn(subscriptionId)) {
      emit(vertx, DELIVERY_FAILED, new JsonObject().put("webhook_id", webhookId.toString())
          .put("subscription_id", subscriptionId.toString()).put("attempts", attempts).put("last_error", lastError));
    }
  }

  /**
   * Reports an event, {@code data} its details: sent on the node's event bus to its {@link OperationalWebhookVerticle},
   * which stores and queues it. Fire and forget: without an operational URL no verticle listens and it goes nowhere.
   */
  public static void emit(Vertx vertx, String type, JsonObject data) {
    vertx.eventBus().send(Addresses.OPERATIONAL_EVENT, new JsonObject().put("type", type).put("data", data));
  }
}
