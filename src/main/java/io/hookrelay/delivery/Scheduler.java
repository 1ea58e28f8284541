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
 * @param <T> a claimed job, as the caller keeps it
 */
public final class Scheduler<T> {
  /**
   * How much work one subscription's lane may hold on this instance, in the time it takes to start it at the pace
   * its slots free up, and in jobs. Waiting jobs hold the poller's window (4096 per node): bounding the wait in time
   * bounds what a slow endpoint takes of it, while a fast one keeps enough to stay busy until deferred jobs come
   * back (the retry set is moved every 100 ms).
   */
  static final long LANE_WAIT_MS = 500;
  static final int LANE_LIMIT = 1024;
  /** The longest a job over the cap is sent away for. */
  static final long MAX_DEFER_MS = 30_000;

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
  private final Map<UUID, RateLimiter> limiters = new HashMap<>();

  /**
   * @param instances the delivery instances on this node, which share its slots and rate limits
   * @param leaseMs how long a claim lasts; a job that waited half of it is given back instead of started
   * @param start takes a job that holds a slot now: it makes the attempt and calls {@link #finished} when it is over
   * @param expired takes a job that waited so long for a slot that its lease may lapse mid-attempt, to give it back
   */
  public Scheduler(int instances, long leaseMs, Clock clock, Slots slots, Consumer<T> start, Consumer<T> expired) {
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
    Lane<T> lane = lanes.computeIfAbsent(s.id(), id -> new Lane<>());
    int cap = cap(s);
    if (lane.admits(cap, instances)) {
      lane.claiming++;
      return 0;
    }
    return lane.deferDueMs(cap, instances, clock.millis());
  }

  /** The claim of an admitted job came back with the job: it starts now if a slot is free, or waits in its lane. */
  public void claimed(Subscription s, T job) {
    Lane<T> lane = claimAnswered(s);
    if (lane.waiting.isEmpty() && slots.take(s.id(), cap(s))) {
      start.accept(job);
    } else {
      lane.waiting.add(new Waiting<>(job, cap(s), clock.millis()));
    }
  }

  /** The claim of an admitted job came back without it (finished, owned elsewhere, not due), or failed. */
  public void notClaimed(Subscription s) {
    claimAnswered(s);
  }

  private Lane<T> claimAnswered(Subscription s) {
    Lane<T> lane = lanes.computeIfAbsent(s.id(), id -> new Lane<>());
    lane.claiming--;
    return lane;
  }

  /** An attempt started by this scheduler is over after holding its slot {@code heldNanos}: the next one may go. */
  public void finished(UUID subscriptionId, long heldNanos) {
    slots.giveBack(subscriptionId);
    Lane<T> lane = lanes.get(subscriptionId);
    if (lane != null) {
      lane.held(heldNanos);
      startWaiting(subscriptionId, lane);
    }
  }

  /** Slots freed by the node's other delivery instances wake this instance's waiting jobs too: called periodically. */
  public void tick() {
    lanes.forEach(this::startWaiting);
  }

  /** Every claimed job still waiting for a slot, taken out of the lanes (on the way out). */
  public List<T> takeWaiting() {
    List<T> all = new ArrayList<>();
    lanes.values().forEach(lane -> {
      lane.waiting.forEach(w -> all.add(w.job()));
      lane.waiting.clear();
    });
    return all;
  }

  private void startWaiting(UUID subscriptionId, Lane<T> lane) {
    while (!lane.waiting.isEmpty() && slots.take(subscriptionId, lane.waiting.peek().cap())) {
      Waiting<T> w = lane.waiting.poll();
      if (clock.millis() - w.sinceMs() > maxWaitMs) {
        slots.giveBack(subscriptionId);
        expired.accept(w.job());
      } else {
        start.accept(w.job());
      }
    }
  }

  private static int cap(Subscription s) {
    return Math.max(1, s.maxInFlight());
  }

  /** A claimed job waiting for a slot; its lease runs meanwhile. */
  private record Waiting<T>(T job, int cap, long sinceMs) {}

  /** One subscription's jobs on this instance: those being claimed, those waiting for a slot, how long one holds it. */
  private static final class Lane<T> {
    final ArrayDeque<Waiting<T>> waiting = new ArrayDeque<>();
    int claiming;
    double holdMs = 5; // moving average of attempt durations
    double deferClockMs; // the due time handed to the last job sent away (fractions: jobs may be due 0.1 ms apart)

    void held(long nanos) {
      holdMs += (nanos / 1e6 - holdMs) * 0.05;
    }

    /** How long the jobs in the lane will take to start, at the pace slots free up for this instance. */
    double drainMs(int cap, int instances) {
      return (claiming + waiting.size()) * holdMs * instances / cap;
    }

    boolean admits(int cap, int instances) {
      return claiming + waiting.size() < LANE_LIMIT && drainMs(cap, instances) < LANE_WAIT_MS;
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
