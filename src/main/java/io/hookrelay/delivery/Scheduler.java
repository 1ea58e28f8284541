package io.hookrelay.delivery;

import io.hookrelay.store.Subscription;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Who goes next, on one delivery instance: keeps each subscription under its in-flight cap and its rate limit, and
 * decides for each job whether to claim it now, keep it unclaimed in its place, or send it back until later. Claimed
 * jobs over the cap wait in the subscription's lane and start as slots free up; a lane claims only what it can start
 * within {@link #LANE_WAIT_MS}. Behind those, it keeps jobs unclaimed, in arrival order, up to its share of the
 * poller's window or {@link #PARK_WAIT_MS} more of work, and claims them as room appears: those jobs hold the
 * poller's window, so while every lane is full the poller stops reading and the backlog waits in the stream, in
 * order, at no cost. Only work beyond that is deferred to the retry set, to about when the lane will have room, so a
 * slow endpoint neither holds up the others nor makes the queue spin. Pure: no I/O, the clock and the node-wide slot count are given, and what is to be claimed, started or
 * sent away is handed back through callbacks.
 *
 * <p>Between tenants: while another tenant holds work here, each tenant may hold (parked, claiming, waiting or
 * attempting) at most its share of the instance's budget, the poller window divided among the tenants holding work
 * here, and never less than {@link #MIN_TENANT_SHARE}. A tenant that floods ingest, or whose endpoints all hang,
 * fills its share and has the rest deferred, while another tenant's jobs are admitted as if it were alone. A tenant
 * alone is bounded by the poller's window only: the poller hands its instances unequal parts of the window, and a
 * bound of an equal part sent a saturated node's surplus round the retry set.
 *
 * @param <P> a job not yet claimed, as the caller keeps it
 * @param <T> a claimed job, as the caller keeps it
 */
public final class Scheduler<P, T> {
  /** {@link #admit} answers: claim the job now. */
  public static final long CLAIM = 0;
  /** {@link #admit} answers: the scheduler keeps the job unclaimed and hands it to be claimed when its lane has room. */
  public static final long PARKED = -1;

  /** Why a job was sent away (a metric label). */
  public enum Deferral {
    RATE_LIMIT("rate_limit"), TENANT_SHARE("tenant_share"), LANE_FULL("lane_full");

    public final String label;

    Deferral(String label) {
      this.label = label;
    }
  }
  /**
   * How much work one subscription's lane may hold on this instance, in the time it takes to start it at the pace
   * its slots free up; in jobs, at most the instance's budget. Waiting jobs hold the poller's window (4096 per node):
   * bounding the wait in time bounds what a slow endpoint takes of it, while a fast one keeps enough to stay busy
   * until deferred jobs come back (the retry set is moved every 100 ms). A fixed count below the budget sent a fast
   * endpoint's surplus round the retry set while the window had room, and under overload that churn (several Redis
   * commands per webhook) took the CPU the deliveries needed.
   */
  static final long LANE_WAIT_MS = 500;
  /**
   * How much more work a lane may keep unclaimed behind what it claimed, at its observed pace, once it holds its
   * share of the window (divided among the lanes with work waiting): a slow endpoint keeps its share or
   * two seconds of its own pace, whichever is more. Deferring instead sent a saturated node's surplus round the retry
   * set again and again (five Redis commands per webhook instead of one, lag tails of 27 s as deferred jobs went
   * behind those deferred since); kept here, a job keeps its place and costs nothing. The share is what makes that
   * hold under load: an attempt's observed time includes the wait for the node's event loop, so a saturated node's
   * fast endpoint looks slow.
   */
  static final long PARK_WAIT_MS = 1500;
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
  private final Consumer<P> claim;
  private final BiConsumer<P, Long> sendAway;
  private final Consumer<T> start;
  private final Consumer<T> expired;
  private final Map<UUID, Lane<P, T>> lanes = new HashMap<>();
  /**
   * The lanes that have jobs waiting for a slot or parked: what the periodic tick looks at. Walking every lane
   * instead was the node's hottest frame with thousands of subscriptions (a JFR profile of 1,000 tenants × 3).
   */
  private final Map<UUID, Lane<P, T>> busyLanes = new HashMap<>();
  private final Map<UUID, RateLimiter> limiters = new HashMap<>();
  /**
   * What each tenant holds on this instance, and how many tenants hold something. Each lane points at its tenant's
   * count, so that a job's way through (admitted, claimed, finished) looks up its lane and nothing else: with
   * thousands of subscriptions every lookup is a miss in the CPU's caches, and a map of counts per tenant took three
   * more per job (a profile of 1,000 tenants × 3).
   */
  private final Map<UUID, TenantLoad> tenants = new HashMap<>();
  private int tenantsHolding;
  private final int budget;
  private Deferral lastDeferral;

  /**
   * @param instances the delivery instances on this node, which share its slots and rate limits
   * @param leaseMs how long a claim lasts; a job that waited half of it is given back instead of started, and a
   *     parked job that waited as long goes back to the queue (the poller's own hold on it lasts a lease)
   * @param claim takes a parked job whose lane has room now: it claims it and answers {@link #claimed} or
   *     {@link #notClaimed}, as for a job {@link #admit} answered {@link #CLAIM}
   * @param sendAway takes a parked job to send back to the queue until the given epoch millisecond
   * @param start takes a job that holds a slot now: it makes the attempt and calls {@link #finished} when it is over
   * @param expired takes a job that waited so long for a slot that its lease may lapse mid-attempt, to give it back
   */
  public Scheduler(int instances, long leaseMs, Clock clock, Slots slots, Consumer<P> claim,
      BiConsumer<P, Long> sendAway, Consumer<T> start, Consumer<T> expired) {
    this(instances, leaseMs, Math.max(MIN_TENANT_SHARE, NODE_WINDOW / Math.max(1, instances)), clock, slots, claim,
        sendAway, start, expired);
  }

  /** @param budget the jobs this instance holds for all tenants before tenants get shares of it */
  Scheduler(int instances, long leaseMs, int budget, Clock clock, Slots slots, Consumer<P> claim,
      BiConsumer<P, Long> sendAway, Consumer<T> start, Consumer<T> expired) {
    this.budget = budget;
    this.instances = instances;
    this.maxWaitMs = leaseMs / 2;
    this.clock = clock;
    this.slots = slots;
    this.claim = claim;
    this.sendAway = sendAway;
    this.start = start;
    this.expired = expired;
  }

  /**
   * A job of this enabled subscription arrives: answers {@link #CLAIM} when it is to be claimed now (it then counts
   * in its lane until {@link #claimed} or {@link #notClaimed}), {@link #PARKED} when the scheduler keeps it for
   * later, or the epoch millisecond until which it is to be sent away.
   */
  public long admit(Subscription s, P job) {
    if (s.rateLimitPerS() != null) {
      RateLimiter limiter = limiters.computeIfAbsent(s.id(), id -> new RateLimiter());
      long wait = limiter.reserve(s.rateLimitPerS() / (double) instances, clock.nanos());
      if (wait > 0) {
        lastDeferral = Deferral.RATE_LIMIT;
        return clock.millis() + Math.max(10, wait);
      }
    }
    Lane<P, T> lane = lane(s);
    int cap = cap(s);
    int held = lane.tenant.held;
    if (held >= tenantShare(held)) {
      // Over the tenant's share: back when about a share's worth of its work has gone through here.
      lastDeferral = Deferral.TENANT_SHARE;
      double perJobMs = Math.max(0.01, lane.holdMs * instances / cap);
      return clock.millis() + (long) Math.min(MAX_DEFER_MS, Math.max(20, perJobMs * (held - tenantShare(held) + 1)));
    }
    if (lane.parked.isEmpty() && lane.admits(cap, instances, budget)) {
      lane.claiming++;
      hold(lane.tenant);
      return CLAIM;
    }
    // A rate-limited job has its token: it is not kept back, or it would go out in a burst with the ones after it.
    if (s.rateLimitPerS() == null && lane.parks(cap, instances, laneShare(s.id()))) {
      lane.parked.add(new Parked<>(job, cap, clock.millis()));
      hold(lane.tenant);
      busyLanes.put(s.id(), lane);
      return PARKED;
    }
    lastDeferral = Deferral.LANE_FULL;
    return lane.deferDueMs(cap, instances, clock.millis());
  }

  /** Why the last job that {@link #admit} answered with a time was sent away. */
  public Deferral lastDeferral() {
    return lastDeferral;
  }

  /**
   * A lane's share of the window: the node's window divided among this instance's lanes with jobs waiting or parked
   * (this one counted). The node's, not the instance's part of it: the poller hands its instances unequal parts, and
   * a lane alone on a saturated node had its surplus over an equal part sent round the retry set.
   */
  private int laneShare(UUID subscriptionId) {
    return NODE_WINDOW / (busyLanes.size() + (busyLanes.containsKey(subscriptionId) ? 0 : 1));
  }

  /** A tenant's share: the budget divided among the tenants holding work here (this one counted), if any other. */
  private int tenantShare(int held) {
    int tenants = tenantsHolding + (held == 0 ? 1 : 0);
    return tenants == 1 ? Integer.MAX_VALUE : Math.max(MIN_TENANT_SHARE, budget / tenants);
  }

  private Lane<P, T> lane(Subscription s) {
    Lane<P, T> lane = lanes.get(s.id());
    if (lane == null) {
      lane = new Lane<>(tenants.computeIfAbsent(s.tenantId(), id -> new TenantLoad()));
      lanes.put(s.id(), lane);
    }
    return lane;
  }

  private void hold(TenantLoad tenant) {
    if (tenant.held++ == 0) {
      tenantsHolding++;
    }
  }

  private void released(TenantLoad tenant) {
    if (tenant.held > 0 && --tenant.held == 0) {
      tenantsHolding--;
    }
  }

  /** How many jobs the tenant holds on this instance (tests). */
  int held(UUID tenant) {
    TenantLoad load = tenants.get(tenant);
    return load == null ? 0 : load.held;
  }

  /** The claim of an admitted job came back with the job: it starts now if a slot is free, or waits in its lane. */
  public void claimed(Subscription s, T job) {
    Lane<P, T> lane = claimAnswered(s);
    if (lane.waiting.isEmpty() && slots.take(s.id(), cap(s))) {
      start.accept(job);
      if (!lane.parked.isEmpty()) {
        claimParked(s.id(), lane);
      }
    } else {
      lane.waiting.add(new Waiting<>(job, cap(s), clock.millis()));
      busyLanes.put(s.id(), lane);
    }
  }

  /** The claim of an admitted job came back without it (finished, owned elsewhere, not due), or failed. */
  public void notClaimed(Subscription s) {
    Lane<P, T> lane = claimAnswered(s);
    released(lane.tenant);
    if (!lane.parked.isEmpty()) {
      claimParked(s.id(), lane);
    }
  }

  private Lane<P, T> claimAnswered(Subscription s) {
    Lane<P, T> lane = lane(s);
    lane.claiming--;
    return lane;
  }

  /** An attempt started by this scheduler is over after holding its slot {@code heldNanos}: the next one may go. */
  public void finished(UUID subscriptionId, long heldNanos) {
    slots.giveBack(subscriptionId);
    Lane<P, T> lane = lanes.get(subscriptionId);
    if (lane != null) {
      released(lane.tenant);
      lane.held(heldNanos);
      startWaiting(subscriptionId, lane);
    }
  }

  /** Whether a job waits for a slot or is parked: only then has {@link #tick} anything to do. */
  public boolean waiting() {
    return !busyLanes.isEmpty();
  }

  /**
   * Slots freed by the node's other delivery instances wake this instance's waiting jobs too, and the lanes' paces
   * change: called every 20 ms while {@link #waiting}.
   */
  public void tick() {
    if (!busyLanes.isEmpty()) {
      // a copy: a lane whose last job starts leaves the map meanwhile
      for (Map.Entry<UUID, Lane<P, T>> e : new ArrayList<>(busyLanes.entrySet())) {
        startWaiting(e.getKey(), e.getValue());
      }
    }
  }

  /** Every claimed job still waiting for a slot, taken out of the lanes (on the way out). */
  public List<T> takeWaiting() {
    return takeAll(lane -> lane.waiting, Waiting::job);
  }

  /** Every parked job, taken out of the lanes (on the way out): none of them was claimed. */
  public List<P> takeParked() {
    return takeAll(lane -> lane.parked, Parked::job);
  }

  private <E, J> List<J> takeAll(Function<Lane<P, T>, ArrayDeque<E>> queue, Function<E, J> job) {
    List<J> all = new ArrayList<>();
    busyLanes.values().forEach(lane -> {
      ArrayDeque<E> jobs = queue.apply(lane);
      jobs.forEach(e -> {
        all.add(job.apply(e));
        released(lane.tenant);
      });
      jobs.clear();
    });
    busyLanes.values().removeIf(Lane::idle);
    return all;
  }

  private void startWaiting(UUID subscriptionId, Lane<P, T> lane) {
    while (!lane.waiting.isEmpty() && slots.take(subscriptionId, lane.waiting.peek().cap())) {
      Waiting<T> w = lane.waiting.poll();
      if (clock.millis() - w.sinceMs() > maxWaitMs) {
        slots.giveBack(subscriptionId);
        released(lane.tenant);
        expired.accept(w.job());
      } else {
        start.accept(w.job());
      }
    }
    claimParked(subscriptionId, lane);
  }

  /** Parked jobs are claimed, oldest first, while the lane has room; one parked for half a lease goes back. */
  private void claimParked(UUID subscriptionId, Lane<P, T> lane) {
    long now = clock.millis();
    while (!lane.parked.isEmpty()) {
      Parked<P> p = lane.parked.peek();
      if (now - p.sinceMs() > maxWaitMs) {
        lane.parked.poll();
        released(lane.tenant);
        sendAway.accept(p.job(), now);
      } else if (lane.admits(p.cap(), instances, budget)) {
        lane.parked.poll();
        lane.claiming++; // still counted for its tenant since it was parked
        claim.accept(p.job());
      } else {
        break;
      }
    }
    if (lane.idle()) {
      busyLanes.remove(subscriptionId);
    }
  }

  private static int cap(Subscription s) {
    return Math.max(1, s.maxInFlight());
  }

  /** Jobs a tenant holds on this instance: admitted or parked, and not yet finished, given back or expired. */
  private static final class TenantLoad {
    int held;
  }

  /** A claimed job waiting for a slot; its lease runs meanwhile. */
  private record Waiting<T>(T job, int cap, long sinceMs) {}

  /** A job kept unclaimed until its lane has room; it holds a place in the poller's window meanwhile. */
  private record Parked<P>(P job, int cap, long sinceMs) {}

  /**
   * One subscription's jobs on this instance: those being claimed, those waiting for a slot, those parked behind
   * them, and how long one holds a slot.
   */
  private static final class Lane<P, T> {
    final TenantLoad tenant;
    final ArrayDeque<Waiting<T>> waiting = new ArrayDeque<>();
    final ArrayDeque<Parked<P>> parked = new ArrayDeque<>();
    int claiming;
    double holdMs = 5; // moving average of attempt durations
    double deferClockMs; // the due time handed to the last job sent away (fractions: jobs may be due 0.1 ms apart)

    Lane(TenantLoad tenant) {
      this.tenant = tenant;
    }

    void held(long nanos) {
      holdMs += (nanos / 1e6 - holdMs) * 0.05;
    }

    /** How long {@code jobs} will take to start, at the pace slots free up for this instance. */
    double drainMs(int jobs, int cap, int instances) {
      return jobs * holdMs * instances / cap;
    }

    boolean admits(int cap, int instances, int limit) {
      int claimed = claiming + waiting.size();
      return claimed < limit && drainMs(claimed, cap, instances) < LANE_WAIT_MS;
    }

    /**
     * Whether one more job may be parked: while the lane holds less than its share of the window, or while its
     * claimed and parked work together start within the bound; never past the node's window.
     */
    boolean parks(int cap, int instances, int share) {
      int all = claiming + waiting.size() + parked.size();
      return all < NODE_WINDOW && (all < share || drainMs(all, cap, instances) < LANE_WAIT_MS + PARK_WAIT_MS);
    }

    boolean idle() {
      return waiting.isEmpty() && parked.isEmpty();
    }

    /**
     * When a job the lane cannot take should come back: after the jobs ahead of it are through, spaced at the pace
     * the subscription's slots free up here, so each surplus job goes round the retry set about once.
     */
    long deferDueMs(int cap, int instances, long nowMs) {
      // Aimed early, at half the estimate: a job back too soon waits in the lane or goes round once more, while
      // one back too late leaves the endpoint's slots idle.
      double perJobMs = Math.max(0.01, holdMs * instances / cap) / 2;
      double earliest = nowMs + drainMs(claiming + waiting.size() + parked.size(), cap, instances) / 2;
      deferClockMs = Math.min(Math.max(deferClockMs, earliest) + perJobMs, nowMs + MAX_DEFER_MS);
      return (long) deferClockMs;
    }
  }
}
