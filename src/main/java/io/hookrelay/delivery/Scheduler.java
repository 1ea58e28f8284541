package io.hookrelay.delivery;

import io.hookrelay.store.Subscription;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Who goes next, on one delivery instance: keeps each subscription under its in-flight cap and its rate limit, and
 * decides for each job whether to claim it now or send it back until later. Claimed jobs over the cap wait in the
 * subscription's lane and start as slots free up; a lane takes only what it can start within {@link #LANE_WAIT_MS},
 * and surplus work is deferred to about when the lane will have room, so a backlogged endpoint neither holds up the
 * others nor makes the queue spin. Pure: no I/O, the clock and the node-wide slot count are given, and what starts
 * is handed back through callbacks.
 *
 * <p>Between tenants: each tenant may hold (claiming, waiting or attempting) at most its share of the instance's
 * budget, the poller window divided among the tenants holding work here, and never less than
 * {@link #MIN_TENANT_SHARE}. A tenant that floods ingest, or whose endpoints all hang, fills its share and has the
 * rest deferred, while another tenant's jobs are admitted as if it were alone. A tenant alone uses the whole budget.
 *
 * @param <T> a claimed job, as the caller keeps it
 */
public final class Scheduler<T> {
  /**
   * How much work one subscription's lane may hold on this instance, in the time it takes to start it at the pace
   * its slots free up; in jobs, at most the instance's budget. Waiting jobs hold the poller's window (4096 per node):
   * bounding the wait in time bounds what a slow endpoint takes of it, while a fast one keeps enough to stay busy
   * until deferred jobs come back (the retry set is moved every 100 ms). A fixed count below the budget sent a fast
   * endpoint's surplus round the retry set while the window had room, and under overload that churn (several Redis
   * commands per webhook) took the CPU the deliveries needed.
   */
  static final long LANE_WAIT_MS = 500;
  /** The longest a job over the cap is sent away for. */
  static final long MAX_DEFER_MS = 30_000;
  /** The poller window of a node (jobs it hands out before any comes back), split among its delivery instances. */
  static final int NODE_WINDOW = 4096;
  /** What a tenant may always hold on an instance, however many tenants share it. */
  static final int MIN_TENANT_SHARE = 64;

  /** Wall-clock milliseconds (due times in the retry set) and a monotonic clock (how long attempts hold a slot). */
  public interface Clock {
    long millis();

    long nanos();

    Clock SYSTEM = new Clock() {
      @Override
      public long millis() {
        return System.currentTimeMillis();
      }

      @Override
      public long nanos() {
        return System.nanoTime();
      }
    };
  }

  /**
   * A subscription's in-flight slots on this node, shared by its delivery instances so that max_in_flight is an
   * exact cap: splitting it per instance and rounding up overshot it.
   */
  public interface Slots {
    boolean take(UUID subscriptionId, int cap);

    void giveBack(UUID subscriptionId);
  }

  private final int instances;
  private final long maxWaitMs;
  private final Clock clock;
  private final Slots slots;
  private final Consumer<T> start;
  private final Consumer<T> expired;
  private final Map<UUID, Lane<T>> lanes = new HashMap<>();
  /**
   * The lanes that have jobs waiting for a slot: what the periodic tick looks at. Walking every lane instead was
   * the node's hottest frame with thousands of subscriptions (a JFR profile of 1,000 tenants × 3).
   */
  private final Map<UUID, Lane<T>> waitingLanes = new HashMap<>();
  private final Map<UUID, RateLimiter> limiters = new HashMap<>();
  /** Jobs each tenant holds on this instance: admitted and not yet finished, given back or expired. */
  private final Map<UUID, Integer> tenantHeld = new HashMap<>();
  private final int budget;

  /**
   * @param instances the delivery instances on this node, which share its slots and rate limits
   * @param leaseMs how long a claim lasts; a job that waited half of it is given back instead of started
   * @param start takes a job that holds a slot now: it makes the attempt and calls {@link #finished} when it is over
   * @param expired takes a job that waited so long for a slot that its lease may lapse mid-attempt, to give it back
   */
  public Scheduler(int instances, long leaseMs, Clock clock, Slots slots, Consumer<T> start, Consumer<T> expired) {
    this(instances, leaseMs, Math.max(MIN_TENANT_SHARE, NODE_WINDOW / Math.max(1, instances)), clock, slots, start,
        expired);
  }

  /** @param budget the jobs this instance holds for all tenants before tenants get shares of it */
  Scheduler(int instances, long leaseMs, int budget, Clock clock, Slots slots, Consumer<T> start,
      Consumer<T> expired) {
    this.budget = budget;
    this.instances = instances;
    this.maxWaitMs = leaseMs / 2;
    this.clock = clock;
    this.slots = slots;
    this.start = start;
    this.expired = expired;
  }

  /**
   * A job of this enabled subscription arrives: answers 0 when it is to be claimed now (it then counts in its lane
   * until {@link #claimed} or {@link #notClaimed}), or the epoch millisecond until which it is to be sent away.
   */
  public long admit(Subscription s) {
    if (s.rateLimitPerS() != null) {
      RateLimiter limiter = limiters.computeIfAbsent(s.id(), id -> new RateLimiter());
      long wait = limiter.reserve(s.rateLimitPerS() / (double) instances, clock.nanos());
      if (wait > 0) {
        return clock.millis() + Math.max(10, wait);
      }
    }
    Lane<T> lane = lane(s);
    int cap = cap(s);
    int held = tenantHeld.getOrDefault(s.tenantId(), 0);
    if (held >= tenantShare(held)) {
      // Over the tenant's share: back when about a share's worth of its work has gone through here.
      double perJobMs = Math.max(0.01, lane.holdMs * instances / cap);
      return clock.millis() + (long) Math.min(MAX_DEFER_MS, Math.max(20, perJobMs * (held - tenantShare(held) + 1)));
    }
    if (lane.admits(cap, instances, budget)) {
      lane.claiming++;
      tenantHeld.merge(s.tenantId(), 1, Integer::sum);
      return 0;
    }
    return lane.deferDueMs(cap, instances, clock.millis());
  }

  /** A tenant's share: the budget divided among the tenants holding work here (this one counted). */
  private int tenantShare(int held) {
    int tenants = tenantHeld.size() + (held == 0 ? 1 : 0);
    return Math.max(MIN_TENANT_SHARE, budget / tenants);
  }

  private Lane<T> lane(Subscription s) {
    return lanes.computeIfAbsent(s.id(), id -> new Lane<>(s.tenantId()));
  }

  private void released(UUID tenant) {
    tenantHeld.computeIfPresent(tenant, (t, n) -> n <= 1 ? null : n - 1);
  }

  /** How many jobs the tenant holds on this instance (tests). */
  int held(UUID tenant) {
    return tenantHeld.getOrDefault(tenant, 0);
  }

  /** The claim of an admitted job came back with the job: it starts now if a slot is free, or waits in its lane. */
  public void claimed(Subscription s, T job) {
    Lane<T> lane = claimAnswered(s);
    if (lane.waiting.isEmpty() && slots.take(s.id(), cap(s))) {
      start.accept(job);
    } else {
      lane.waiting.add(new Waiting<>(job, cap(s), clock.millis()));
      waitingLanes.put(s.id(), lane);
    }
  }

  /** The claim of an admitted job came back without it (finished, owned elsewhere, not due), or failed. */
  public void notClaimed(Subscription s) {
    claimAnswered(s);
    released(s.tenantId());
  }

  private Lane<T> claimAnswered(Subscription s) {
    Lane<T> lane = lane(s);
    lane.claiming--;
    return lane;
  }

  /** An attempt started by this scheduler is over after holding its slot {@code heldNanos}: the next one may go. */
  public void finished(UUID subscriptionId, long heldNanos) {
    slots.giveBack(subscriptionId);
    Lane<T> lane = lanes.get(subscriptionId);
    if (lane != null) {
      released(lane.tenantId);
      lane.held(heldNanos);
      startWaiting(subscriptionId, lane);
    }
  }

  /** Slots freed by the node's other delivery instances wake this instance's waiting jobs too: called periodically. */
  public void tick() {
    if (!waitingLanes.isEmpty()) {
      // a copy: a lane whose last waiting job starts leaves the map meanwhile
      for (Map.Entry<UUID, Lane<T>> e : new ArrayList<>(waitingLanes.entrySet())) {
        startWaiting(e.getKey(), e.getValue());
      }
    }
  }

  /** Every claimed job still waiting for a slot, taken out of the lanes (on the way out). */
  public List<T> takeWaiting() {
    List<T> all = new ArrayList<>();
    waitingLanes.values().forEach(lane -> {
      lane.waiting.forEach(w -> {
        all.add(w.job());
        released(lane.tenantId);
      });
      lane.waiting.clear();
    });
    waitingLanes.clear();
    return all;
  }

  private void startWaiting(UUID subscriptionId, Lane<T> lane) {
    while (!lane.waiting.isEmpty() && slots.take(subscriptionId, lane.waiting.peek().cap())) {
      Waiting<T> w = lane.waiting.poll();
      if (clock.millis() - w.sinceMs() > maxWaitMs) {
        slots.giveBack(subscriptionId);
        released(lane.tenantId);
        expired.accept(w.job());
      } else {
        start.accept(w.job());
      }
    }
    if (lane.waiting.isEmpty()) {
      waitingLanes.remove(subscriptionId);
    }
  }

  private static int cap(Subscription s) {
    return Math.max(1, s.maxInFlight());
  }

  /** A claimed job waiting for a slot; its lease runs meanwhile. */
  private record Waiting<T>(T job, int cap, long sinceMs) {}

  /** One subscription's jobs on this instance: those being claimed, those waiting for a slot, how long one holds it. */
  private static final class Lane<T> {
    final UUID tenantId;
    final ArrayDeque<Waiting<T>> waiting = new ArrayDeque<>();
    int claiming;
    double holdMs = 5; // moving average of attempt durations
    double deferClockMs; // the due time handed to the last job sent away (fractions: jobs may be due 0.1 ms apart)

    Lane(UUID tenantId) {
      this.tenantId = tenantId;
    }

    void held(long nanos) {
      holdMs += (nanos / 1e6 - holdMs) * 0.05;
    }

    /** How long the jobs in the lane will take to start, at the pace slots free up for this instance. */
    double drainMs(int cap, int instances) {
      return (claiming + waiting.size()) * holdMs * instances / cap;
    }

    boolean admits(int cap, int instances, int limit) {
      return claiming + waiting.size() < limit && drainMs(cap, instances) < LANE_WAIT_MS;
    }

    /**
     * When a job the lane cannot take should come back: after the jobs ahead of it are through, spaced at the pace
     * the subscription's slots free up here, so each surplus job goes round the retry set about once.
     */
    long deferDueMs(int cap, int instances, long nowMs) {
      // Aimed early, at half the estimate: a job back too soon waits in the lane or goes round once more, while
      // one back too late leaves the endpoint's slots idle.
      double perJobMs = Math.max(0.01, holdMs * instances / cap) / 2;
      double earliest = nowMs + drainMs(cap, instances) / 2;
      deferClockMs = Math.min(Math.max(deferClockMs, earliest) + perJobMs, nowMs + MAX_DEFER_MS);
      return (long) deferClockMs;
    }
  }
}
