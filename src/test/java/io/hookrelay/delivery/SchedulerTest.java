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

/** Who goes next, on a fake clock: caps, lanes, deferral, rate limits and lease expiry, in milliseconds. */
class SchedulerTest {
  private static final long LEASE_MS = 30_000;

  private final FakeClock clock = new FakeClock();
  private final CountingSlots slots = new CountingSlots();
  private final List<String> started = new ArrayList<>();
  private final List<String> expired = new ArrayList<>();
  private Scheduler<String> scheduler;

  @BeforeEach
  void setUp() {
    scheduler = new Scheduler<>(1, LEASE_MS, clock, slots, started::add, expired::add);
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
  void aLaneTakesOnlyWhatItCanStartWithinHalfASecondAndDefersTheRest() {
    Subscription s = subscription(1, null);
    teachHoldTime(s, 120); // one slot, attempts of 120 ms: a fifth job starts 0.48 s out, a sixth would be past 0.5 s
    int admitted = 0;
    long due;
    while ((due = scheduler.admit(s)) == 0) {
      admitted++;
    }
    assertThat(admitted).isEqualTo(5);
    assertThat(due).isGreaterThan(clock.millis);
  }

  @Test
  void deferredJobsAreSpacedAtThePaceSlotsFreeUp() {
    Subscription s = subscription(1, null);
    teachHoldTime(s, 100); // attempts take about 100 ms here
    List<Long> dues = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      long due = scheduler.admit(s);
      if (due > 0) {
        dues.add(due);
      }
    }
    assertThat(dues).hasSizeGreaterThan(10);
    for (int i = 1; i < dues.size(); i++) {
      assertThat(dues.get(i)).isGreaterThan(dues.get(i - 1)); // each comes back after the one before
    }
    assertThat(dues.get(dues.size() - 1) - clock.millis).isLessThanOrEqualTo(Scheduler.MAX_DEFER_MS);
  }

  @Test
  void noJobIsSentAwayForLongerThanThirtySeconds() {
    Subscription s = subscription(1, null);
    teachHoldTime(s, 30_000); // a hanging endpoint
    long latest = 0;
    for (int i = 0; i < 200; i++) {
      latest = Math.max(latest, scheduler.admit(s));
    }
    assertThat(latest).isEqualTo(clock.millis + Scheduler.MAX_DEFER_MS);
  }

  @Test
  void aSlowSubscriptionDoesNotHoldUpAnotherOne() {
    Subscription slow = subscription(1, null);
    Subscription fast = subscription(1, null);
    teachHoldTime(slow, 30_000);
    for (int i = 0; i < 50; i++) {
      scheduler.admit(slow);
    }
    admitAndClaim(fast, "fast");
    assertThat(started).contains("fast");
  }

  @Test
  void aRateLimitedSubscriptionIsDeferredUntilItsNextToken() {
    Subscription s = subscription(100, 2); // two per second
    assertThat(scheduler.admit(s)).isZero();
    assertThat(scheduler.admit(s)).isZero();
    long due = scheduler.admit(s);
    assertThat(due - clock.millis).isBetween(400L, 500L); // half a second per token
    clock.advance(500);
    assertThat(scheduler.admit(s)).isZero();
  }

  @Test
  void theRateIsSplitBetweenTheNodesInstances() {
    Scheduler<String> twoInstances = new Scheduler<>(2, LEASE_MS, clock, slots, started::add, expired::add);
    Subscription s = subscription(100, 10); // 10/s on the node: 5/s on each of two instances
    int admitted = 0;
    for (int i = 0; i < 20; i++) {
      if (twoInstances.admit(s) == 0) {
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
    while (scheduler.admit(s) == 0) {
      admitted++;
    }
    for (int i = 0; i < admitted; i++) {
      scheduler.notClaimed(s);
    }
    assertThat(scheduler.admit(s)).isZero();
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

  private void admitAndClaim(Subscription s, String job) {
    assertThat(scheduler.admit(s)).isZero();
    scheduler.claimed(s, job);
  }

  @Test
  void aTenantAloneMayHoldTheWholeBudget() {
    scheduler = new Scheduler<>(1, LEASE_MS, 200, clock, slots, started::add, expired::add);
    UUID flooding = UUID.randomUUID();
    assertThat(admitMany(flooding, 300)).isEqualTo(200);
    assertThat(scheduler.held(flooding)).isEqualTo(200);
  }

  @Test
  void aFloodingTenantKeepsToItsShareAndAnotherTenantIsAdmittedAsIfAlone() {
    scheduler = new Scheduler<>(1, LEASE_MS, 200, clock, slots, started::add, expired::add);
    UUID flooding = UUID.randomUUID();
    UUID healthy = UUID.randomUUID();
    admitAndClaim(tenantSubscription(healthy, 32), "healthy-0"); // the healthy tenant has work here too
    // Many subscriptions of one tenant, each well within its own lane: only the tenant's share gets in.
    int admitted = admitMany(flooding, 1000);
    assertThat(admitted).isEqualTo(100);
    long due = scheduler.admit(tenantSubscription(flooding, 32));
    assertThat(due).isGreaterThan(clock.millis).isLessThanOrEqualTo(clock.millis + Scheduler.MAX_DEFER_MS);
    for (int i = 1; i <= 50; i++) {
      Subscription s = tenantSubscription(healthy, 32);
      assertThat(scheduler.admit(s)).as("healthy job " + i).isZero();
      scheduler.claimed(s, "healthy-" + i);
    }
    assertThat(started).contains("healthy-50");
  }

  @Test
  void aTenantWhoseEndpointsHangFreesItsShareOnlyAsItsAttemptsEnd() {
    scheduler = new Scheduler<>(1, LEASE_MS, 128, clock, slots, started::add, expired::add);
    UUID hanging = UUID.randomUUID();
    UUID other = UUID.randomUUID();
    admitAndClaim(tenantSubscription(other, 32), "other");
    List<Subscription> subs = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      Subscription s = tenantSubscription(hanging, 4);
      subs.add(s);
      admitAndClaim(s, "hang-" + i); // starts and hangs: nothing finishes
    }
    assertThat(scheduler.admit(tenantSubscription(hanging, 4))).as("past its share").isPositive();
    assertThat(scheduler.admit(tenantSubscription(other, 32))).as("the other tenant still gets in").isZero();
    scheduler.finished(subs.get(0).id(), millis(2000)); // one hanging attempt timed out
    assertThat(scheduler.held(hanging)).isEqualTo(63);
    assertThat(scheduler.admit(tenantSubscription(hanging, 4))).isZero();
  }

  @Test
  void aJobGivenBackOrNotClaimedNoLongerCountsForItsTenant() {
    UUID tenant = UUID.randomUUID();
    Subscription s = tenantSubscription(tenant, 1);
    assertThat(scheduler.admit(s)).isZero();
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
      if (scheduler.admit(s) != 0) {
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
