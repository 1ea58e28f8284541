package io.hookrelay.bus;

/** Event-bus addresses, in one place, with the shape of the messages each carries. */
public final class Addresses {
  private Addresses() {}

  /**
   * Request with an immediate answer, queue poller to a delivery verticle (round-robin, across the cluster when
   * clustered): a batch of jobs; the outcomes come back later as completions to the poller's own address. See
   * {@link Dispatch} for both shapes.
   */
  public static final String DELIVERY_DISPATCH = "hookrelay.delivery.dispatch";

  /** Prefix of each queue poller's own address (prefix + consumer name), where completions of its jobs arrive. */
  public static final String DELIVERY_COMPLETIONS = "hookrelay.delivery.completions.";

  /**
   * Publish: {@code {"id": uuid}} after a subscription was created, changed, disabled or deleted; caches drop it.
   * {@code {"all": true}} (a tenant is being deleted) drops every entry.
   */
  public static final String SUBSCRIPTIONS_CHANGED = "hookrelay.subscriptions.changed";

  /**
   * Publish: {@code {"id": uuid}} after a tenant or one of its credentials changed (created, revoked, limits,
   * deleted); caches of tenants and of tenant tokens forget what they hold.
   */
  public static final String TENANTS_CHANGED = "hookrelay.tenants.changed";

  /** Publish: {@code {"name": event type}} after an event type was created, changed or deleted; caches drop it. */
  public static final String EVENT_TYPES_CHANGED = "hookrelay.event-types.changed";

  /**
   * Publish, local: the earliest due time (epoch ms, a Long) of retries this node just put in the Redis retry set,
   * so that its queue poller, which otherwise sleeps up to a second between looks, moves them when due.
   */
  public static final String RETRIES_SCHEDULED = "hookrelay.retries.scheduled";

  /** Publish: a JSON snapshot of this node's counters every second, for the dashboard's live charts. */
  public static final String STATS_TICK = "hookrelay.stats.tick";

  /**
   * One of hookrelay's own events, sent to this node's OperationalWebhookVerticle (local, fire and forget):
   * {@code {"type": "subscription.disabled" | "subscription.enabled" | "delivery.failed" | "tenant.deleted",
   * "data": {...}}}.
   */
  public static final String OPERATIONAL_EVENT = "hookrelay.operational.event";
}
