package io.hookrelay.queue;

/**
 * When a queue poller looks at the retry set next. It used to look every 100 ms, busy or idle: ten Redis calls and
 * wake-ups a second on an idle node. Now it sleeps until the earliest retry in the set is due, at most a second, and
 * a node that schedules a retry wakes its poller sooner when the retry is due sooner. Looks stay at least 100 ms
 * apart, so a retry is moved at most that late, as before, and the set is read at most ten times a second.
 */
public final class RetryPace {
  /** The longest sleep: a retry scheduled elsewhere in the cluster, which no hint announces, waits at most this. */
  static final long IDLE_MS = 1000;
  /** The shortest gap between two looks, unless the last one found more due than it could move. */
  static final long MIN_GAP_MS = 100;

  private RetryPace() {}

  /** After a look at {@code nowMs} that moved {@code moved} of at most {@code max}: when to look next (epoch ms). */
  static long afterLook(DeliveryQueue.Moved moved, int max, long nowMs) {
    if (moved.count() >= max) {
      return nowMs; // more are due than one look moves
    }
    if (moved.nextDueMs() < 0) {
      return nowMs + IDLE_MS;
    }
    return Math.max(nowMs + MIN_GAP_MS, Math.min(moved.nextDueMs(), nowMs + IDLE_MS));
  }

  /** A retry due at {@code dueMs} was scheduled: when to look for it, given the last look was at {@code lastLookMs}. */
  static long forRetry(long dueMs, long lastLookMs) {
    return Math.max(dueMs, lastLookMs + MIN_GAP_MS);
  }
}
