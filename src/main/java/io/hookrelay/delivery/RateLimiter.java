package io.hookrelay.delivery;

/**
 * A token bucket for one subscription's {@code rate_limit_per_s} on one delivery verticle instance (and for a
 * tenant's {@code ingest_rate_per_s} on one API verticle instance): a burst of at
 * most one second's worth, refilled continuously.
 */
public final class RateLimiter {
  private double tokens = -1;
  private long lastNanos;

  /** Takes a token if there is one (answers 0); otherwise answers the milliseconds until there will be. */
  public long reserve(double perSecond, long nowNanos) {
    double capacity = Math.max(1.0, perSecond);
    if (tokens < 0) {
      tokens = capacity;
      lastNanos = nowNanos;
    }
    tokens = Math.min(capacity, tokens + (nowNanos - lastNanos) / 1e9 * perSecond);
    lastNanos = nowNanos;
    if (tokens >= 1.0) {
      tokens -= 1.0;
      return 0;
    }
    return (long) Math.ceil((1.0 - tokens) / perSecond * 1000);
  }
}
