package io.hookrelay.delivery;

import io.hookrelay.store.SubscriptionPolicy;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When to try again: attempt n+1 waits {@code schedule[n-1]} with ±20 % jitter (the last step repeats when there
 * are more attempts than steps); a receiver's Retry-After on 429 or 503 is honoured up to the largest step.
 */
public final class RetryPolicy {
  private final List<Duration> schedule;
  private final int maxAttempts;
  private final long largestStepMs;

  public RetryPolicy(List<Duration> schedule, int maxAttempts) {
    this.schedule = List.copyOf(schedule);
    this.maxAttempts = maxAttempts;
    this.largestStepMs = schedule.stream().mapToLong(Duration::toMillis).max().orElse(0);
  }

  /**
   * The policy for one subscription: its own schedule and number of attempts where it sets them, this (the node's)
   * where it does not.
   */
  public RetryPolicy overriddenBy(SubscriptionPolicy own) {
    if (own.retrySchedule() == null && own.maxAttempts() == null) {
      return this;
    }
    return new RetryPolicy(own.retrySchedule() != null ? own.retrySchedule() : schedule,
        own.maxAttempts() != null ? own.maxAttempts() : maxAttempts);
  }

  public int maxAttempts() {
    return maxAttempts;
  }

  public boolean exhausted(int attemptsMade) {
    return attemptsMade >= maxAttempts;
  }

  /** The wait after attempt {@code attemptsMade} (1-based) failed, in milliseconds. */
  public long delayMs(int attemptsMade, int statusCode, String retryAfter) {
    return delayMs(attemptsMade, statusCode, retryAfter, ThreadLocalRandom.current().nextDouble(),
        System.currentTimeMillis());
  }

  /**
   * The same, with the jitter's draw in [0, 1) and the clock given: a pure function. A draw of 0 waits 80 % of the
   * step, one near 1 nearly 120 %.
   */
  public long delayMs(int attemptsMade, int statusCode, String retryAfter, double draw, long nowMs) {
    if ((statusCode == 429 || statusCode == 503) && retryAfter != null) {
      long asked = parseRetryAfterMs(retryAfter, nowMs);
      if (asked >= 0) {
        return Math.min(asked, largestStepMs);
      }
    }
    long base = schedule.get(Math.min(attemptsMade, schedule.size()) - 1).toMillis();
    return Math.round(base * (0.8 + draw * 0.4));
  }

  /** Retry-After is either delay-seconds or an HTTP date; answers -1 when it is neither. */
  static long parseRetryAfterMs(String value) {
    return parseRetryAfterMs(value, System.currentTimeMillis());
  }

  static long parseRetryAfterMs(String value, long nowMs) {
    String v = value.trim();
    try {
      long seconds = Long.parseLong(v);
      return seconds < 0 ? -1 : seconds * 1000;
    } catch (NumberFormatException e) {
      try {
        long at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
        return Math.max(0, at - nowMs);
      } catch (RuntimeException e2) {
        return -1;
      }
    }
  }
}
