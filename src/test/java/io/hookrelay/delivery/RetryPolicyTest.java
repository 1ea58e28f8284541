package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When the next attempt comes: the schedule with its jitter, Retry-After within the cap, and the last attempt. */
class RetryPolicyTest {
  private static final int SAMPLES = 500;
  private final RetryPolicy policy = new RetryPolicy(
      List.of(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofMinutes(1)), 5);

  @Test
  void eachStepIsWaitedWithinTwentyPercentJitter() {
    long[] steps = {10_000, 30_000, 60_000};
    for (int attempt = 1; attempt <= steps.length; attempt++) {
      long step = steps[attempt - 1];
      for (int i = 0; i < SAMPLES; i++) {
        assertThat(policy.delayMs(attempt, 500, null)).isBetween(step * 8 / 10, step * 12 / 10);
      }
    }
  }

  @Test
  void theJitterSpreadsTheWaits() {
    long min = Long.MAX_VALUE;
    long max = Long.MIN_VALUE;
    for (int i = 0; i < SAMPLES; i++) {
      long d = policy.delayMs(1, 500, null);
      min = Math.min(min, d);
      max = Math.max(max, d);
    }
    assertThat(max - min).isGreaterThan(1_000); // a range of 4 s; 500 draws span well over 1 s
  }

  @Test
  void theLastStepRepeatsWhenThereAreMoreAttemptsThanSteps() {
    for (int i = 0; i < SAMPLES; i++) {
      assertThat(policy.delayMs(4, 0, null)).isBetween(48_000L, 72_000L);
      assertThat(policy.delayMs(9, 0, null)).isBetween(48_000L, 72_000L);
    }
  }

  @Test
  void retryAfterInSecondsIsHonouredOnTooManyRequestsAndUnavailable() {
    assertThat(policy.delayMs(1, 429, "20")).isEqualTo(20_000);
    assertThat(policy.delayMs(1, 503, " 5 ")).isEqualTo(5_000);
  }

  @Test
  void retryAfterIsCappedAtTheLargestStep() {
    assertThat(policy.delayMs(1, 429, "3600")).isEqualTo(60_000);
  }

  @Test
  void retryAfterAsAnHttpDateIsHonoured() {
    String in30s = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(30));

    assertThat(policy.delayMs(1, 503, in30s)).isBetween(28_000L, 30_000L);
  }

  @Test
  void retryAfterAsADateInThePastMeansNow() {
    assertThat(policy.delayMs(1, 429, "Wed, 21 Oct 2015 07:28:00 GMT")).isZero();
  }

  @Test
  void retryAfterIsIgnoredOnOtherStatusesAndWhenUnreadable() {
    for (int i = 0; i < SAMPLES; i++) {
      assertThat(policy.delayMs(1, 500, "1")).isBetween(8_000L, 12_000L);
      assertThat(policy.delayMs(1, 429, "soon")).isBetween(8_000L, 12_000L);
      assertThat(policy.delayMs(1, 429, "-3")).isBetween(8_000L, 12_000L);
    }
  }

  @Test
  void theDeliveryIsExhaustedAtMaxAttempts() {
    assertThat(policy.exhausted(1)).isFalse();
    assertThat(policy.exhausted(4)).isFalse();
    assertThat(policy.exhausted(5)).isTrue();
    assertThat(policy.exhausted(6)).isTrue();
  }
}
