package io.hookrelay.delivery;

import io.vertx.core.shareddata.LocalMap;
import java.util.UUID;

/**
 * Requests open per subscription on this node, shared by its delivery instances through Vert.x local shared data
 * (atomic compute), so that max_in_flight is an exact cap on the node.
 */
final class NodeSlots implements Scheduler.Slots {
  private final LocalMap<String, Integer> open;

  NodeSlots(LocalMap<String, Integer> open) {
    this.open = open;
  }

  @Override
  public boolean take(UUID subscriptionId, int cap) {
    boolean[] taken = new boolean[1];
    open.compute(subscriptionId.toString(), (k, n) -> {
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
    open.computeIfPresent(subscriptionId.toString(), (k, n) -> n <= 1 ? null : n - 1);
  }
}
