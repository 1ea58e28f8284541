package io.hookrelay.delivery;

/**
 * What a target's answer means for its delivery: success, a retry after backoff (with jitter, or as the receiver's
 * Retry-After asks), or the end; and what it does to the subscription's circuit breaker. A pure function, so every
 * case is written down in one table-driven test.
 */
public final class OutcomePolicy {
  private OutcomePolicy() {}

  /** How an attempt went from the outside: an HTTP status (with its Retry-After), or no answer and why. */
  public record Answer(Integer statusCode, String retryAfter, String error) {
    public static Answer http(int statusCode, String retryAfter) {
      return new Answer(statusCode, retryAfter, null);
    }

    public static Answer noAnswer(String error) {
      return new Answer(null, null, error);
    }
  }

  /** What the answer does to the subscription's count of deliveries failed in a row. */
  public enum Breaker {
    /** A success: the count starts again from zero. */
    RESET,
    /** A delivery that ended failed: one more. */
    COUNT,
    /** An attempt that will be retried: the delivery has not ended yet. */
    NONE
  }

  /**
   * The decision: the delivery's next status, the attempt's recorded outcome, the wait before the next attempt
   * (null unless retrying), whether the target asked to be disabled (410 Gone), the error to record, and the breaker.
   */
  public record Decision(String newStatus, String outcome, Long retryDelayMs, boolean gone, String lastError,
      Breaker breaker) {
    public boolean retrying() {
      return retryDelayMs != null;
    }

    public boolean succeeded() {
      return SUCCEEDED.equals(newStatus);
    }
  }

  public static final String SUCCEEDED = "succeeded";
  public static final String FAILED = "failed";
  public static final String RETRYING = "retrying";

  /**
   * Judges attempt {@code attemptNumber} (1-based). {@code jitter} is a draw in [0, 1) that spreads the backoff;
   * {@code nowMs} is the wall clock that an HTTP-date Retry-After is measured against.
   */
  public static Decision decide(int attemptNumber, Answer answer, RetryPolicy policy, double jitter, long nowMs) {
    Integer code = answer.statusCode();
    if (code != null && code >= 200 && code < 300) {
      return new Decision(SUCCEEDED, "Success", null, false, null, Breaker.RESET);
    }
    String error = answer.error() != null ? answer.error() : "HTTP " + code;
    boolean gone = code != null && code == 410;
    if (gone || policy.exhausted(attemptNumber)) {
      return new Decision(FAILED, "Failure", null, gone, error, Breaker.COUNT);
    }
    long delay = policy.delayMs(attemptNumber, code == null ? 0 : code, answer.retryAfter(), jitter, nowMs);
    return new Decision(RETRYING, "Failed Attempt", delay, false, error, Breaker.NONE);
  }
}
