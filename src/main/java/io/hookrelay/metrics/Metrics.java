package io.hookrelay.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One node's meters: the Prometheus registry Vert.x reports into, and hookrelay's own counters, histograms and
 * gauges. Node creates one and hands it to its verticles, so two nodes in one JVM never share numbers. Labels are
 * bounded sets of words (results, outcomes, error codes), never ids or URLs.
 */
public final class Metrics {
  public static final String INGESTED = "hookrelay.ingested";
  public static final String DELIVERIES = "hookrelay.deliveries";
  public static final String ATTEMPTS = "hookrelay.attempts";
  public static final String ATTEMPT_DURATION = "hookrelay.attempt.duration";
  public static final String DELIVERY_LAG = "hookrelay.delivery.lag";
  public static final String DEFERRED = "hookrelay.deliveries.deferred";
  public static final String TENANT_ROWS_DELETED = "hookrelay.tenant.rows.deleted";

  /** Ingest results, as the {@code result} label says them. */
  public static final String ACCEPTED = "accepted";
  public static final String DUPLICATE = "duplicate";
  public static final String REJECTED = "rejected";

  private static final Duration[] SLOS = {
      Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
      Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
      Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30),
      Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15), Duration.ofHours(1)};

  private final PrometheusMeterRegistry registry;
  private final Map<String, Counter> ingested = new ConcurrentHashMap<>();
  private final Map<String, Counter> tenantRowsDeleted = new ConcurrentHashMap<>();
  private final Counter succeeded;
  private final Counter failed;
  private final Map<String, Counter> attempts = new ConcurrentHashMap<>();
  private final Map<String, Counter> deferred = new ConcurrentHashMap<>();
  private final Map<String, Timer> attemptDurations = new ConcurrentHashMap<>();
  private final Timer deliveryLag;
  private final AtomicLong queueDepth = new AtomicLong();
  private final AtomicLong retryDepth = new AtomicLong();
  private final AtomicLong inFlight = new AtomicLong();
  private final AtomicLong disabledSubscriptions = new AtomicLong();
  private volatile StatsSnapshot latest = StatsSnapshot.EMPTY;

  public Metrics() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    succeeded = Counter.builder(DELIVERIES).tag("outcome", "succeeded")
        .description("Deliveries that ended: succeeded (a 2xx) or failed (retries exhausted or 410 Gone)")
        .register(registry);
    failed = Counter.builder(DELIVERIES).tag("outcome", "failed").register(registry);
    deliveryLag = Timer.builder(DELIVERY_LAG)
        .description("From the 202 of ingest to the successful attempt of a delivery")
        .serviceLevelObjectives(SLOS)
        .register(registry);
    for (String outcome : new String[] {"success", "failed_attempt", "failure"}) {
      attempts.put(outcome, Counter.builder(ATTEMPTS).tag("outcome", outcome)
          .description("Delivery attempts by outcome").register(registry));
      attemptDurations.put(outcome, Timer.builder(ATTEMPT_DURATION).tag("outcome", outcome)
          .description("How long an attempt took, from request to response or error")
          .serviceLevelObjectives(SLOS)
          .register(registry));
    }
    for (String reason : new String[] {"lane_full", "tenant_share", "rate_limit"}) {
      deferred.put(reason, Counter.builder(DEFERRED).tag("reason", reason)
          .description("Jobs a delivery instance sent back to the retry set instead of claiming or keeping them")
          .register(registry));
    }
    ingested(ACCEPTED, "none", 0);
    ingested(DUPLICATE, "idempotency_key", 0);
    Gauge.builder("hookrelay.queue.depth", queueDepth, AtomicLong::get)
        .description("Entries in the Redis delivery stream not yet finished (sampled every second)")
        .register(registry);
    Gauge.builder("hookrelay.retry.depth", retryDepth, AtomicLong::get)
        .description("Deliveries waiting in the Redis retry set (sampled every second)")
        .register(registry);
    Gauge.builder("hookrelay.deliveries.in_flight", inFlight, AtomicLong::get)
        .description("Attempts under way on this node")
        .register(registry);
    Gauge.builder("hookrelay.subscriptions.disabled", disabledSubscriptions, AtomicLong::get)
        .description("Subscriptions disabled by the circuit breaker, a 410 or an operator (sampled)")
        .register(registry);
  }

  /** The registry Vert.x reports its HTTP, pool and event-bus metrics into. */
  public MeterRegistry registry() {
    return registry;
  }

  public PrometheusMeterRegistry prometheus() {
    return registry;
  }

  /** One ingest request ended: accepted, duplicate, or rejected for {@code reason} (an error code). */
  public void ingested(String result, String reason) {
    ingested(result, reason, 1);
  }

  private void ingested(String result, String reason, int n) {
    ingested.computeIfAbsent(result + '|' + reason, k -> Counter.builder(INGESTED)
            .tag("result", result).tag("reason", reason)
            .description("Ingest requests by result; reason is the error code of a rejection")
            .register(registry))
        .increment(n);
  }

  /** A job was sent back to the retry set unattempted: {@code reason} is lane_full, tenant_share or rate_limit. */
  public void deferred(String reason) {
    deferred.get(reason).increment();
  }

  /** An attempt ended: {@code outcome} is Success, Failed Attempt or Failure as stored. */
  public void attempted(String outcome, long durationNanos) {
    String label = switch (outcome) {
      case "Success" -> "success";
      case "Failure" -> "failure";
      default -> "failed_attempt";
    };
    attempts.get(label).increment();
    attemptDurations.get(label).record(durationNanos, TimeUnit.NANOSECONDS);
  }

  /** A delivery reached a final state (on record); the lag counts for successes only. */
  public void delivered(boolean success, Duration lag) {
    if (success) {
      succeeded.increment();
      if (lag != null && !lag.isNegative()) {
        deliveryLag.record(lag);
      }
    } else {
      failed.increment();
    }
  }

  public void attemptStarted() {
    inFlight.incrementAndGet();
  }

  public void attemptEnded() {
    inFlight.decrementAndGet();
  }

  /** Rows the purge of deleted tenants removed, by table (a bounded label: no tenant ids). */
  public void tenantRowsDeleted(String table, long rows) {
    tenantRowsDeleted.computeIfAbsent(table, t -> Counter.builder(TENANT_ROWS_DELETED).tag("table", t)
        .description("Rows of deleted tenants removed by the background purge").register(registry)).increment(rows);
  }

  public void queueDepths(long stream, long retry) {
    queueDepth.set(stream);
    retryDepth.set(retry);
  }

  public void disabledSubscriptions(long n) {
    disabledSubscriptions.set(n);
  }

  /** Cumulative numbers as of now, from which the sampler derives rates. */
  Totals totals() {
    double accepted = 0;
    double duplicates = 0;
    double rejected = 0;
    for (Map.Entry<String, Counter> e : ingested.entrySet()) {
      double v = e.getValue().count();
      if (e.getKey().startsWith(ACCEPTED + '|')) {
        accepted += v;
      } else if (e.getKey().startsWith(DUPLICATE + '|')) {
        duplicates += v;
      } else {
        rejected += v;
      }
    }
    return new Totals(System.nanoTime(), (long) accepted, (long) duplicates, (long) rejected,
        (long) succeeded.count(), (long) failed.count(), (long) attempts.get("success").count(),
        (long) (attempts.get("failed_attempt").count() + attempts.get("failure").count()),
        deliveryLag.count(), deliveryLag.totalTime(TimeUnit.SECONDS));
  }

  long queueDepth() {
    return queueDepth.get();
  }

  long retryDepth() {
    return retryDepth.get();
  }

  long inFlight() {
    return inFlight.get();
  }

  long disabledSubscriptions() {
    return disabledSubscriptions.get();
  }

  /** The latest once-a-second snapshot of this node (rates, depths, totals), for /stats and the dashboard. */
  public StatsSnapshot latest() {
    return latest;
  }

  void publish(StatsSnapshot snapshot) {
    latest = snapshot;
  }

  record Totals(long atNanos, long accepted, long duplicates, long rejected, long succeeded, long failed,
      long successfulAttempts, long failedAttempts, long lagCount, double lagSeconds) {}
}
