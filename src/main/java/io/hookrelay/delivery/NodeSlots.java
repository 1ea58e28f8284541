package io.hookrelay.delivery;

import io.vertx.core.Vertx;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.core.shareddata.Shareable;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Requests open per subscription on this node, shared by its delivery instances (atomic compute on one map, found
 * through Vert.x local shared data), so that max_in_flight is an exact cap on the node. Keyed by the id itself: a
 * local map takes only strings, and one id spelled out and hashed twice per attempt showed in the profile.
 */
final class NodeSlots implements Scheduler.Slots {
  private final Open open;

  private NodeSlots(Open open) {
    this.open = open;
  }

  /** The node's slots: the same map for every delivery instance of this Vert.x. */
  static NodeSlots of(Vertx vertx) {
    LocalMap<String, Open> shared = vertx.sharedData().getLocalMap("hookrelay.delivery.in-flight");
    return new NodeSlots(shared.computeIfAbsent("open", k -> new Open()));
  }

  @Override
  public boolean take(UUID subscriptionId, int cap) {
    boolean[] taken = new boolean[1];
    open.compute(subscriptionId, (k, n) -> {
      int count = n == null ? 0 : n;
      if (count >= cap) {
        return n;
      }
      taken[0] = true;
      return count + 1;
    });
    return taken[0];
  }

  @Override
  public void giveBack(UUID subscriptionId) {
    open.computeIfPresent(subscriptionId, (k, n) -> n <= 1 ? null : n - 1);
  }

  /** Open requests by subscription; Shareable, so that local shared data hands out this very map. */
  private static final class Open extends ConcurrentHashMap<UUID, Integer> implements Shareable {}
}
