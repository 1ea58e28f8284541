package io.hookrelay.queue;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When the queue poller looks at the retry set: as soon as a retry is due, never more than ten times a second. */
class RetryPaceTest {
  private static final long NOW = 1_000_000;

  @Test
  void anEmptySetIsLookedAtAgainInASecond() {
    assertThat(RetryPace.afterLook(new DeliveryQueue.Moved(0, -1), 1000, NOW)).isEqualTo(NOW + 1000);
  }

  @Test
  void aFullLookIsFollowedAtOnce() {
    assertThat(RetryPace.afterLook(new DeliveryQueue.Moved(1000, NOW + 5000), 1000, NOW)).isEqualTo(NOW);
  }

  @Test
  void theNextLookIsWhenTheEarliestRetryIsDue() {
    assertThat(RetryPace.afterLook(new DeliveryQueue.Moved(3, NOW + 400), 1000, NOW)).isEqualTo(NOW + 400);
  }

  @Test
  void looksStayATenthOfASecondApartAndASecondAtMost() {
    assertThat(RetryPace.afterLook(new DeliveryQueue.Moved(3, NOW + 10), 1000, NOW)).isEqualTo(NOW + 100);
    assertThat(RetryPace.afterLook(new DeliveryQueue.Moved(0, NOW + 60_000), 1000, NOW)).isEqualTo(NOW + 1000);
  }

  @Test
  void anAnnouncedRetryIsLookedForWhenDueButNotTooSoonAfterTheLastLook() {
    assertThat(RetryPace.forRetry(NOW + 300, NOW)).isEqualTo(NOW + 300);
    assertThat(RetryPace.forRetry(NOW + 20, NOW)).isEqualTo(NOW + 100);
    assertThat(RetryPace.forRetry(NOW - 5000, NOW - 2000)).isEqualTo(NOW - 1900);
  }
}
