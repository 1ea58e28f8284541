package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.store.Subscription;
import io.hookrelay.testing.Fixtures;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Who goes next, on a fake clock: caps, lanes, parking, deferral, rate limits and lease expiry, in milliseconds. */
class SchedulerTest {
  private static final long LEASE_MS = 30_000;

  private final FakeClock clock = new FakeClock();
  private final CountingSlots slots = new CountingSlots();
  private final List<String> started = new ArrayList<>();
  private final List<String> expired = new ArrayList<>();
  /** Parked jobs handed over to be claimed, in order. */
  private final List<String> toClaim = new ArrayList<>();
  /** Parked jobs sent back to the queue, with the time they are due. */
  private final Map<String, Long> sentAway = new HashMap<>();
  private Scheduler<String, String> scheduler;
  private int jobs;

  @BeforeEach
  void setUp() {
    scheduler = scheduler(1, 0);
  }

  /** A scheduler over this test's clock, slots and callbacks; {@code budget} 0 for the default. */
  private Scheduler<String, String> scheduler(int instances, int budget) {
    return budget == 0
        ? new Scheduler<>(instances, LEASE_MS, clock, slots, toClaim::add, sentAway::put, started::add, expired::add)
        : new Scheduler<>(instances, LEASE_MS, budget, clock, slots, toClaim::add, sentAway::put, started::add,
            expired::add);
  }

  /** Offers the scheduler a job of {@code s} that nothing else looks at. */
  private long admit(Subscription s) {
    return scheduler.admit(s, "job-" + ++jobs);
  }

  @Test
  void aClaimedJobStartsAtOnceWhileTheSubscriptionHasASlot() {
    Subscription s = subscription(2, null);
    admitAndClaim(s, "a");
    admitAndClaim(s, "b");
    assertThat(started).containsExactly("a", "b");
    assertThat(slots.open(s)).isEqualTo(2);
  }

  @Test
  void jobsOverTheCapWaitInTheLaneAndStartInOrderAsSlotsFree() {
    Subscription s = subscription(1, null);
    admitAndClaim(s, "a");
    admitAndClaim(s, "b");
    admitAndClaim(s, "c");
    assertThat(started).containsExactly("a");
    scheduler.finished(s.id(), millis(5));
    assertThat(started).containsExactly("a", "b");
    scheduler.finished(s.id(), millis(5));
    assertThat(started).containsExactly("a", "b", "c");
    assertThat(slots.open(s)).isEqualTo(1);
  }

  @Test
  void theCapIsSharedWithTheNodesOtherInstances() {
    Subscription s = subscription(1, null);
    slots.take(s.id(), 1); // another instance holds the only slot
    admitAndClaim(s, "a");
    assertThat(started).isEmpty();
    slots.giveBack(s.id()); // that instance's attempt ended
    scheduler.tick();
    assertThat(started).containsExactly("a");
  }

  @Test
  void aLaneClaimsWhatItCanStartWithinHalfASecondAndParksItsShareOfTheBudget() {
    busyLanes(127); // 128 lanes with work: a share of the node's window is 32 jobs
    Subscription s = subscription(1, null);
    teachHoldTime(s, 120); // one slot, attempts of 120 ms: a fifth job starts 0.48 s out, a sixth would be past 0.5 s
    assertThat(claimsParksAndThenDefers(s)).containsExactly(5, 27);
    assertThat(scheduler.lastDeferral()).isEqualTo(Scheduler.Deferral.LANE_FULL);
  }

  @Test
  void pastItsShareALaneParksUpToTwoSecondsOfWork() {
    busyLanes(2047); // 2048 lanes with work: a share is 2 jobs
    Subscription s = subscription(1, null);
    teachHoldTime(s, 120);
    // the seventeenth job in the lane starts 1.92 s out, the next past 2 s
    assertThat(claimsParksAndThenDefers(s)).containsExactly(5, 12);
  }

  @Test
  void aLaneAloneParksWhatThePollerGivesIt() {
    scheduler = scheduler(2, 0); // two instances: more than an instance's equal part of the node's window
    Subscription s = subscription(512, null);
    teachHoldTime(s, 2000); // a saturated node: 512 attempts under way at 2 s each
    List<Integer> claimedAndParked = claimsParksAndThenDefers(s);
    assertThat(claimedAndParked.get(0)).isBetween(64, 65); // half a second's work at 7.8 ms a job
    assertThat(claimedAndParked.get(0) + claimedAndParked.get(1)).isEqualTo(Scheduler.NODE_WINDOW);
  }

  /** Offers jobs of {@code s} until one is deferred: answers how many were to be claimed, then how many parked. */
  private List<Integer> claimsParksAndThenDefers(Subscription s) {
    int claimed = 0;
    long answer;
    while ((answer = admit(s)) == Scheduler.CLAIM) {
      claimed++;
    }
    int parked = 0;
    while (answer == Scheduler.PARKED) {
      parked++;
      answer = admit(s);
    }
    assertThat(answer).isGreaterThan(clock.millis);
    return List.of(claimed, parked);
  }

  /** A subscription of the tenant with five jobs being claimed (their claims never come back) and one parked. */
  private Subscription laneWithOneJobParked(UUID tenant) {
    Subscription s = tenantSubscription(tenant, 1);
    teachHoldTime(s, 120);
    while (admit(s) == Scheduler.CLAIM) {
      // fill the lane
    }
    return s;
  }

  /** Gives {@code n} other subscriptions a job each waiting for its slot. */
  private void busyLanes(int n) {
    for (int i = 0; i < n; i++) {
      Subscription other = subscription(1, null);
      admitAndClaim(other, "running");
      admitAndClaim(other, "waiting");
    }
  }

  @Test
  void aParkedJobKeepsItsPlaceAndIsClaimedWhenItsLaneHasRoom() {
    Subscription s = subscription(1, null);
    teachHoldTime(s, 120);
    for (int i = 0; i < 5; i++) {
      assertThat(admit(s)).isEqualTo(Scheduler.CLAIM);
    }
    assertThat(scheduler.admit(s, "first")).isEqualTo(Scheduler.PARKED);
    assertThat(scheduler.admit(s, "second")).isEqualTo(Scheduler.PARKED);
    scheduler.notClaimed(s); // one claim came back empty: room for one more
    assertThat(toClaim).containsExactly("first");
    // The lane has room for nothing more, and a newcomer goes behind the job parked before it.
    assertThat(scheduler.admit(s, "third")).isEqualTo(Scheduler.PARKED);
    scheduler.claimed(s, "first"); // it starts at once, which leaves room for one more
    assertThat(started).containsExactly("first");
    assertThat(toClaim).containsExactly("first", "second");
    assertThat(sentAway).isEmpty();
  }

  @Test
  void aParkedJobThatWaitedHalfALeaseGoesBackToTheQueueDueAtOnce() {
    UUID tenant = UUID.randomUUID();
    Subscription s = laneWithOneJobParked(tenant);
    assertThat(scheduler.held(tenant)).isEqualTo(6); // five claiming, one parked
    clock.advance(LEASE_MS / 2 + 1);
    scheduler.tick();
    assertThat(sentAway).containsOnlyKeys("job-" + jobs).containsValue(clock.millis);
    assertThat(scheduler.held(tenant)).isEqualTo(5);
    assertThat(toClaim).isEmpty();
  }

  @Test
  void aRateLimitedJobIsNeverParked() {
    Subscription s = subscription(1, 1_000_000);
    teachHoldTime(s, 120);
    long answer;
    while ((answer = admit(s)) == Scheduler.CLAIM) {
      // fill the lane
    }
    assertThat(answer).isGreaterThan(clock.millis);
  }

  @Test
  void deferredJobsAreSpacedAtThePaceSlotsFreeUp() {
    busyLanes(2047); // past a share of two jobs, the lane parks up to two seconds of work
    Subscription s = subscription(1, null);
    teachHoldTime(s, 100); // attempts take about 100 ms here
    List<Long> dues = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      long due = admit(s);
      if (due > 0) {
        dues.add(due);
      }
    }
    assertThat(dues).hasSizeGreaterThan(30);
    assertThat(dues.get(0) - clock.millis).as("not before the parked jobs are through").isGreaterThan(900);
    for (int i = 1; i < dues.size(); i++) {
      assertThat(dues.get(i)).isGreaterThan(dues.get(i - 1)); // each comes back after the one before
    }
    assertThat(dues.get(dues.size() - 1) - clock.millis).isLessThanOrEqualTo(Scheduler.MAX_DEFER_MS);
  }

  @Test
  void noJobIsSentAwayForLongerThanThirtySeconds() {
    busyLanes(2047);
    Subscription s = subscription(1, null);
    teachHoldTime(s, 30_000); // a hanging endpoint
    long latest = 0;
    for (int i = 0; i < 200; i++) {
      latest = Math.max(latest, admit(s));
    }
    assertThat(latest).isEqualTo(clock.millis + Scheduler.MAX_DEFER_MS);
  }

  @Test
  void aSlowSubscriptionDoesNotHoldUpAnotherOne() {
    Subscription slow = subscription(1, null);
    Subscription fast = subscription(1, null);
    teachHoldTime(slow, 30_000);
    for (int i = 0; i < 50; i++) {
      admit(slow);
    }
    admitAndClaim(fast, "fast");
    assertThat(started).contains("fast");
  }

  @Test
  void aRateLimitedSubscriptionIsDeferredUntilItsNextToken() {
    Subscription s = subscription(100, 2); // two per second
    assertThat(admit(s)).isZero();
    assertThat(admit(s)).isZero();
    long due = admit(s);
    assertThat(due - clock.millis).isBetween(400L, 500L); // half a second per token
    assertThat(scheduler.lastDeferral()).isEqualTo(Scheduler.Deferral.RATE_LIMIT);
    clock.advance(500);
    assertThat(admit(s)).isZero();
  }

  @Test
  void theRateIsSplitBetweenTheNodesInstances() {
    Scheduler<String, String> twoInstances = scheduler(2, 0);
    Subscription s = subscription(100, 10); // 10/s on the node: 5/s on each of two instances
    int admitted = 0;
    for (int i = 0; i < 20; i++) {
      if (twoInstances.admit(s, "job-" + i) == 0) {
        admitted++;
      }
    }
    assertThat(admitted).isEqualTo(5);
  }

  @Test
  void aJobThatWaitedHalfALeaseIsGivenBackInsteadOfStarted() {
    Subscription s = subscription(1, null);
    admitAndClaim(s, "a");
    admitAndClaim(s, "b");
    clock.advance(LEASE_MS / 2 + 1);
    scheduler.finished(s.id(), millis(LEASE_MS / 2));
    assertThat(started).containsExactly("a");
    assertThat(expired).containsExactly("b");
    assertThat(slots.open(s)).isZero();
  }

  @Test
  void aClaimThatCameBackEmptyLeavesRoomInTheLane() {
    Subscription s = subscription(1, null);
    teachHoldTime(s, 100);
    int admitted = 0;
    while (admit(s) == Scheduler.CLAIM) {
      admitted++;
    }
    for (int i = 0; i < admitted; i++) {
      scheduler.notClaimed(s);
    }
    assertThat(toClaim).hasSize(1); // the job parked meanwhile
    assertThat(admit(s)).isZero();
  }

  @Test
  void onTheWayOutWaitingJobsAreTakenOutOfTheLanes() {
    Subscription s = subscription(1, null);
    admitAndClaim(s, "a");
    admitAndClaim(s, "b");
    admitAndClaim(s, "c");
    assertThat(scheduler.takeWaiting()).containsExactly("b", "c");
    scheduler.finished(s.id(), millis(5));
    assertThat(started).containsExactly("a");
  }

  @Test
  void onTheWayOutParkedJobsAreTakenOutOfTheLanesInOrder() {
    UUID tenant = UUID.randomUUID();
    Subscription s = laneWithOneJobParked(tenant);
    int parkedFirst = jobs;
    assertThat(admit(s)).isEqualTo(Scheduler.PARKED);
    assertThat(scheduler.takeParked()).containsExactly("job-" + parkedFirst, "job-" + jobs);
    assertThat(scheduler.held(tenant)).isEqualTo(5);
    for (int i = 0; i < 5; i++) {
      scheduler.notClaimed(s);
    }
    assertThat(toClaim).isEmpty();
  }

  private void admitAndClaim(Subscription s, String job) {
    assertThat(admit(s)).isZero();
    scheduler.claimed(s, job);
  }

  @Test
  void aTenantAloneIsBoundedOnlyByThePollersWindowAndKeepsToItsShareOnceAnotherHasWork() {
    scheduler = scheduler(1, 200);
    UUID flooding = UUID.randomUUID();
    // The poller may hand this instance more than its equal part of the window: a tenant alone takes it all.
    assertThat(admitMany(flooding, 300)).isEqualTo(300);
    assertThat(scheduler.held(flooding)).isEqualTo(300);
    UUID other = UUID.randomUUID();
    assertThat(admit(tenantSubscription(other, 32))).as("another tenant gets in").isZero();
    assertThat(admit(tenantSubscription(flooding, 32))).as("past its share now").isGreaterThan(clock.millis);
    assertThat(scheduler.lastDeferral()).isEqualTo(Scheduler.Deferral.TENANT_SHARE);
  }

  @Test
  void aFloodingTenantKeepsToItsShareAndAnotherTenantIsAdmittedAsIfAlone() {
    scheduler = scheduler(1, 200);
    UUID flooding = UUID.randomUUID();
    UUID healthy = UUID.randomUUID();
    admitAndClaim(tenantSubscription(healthy, 32), "healthy-0"); // the healthy tenant has work here too
    // Many subscriptions of one tenant, each well within its own lane: only the tenant's share gets in.
    int admitted = admitMany(flooding, 1000);
    assertThat(admitted).isEqualTo(100);
    long due = admit(tenantSubscription(flooding, 32));
    assertThat(due).isGreaterThan(clock.millis).isLessThanOrEqualTo(clock.millis + Scheduler.MAX_DEFER_MS);
    for (int i = 1; i <= 50; i++) {
      Subscription s = tenantSubscription(healthy, 32);
      assertThat(admit(s)).as("healthy job " + i).isZero();
      scheduler.claimed(s, "healthy-" + i);
    }
    assertThat(started).contains("healthy-50");
  }

  @Test
  void aTenantWhoseEndpointsHangFreesItsShareOnlyAsItsAttemptsEnd() {
    scheduler = scheduler(1, 128);
    UUID hanging = UUID.randomUUID();
    UUID other = UUID.randomUUID();
    admitAndClaim(tenantSubscription(other, 32), "other");
    List<Subscription> subs = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      Subscription s = tenantSubscription(hanging, 4);
      subs.add(s);
      admitAndClaim(s, "hang-" + i); // starts and hangs: nothing finishes
    }
    assertThat(admit(tenantSubscription(hanging, 4))).as("past its share").isPositive();
    assertThat(admit(tenantSubscription(other, 32))).as("the other tenant still gets in").isZero();
    scheduler.finished(subs.get(0).id(), millis(2000)); // one hanging attempt timed out
    assertThat(scheduler.held(hanging)).isEqualTo(63);
    assertThat(admit(tenantSubscription(hanging, 4))).isZero();
  }

  @Test
  void aJobGivenBackOrNotClaimedNoLongerCountsForItsTenant() {
    UUID tenant = UUID.randomUUID();
    Subscription s = tenantSubscription(tenant, 1);
    assertThat(admit(s)).isZero();
    scheduler.notClaimed(s);
    assertThat(scheduler.held(tenant)).isZero();
    admitAndClaim(s, "a");
    admitAndClaim(s, "b"); // waits for the only slot
    assertThat(scheduler.takeWaiting()).containsExactly("b");
    assertThat(scheduler.held(tenant)).isEqualTo(1);
    scheduler.finished(s.id(), millis(5));
    assertThat(scheduler.held(tenant)).isZero();
  }

  /** Admits and claims jobs of {@code n} fresh subscriptions of a tenant until one is deferred; answers how many. */
  private int admitMany(UUID tenant, int n) {
    int admitted = 0;
    for (int i = 0; i < n; i++) {
      Subscription s = tenantSubscription(tenant, 32);
      if (admit(s) != 0) {
        break;
      }
      scheduler.claimed(s, "t-" + i);
      admitted++;
    }
    return admitted;
  }

  private static Subscription tenantSubscription(UUID tenant, int maxInFlight) {
    return Fixtures.subscription(tenant, "https://example.com/hook", "whsec_x", maxInFlight, null);
  }

  /** Runs attempts of the given length until the lane's moving average has learnt it. */
  private void teachHoldTime(Subscription s, long ms) {
    for (int i = 0; i < 200; i++) {
      admitAndClaim(s, "warm-up");
      scheduler.finished(s.id(), millis(ms));
    }
    started.clear();
  }

  private static long millis(long ms) {
    return ms * 1_000_000;
  }

  private static Subscription subscription(int maxInFlight, Integer ratePerSecond) {
    return Fixtures.subscription("https://example.com/hook", "whsec_x", maxInFlight, ratePerSecond);
  }

  private static final class FakeClock implements Scheduler.Clock {
    long millis = 1_700_000_000_000L;
    long nanos = 0;

    void advance(long ms) {
      millis += ms;
      nanos += ms * 1_000_000;
    }

    @Override
    public long millis() {
      return millis;
    }

    @Override
    public long nanos() {
      return nanos;
    }
  }

  private static final class CountingSlots implements Scheduler.Slots {
    private final Map<UUID, Integer> open = new HashMap<>();

    int open(Subscription s) {
      return open.getOrDefault(s.id(), 0);
    }

    @Override
    public boolean take(UUID subscriptionId, int cap) {
      int n = open.getOrDefault(subscriptionId, 0);
      if (n >= cap) {
        return false;
      }
      open.put(subscriptionId, n + 1);
      return true;
    }

    @Override
    public void giveBack(UUID subscriptionId) {
      open.computeIfPresent(subscriptionId, (k, n) -> n <= 1 ? null : n - 1);
    }
  }
}
