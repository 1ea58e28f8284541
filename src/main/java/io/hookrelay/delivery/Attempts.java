package io.hookrelay.delivery;

import io.hookrelay.delivery.OutcomePolicy.Decision;
import io.hookrelay.metrics.Metrics;
import io.hookrelay.ops.OperationalEvents;
import io.hookrelay.store.AttemptRecorder;
import io.hookrelay.store.DeliveryRepository.AttemptRecord;
import io.hookrelay.store.DeliveryRepository.Claimed;
import io.hookrelay.store.DeliveryRepository.KeyPosition;
import io.hookrelay.store.Subscription;
import io.hookrelay.tracing.Tracing;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt of a claimed delivery: sends it, judges the answer, and puts the outcome on record (and reports a
 * delivery that failed for good to the operational webhook).
 */
final class Attempts {
  // Which node made which attempt: the trail to follow when a cluster misbehaves. It keeps the logger name that
  // operators switch to DEBUG for it (and that ClusterTest counts), the verticle's.
  private static final Logger trail = LoggerFactory.getLogger(DeliveryVerticle.class);
  private final Vertx vertx;
  private final TargetClient target;
  private final AttemptRecorder recorder;
  private final RetryPolicy retryPolicy;
  private final Metrics metrics;
  private final Tracing tracing;

  /** A recorded attempt: its number, how it was judged, and how long the target took. */
  record Recorded(int attemptNumber, Decision decision, long durationNanos) {}

  /** The attempt was not recorded (cut short by our own shutdown, or the write failed): its entry stays pending. */
  static final class NotRecorded extends RuntimeException {
    NotRecorded(String why) {
      super(why, null, false, false);
    }
  }

  Attempts(Vertx vertx, TargetClient target, AttemptRecorder recorder, RetryPolicy retryPolicy, Metrics metrics,
      Tracing tracing) {
    this.vertx = vertx;
    this.target = target;
    this.recorder = recorder;
    this.retryPolicy = retryPolicy;
    this.metrics = metrics;
    this.tracing = tracing;
  }

  /**
   * Makes the attempt. {@code answered} runs as soon as the target's answer is in, before the write, so its slot
   * frees up early; {@code abandoning} says whether our own shutdown cut it short, which is not the receiver's
   * failure and is not recorded.
   */
  Future<Recorded> make(Subscription s, Claimed claimed, Runnable answered, BooleanSupplier abandoning) {
    metrics.attemptStarted();
    int attemptNumber = claimed.attemptCount() + 1;
    OffsetDateTime startedAt = OffsetDateTime.now(ZoneOffset.UTC);
    long started = System.nanoTime();
    // Null when tracing is off; the attempt's span ends once its outcome is on record.
    Tracing.Attempt trace = tracing.startAttempt(claimed.traceContext(), claimed.id(), s.id(), attemptNumber,
        claimed.eventType());
    Future<Recorded> made = target.send(s, claimed, attemptNumber, startedAt, trace).compose(response -> {
      metrics.attemptEnded();
      long durationNanos = System.nanoTime() - started;
      answered.run();
      if (abandoning.getAsBoolean()) {
        return Future.failedFuture(new NotRecorded("shutting down"));
      }
      long nowMs = System.currentTimeMillis();
      Decision d = OutcomePolicy.decide(attemptNumber, response.answer(), retryPolicy.overriddenBy(s.policy()),
          ThreadLocalRandom.current().nextDouble(), nowMs);
      trail.debug("attempt {} of delivery {}: {} ({} ms)", attemptNumber, claimed.id(), d.outcome(),
          durationNanos / 1_000_000);
      metrics.attempted(d.outcome(), durationNanos);
      OffsetDateTime nextAt = d.retrying()
          ? OffsetDateTime.now(ZoneOffset.UTC).plusNanos(d.retryDelayMs() * 1_000_000) : null;
      AttemptRecord record = new AttemptRecord(claimed.id(), s.id(), s.targetUrl(), attemptNumber, startedAt,
          (int) (durationNanos / 1_000_000), d.outcome(), response.answer().statusCode(), d.lastError(),
          response.body(), d.newStatus(), nextAt, d.gone(), claimed.orderingSeq() == null ? null
          : new KeyPosition(s.id(), claimed.orderingKey(), claimed.orderingSeq()));
      return recorder.record(record, d.retrying() ? nowMs + d.retryDelayMs() : null).map(v -> {
        if (trace != null) {
          trace.end(d.outcome(), response.answer().statusCode(), d.lastError());
        }
        // A delivery that reached its final state, on record, counts once; its lag runs from the 202 to now.
        if (!d.retrying()) {
          OffsetDateTime acceptedAt = claimed.createdAt();
          metrics.delivered(d.succeeded(), d.succeeded() && acceptedAt != null
              ? Duration.between(acceptedAt.toInstant(), Instant.now()) : null);
        }
        if (OutcomePolicy.FAILED.equals(d.newStatus())) {
          OperationalEvents.deliveryFailed(vertx, claimed.id(), s.id(), attemptNumber, d.lastError());
        }
        return new Recorded(attemptNumber, d, durationNanos);
      });
    });
    return trace == null ? made : made.onFailure(trace::notRecorded);
  }
}
