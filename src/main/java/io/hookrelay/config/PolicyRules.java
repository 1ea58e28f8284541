package io.hookrelay.config;

import java.time.Duration;
import java.util.List;

/**
 * The rules a delivery policy obeys, in one place for both the node's settings (HOOKRELAY_RETRY_SCHEDULE,
 * HOOKRELAY_MAX_ATTEMPTS, HOOKRELAY_DELIVERY_TIMEOUT) and a subscription's own (retry_schedule, max_attempts,
 * timeout). Each check answers null when the value is fine, else the rule it breaks, for the caller to name its field.
 */
public final class PolicyRules {
  public static final int MAX_ATTEMPTS_MIN = 1;
  public static final int MAX_ATTEMPTS_MAX = 100;
  public static final Duration TIMEOUT_MIN = Duration.ofMillis(1);
  public static final Duration TIMEOUT_MAX = Duration.ofMinutes(10);
  public static final int RETRY_STEPS_MAX = 100;
  public static final Duration RETRY_STEP_MAX = Duration.ofDays(30);
  /** How much longer than a delivery's timeout the queue's visibility timeout must be. */
  public static final Duration VISIBILITY_MARGIN = Duration.ofSeconds(1);

  public static final String RETRY_SCHEDULE_RULE = "a list of 1 to " + RETRY_STEPS_MAX
      + " durations like 10s, 30s, 1m, each at most " + Durations.format(RETRY_STEP_MAX);
  public static final String MAX_ATTEMPTS_RULE = "a whole number from " + MAX_ATTEMPTS_MIN + " to " + MAX_ATTEMPTS_MAX;

  private PolicyRules() {}

  public static String retrySchedule(List<Duration> steps) {
    if (steps.isEmpty() || steps.size() > RETRY_STEPS_MAX) {
      return "must be " + RETRY_SCHEDULE_RULE + ", got " + steps.size() + " steps";
    }
    for (Duration step : steps) {
      if (step.compareTo(RETRY_STEP_MAX) > 0) {
        // not the step itself: one of billions of days does not even fit in milliseconds to be printed
        return "must be " + RETRY_SCHEDULE_RULE + ", got a step longer than " + Durations.format(RETRY_STEP_MAX);
      }
    }
    return null;
  }

  public static String maxAttempts(long n) {
    return n < MAX_ATTEMPTS_MIN || n > MAX_ATTEMPTS_MAX ? "must be " + MAX_ATTEMPTS_RULE + ", got " + n : null;
  }

  /**
   * A delivery timeout within bounds and shorter than the visibility timeout by a margin: a delivery still in
   * flight when its queue entry becomes visible again would be claimed and sent twice.
   */
  public static String timeout(Duration timeout, Duration visibilityTimeout) {
    if (timeout.compareTo(TIMEOUT_MIN) < 0 || timeout.compareTo(TIMEOUT_MAX) > 0) {
      return "must be between " + Durations.format(TIMEOUT_MIN) + " and " + Durations.format(TIMEOUT_MAX)
          + ", got " + Durations.format(timeout);
    }
    if (visibilityTimeout.compareTo(timeout.plus(VISIBILITY_MARGIN)) < 0) {
      return "must be shorter than this node's visibility timeout (" + Durations.format(visibilityTimeout)
          + ") by at least " + Durations.format(VISIBILITY_MARGIN)
          + ", or deliveries still in flight would be claimed again; got " + Durations.format(timeout);
    }
    return null;
  }
}
