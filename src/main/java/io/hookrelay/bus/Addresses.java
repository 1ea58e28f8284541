package io.hookrelay.bus;

/** Event-bus addresses, in one place, with the shape of the messages each carries. */
public final class Addresses {
  private Addresses() {}

  /**
   * Request/reply, queue poller to a delivery verticle (round-robin, across the cluster when clustered).
   * Request: {@code {"delivery_id": uuid, "subscription_id": uuid}}.
   * Reply: {@code {"outcome": "done"}} once the attempt is recorded (or nothing was due), so the entry can be
   * acknowledged; or {@code {"outcome": "defer", "delay_ms": n}} when the subscription is over its in-flight cap
   * or rate limit, so the entry goes back to the retry set for a short while. A failure reply leaves the entry
   * pending, to be claimed again after the visibility timeout.
   */
  public static final String DELIVERY_DISPATCH = "hookrelay.delivery.dispatch";

  /** Publish: {@code {"id": uuid}} after a subscription was created, changed, disabled or deleted; caches drop it. */
  public static final String SUBSCRIPTIONS_CHANGED = "hookrelay.subscriptions.changed";

  /** Publish: a JSON snapshot of this node's counters every second, for the dashboard's live charts. */
  public static final String STATS_TICK = "hookrelay.stats.tick";
}
