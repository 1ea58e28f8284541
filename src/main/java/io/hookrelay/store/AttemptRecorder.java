package io.hookrelay.store;

import io.hookrelay.queue.DeliveryQueue;
import io.hookrelay.queue.QueuePollerVerticle;
import io.hookrelay.store.DeliveryRepository.AttemptRecord;
import io.hookrelay.store.DeliveryRepository.Claimed;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The delivery path's writes, batched: claims (so that one worker owns an attempt), holds, and attempt records with
 * their retries scheduled in Redis. A webhook costs a few statements per batch instead of a few per webhook; each
 * caller still learns its own result. Lives on one event loop.
 */
public final class AttemptRecorder {
  private static final Logger log = LoggerFactory.getLogger(AttemptRecorder.class);
  private static final int CLAIM_BATCH = 128;
  private static final int RECORD_BATCH = 256;

  private final Vertx vertx;
  private final DeliveryRepository deliveries;
  private final DeliveryQueue queue;
  private final int breakerThreshold;
  private final BiConsumer<UUID, String> onDisabled;
  private final Batcher<UUID, Claimed> claims;
  private final Batcher<UUID, Void> holds;
  private final Batcher<Recorded, Void> records;
  private int releasing;

  /** An attempt's record and, when it is to be retried, when (epoch ms). */
  private record Recorded(AttemptRecord record, Long retryDueMs) {}

  /**
   * @param onDisabled told of each subscription that recorded outcomes disabled (circuit breaker, 410), with why
   */
  public AttemptRecorder(Vertx vertx, DeliveryRepository deliveries, DeliveryQueue queue, Duration lease,
      int breakerThreshold, BiConsumer<UUID, String> onDisabled) {
    this.vertx = vertx;
    this.deliveries = deliveries;
    this.queue = queue;
    this.breakerThreshold = breakerThreshold;
    this.onDisabled = onDisabled;
    this.claims = new Batcher<>(vertx, CLAIM_BATCH, 1, ids -> claimAll(ids, lease));
    this.holds = new Batcher<>(vertx, CLAIM_BATCH, 1,
        ids -> deliveries.hold(ids).map(v -> Collections.nCopies(ids.size(), null)));
    this.records = new Batcher<>(vertx, RECORD_BATCH, 2, this::recordAll);
  }

  /** Claims the delivery if it is due: answers it with its payload, or null (finished, owned elsewhere, not due). */
  public Future<Claimed> claim(UUID deliveryId) {
    return claims.add(deliveryId);
  }

  /** Claims the delivery of a disabled subscription, if it is due, and parks it until it is enabled again. */
  public Future<Void> claimAndHold(UUID deliveryId) {
    return claims.add(deliveryId).compose(claimed -> claimed == null ? Future.succeededFuture() : holds.add(deliveryId));
  }

  /** Records an attempt, and schedules its retry in Redis when {@code retryDueMs} is set. */
  public Future<Void> record(AttemptRecord record, Long retryDueMs) {
    return records.add(new Recorded(record, retryDueMs));
  }

  /** Gives claimed deliveries back without an attempt, due again now. */
  public Future<Void> release(List<UUID> deliveryIds) {
    releasing++;
    return deliveries.release(deliveryIds).andThen(ar -> releasing--);
  }

  /** Writes what is gathered now, without waiting for the batch timers. */
  public void flush() {
    claims.flush();
    holds.flush();
    records.flush();
  }

  /** Nothing gathered and nothing on its way: closing the pool now loses no reply. */
  public boolean idle() {
    return claims.idle() && holds.idle() && records.idle() && releasing == 0;
  }

  private Future<List<Claimed>> claimAll(List<UUID> ids, Duration lease) {
    return deliveries.claim(ids, lease)
        .onFailure(err -> log.warn("claiming {} deliveries failed: {}", ids.size(), err.getMessage()))
        .map(rows -> {
          Map<UUID, Claimed> byId = new HashMap<>();
          rows.forEach(c -> byId.put(c.id(), c));
          List<Claimed> out = new ArrayList<>(ids.size());
          // remove: a delivery queued twice and read in one batch is claimed once and must be attempted once
          ids.forEach(id -> out.add(byId.remove(id)));
          return out;
        });
  }

  /**
   * Queues the next delivery of each ordering key whose delivery just ended: the claim held it back and dropped its
   * entry. If this fails, the recovery sweep queues it once it has waited its grace.
   */
  private Future<Void> queueNextInKeys(List<Recorded> batch) {
    List<DeliveryRepository.KeyPosition> ended = new ArrayList<>();
    for (Recorded r : batch) {
      if (r.record().endsOrderedDelivery()) {
        ended.add(r.record().ordering());
      }
    }
    if (ended.isEmpty()) {
      return Future.succeededFuture();
    }
    return deliveries.nextInKeys(ended)
        .compose(next -> queue.enqueue(next.stream().map(p -> p[0]).toList(), next.stream().map(p -> p[1]).toList()))
        .onFailure(err -> log.warn("queueing the next of {} ordering keys failed: {}", ended.size(), err.getMessage()))
        .recover(err -> Future.succeededFuture());
  }

  private Future<List<Void>> recordAll(List<Recorded> batch) {
    return deliveries.record(batch.stream().map(Recorded::record).toList(), breakerThreshold)
        .compose(disabled -> {
          disabled.forEach((id, reason) -> {
            log.warn("subscription {} disabled: {}", id, reason);
            onDisabled.accept(id, reason);
          });
          List<UUID> ids = new ArrayList<>();
          List<UUID> subs = new ArrayList<>();
          List<Long> due = new ArrayList<>();
          for (Recorded r : batch) {
            if (r.retryDueMs() != null) {
              ids.add(r.record().deliveryId());
              subs.add(r.record().subscriptionId());
              due.add(r.retryDueMs());
            }
          }
          // Recorded in PostgreSQL already: if Redis misses the retry, recovery re-enqueues it when due.
          Future<Void> retries = queue.scheduleRetries(ids, subs, due)
              .onSuccess(v -> QueuePollerVerticle.announceRetries(vertx, due))
              .onFailure(err -> log.warn("scheduling {} retries in redis failed: {}", ids.size(), err.getMessage()))
              .recover(err -> Future.succeededFuture());
          return Future.all(retries, queueNextInKeys(batch)).<Void>mapEmpty();
        })
        .onFailure(err -> log.warn("recording {} attempts failed: {}", batch.size(), err.getMessage()))
        .map(v -> Collections.nCopies(batch.size(), null));
  }
}
