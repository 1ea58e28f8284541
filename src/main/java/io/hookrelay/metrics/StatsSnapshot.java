package io.hookrelay.metrics;

import io.vertx.core.json.JsonObject;

/**
 * What this node did lately, sampled once a second: rates over the last few seconds, queue depths and running
 * totals. Immutable, so the sampler can hand it to the HTTP verticles without sharing anything mutable.
 *
 * @param deliveryLagSeconds mean end-to-end lag of the deliveries that succeeded in the window; null when none did
 */
public record StatsSnapshot(long atMillis, double windowSeconds, double ingestPerSecond, double deliveriesPerSecond,
    double failedAttemptsPerSecond, Double deliveryLagSeconds, long queueDepth, long retryDepth, long inFlight,
    long disabledSubscriptions, long ingestedTotal, long duplicatesTotal, long rejectedTotal, long succeededTotal,
    long failedTotal, long failedAttemptsTotal) {

  static final StatsSnapshot EMPTY = new StatsSnapshot(0, 0, 0, 0, 0, null, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  public JsonObject toJson() {
    return new JsonObject()
        .put("at", atMillis)
        .put("window_seconds", round(windowSeconds))
        .put("ingest_per_s", round(ingestPerSecond))
        .put("deliveries_per_s", round(deliveriesPerSecond))
        .put("failed_attempts_per_s", round(failedAttemptsPerSecond))
        .put("delivery_lag_s", deliveryLagSeconds == null ? null : Math.round(deliveryLagSeconds * 1000) / 1000.0)
        .put("queue_depth", queueDepth)
        .put("retry_depth", retryDepth)
        .put("in_flight", inFlight)
        .put("subscriptions_disabled", disabledSubscriptions)
        .put("totals", new JsonObject()
            .put("ingested", ingestedTotal)
            .put("duplicates", duplicatesTotal)
            .put("rejected", rejectedTotal)
            .put("succeeded", succeededTotal)
            .put("failed", failedTotal)
            .put("failed_attempts", failedAttemptsTotal));
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
