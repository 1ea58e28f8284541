package io.hookrelay.queue;

import io.hookrelay.bus.Addresses;
import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.store.Batcher;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.hookrelay.bus.Dispatch;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds delivery verticles from Redis: reads the delivery stream with a consumer group, moves due retries into it,
 * claims entries a dead consumer left behind, and hands the jobs over the event bus in batches. An entry is
 * acknowledged only after a delivery verticle reported that its attempt is recorded.
 */
public final class QueuePollerVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(QueuePollerVerticle.class);
  private static final int READ_COUNT = 200;
  /** Retries moved into the stream per look at the retry set. */
  private static final int MOVE_MAX = 1000;
  private static final long BLOCK_MS = 1000;
  /**
   * The PostgreSQL lease on a delivery starts a moment after the stream read, when a delivery verticle claims the
   * row, so an abandoned entry becomes claimable here slightly before its lease lapses. A claim in between would find
   * the lease alive, be answered "done" and acknowledged, leaving the delivery to the slower recovery sweep; waiting
   * this much longer than the visibility timeout keeps the claim after the lease.
   */
  private static final long CLAIM_MARGIN_MS = 1000;
  /** Jobs per event-bus message: small enough that a read spreads over the delivery verticles. */
  private static final int DISPATCH_BATCH = 32;
  /** A batch is answered on arrival; no answer by then means the delivery verticle is gone or stuck. */
  private static final long DISPATCH_TIMEOUT_MS = 10_000;

  private final HookrelayConfig config;
  private final int maxInFlight;
  private final String consumer = "c-" + UUID.randomUUID();
  private Redis redis;
  private DeliveryQueue queue;
  private RedisConnection reader;
  private MessageConsumer<JsonObject> completions;
  private String completionAddress;
  /**
   * Entries handed to delivery verticles and not yet reported on, with the time after which they count as lost
   * (the visibility timeout): insertion order is dispatch order, so the oldest come first.
   */
  private final LinkedHashMap<String, Long> outstanding = new LinkedHashMap<>();
  private boolean reading;
  private boolean stopping;
  private List<String> acks = new ArrayList<>();
  private List<DeliveryQueue.Job> deferred = new ArrayList<>();
  private List<Long> deferredDue = new ArrayList<>();
  private boolean flushScheduled;
  private long lastFlushNanos = Batcher.quietStart();
  private boolean moving;
  /** The timer of the next look at the retry set (-1: none armed), and when it fires. */
  private long moveTimer = -1;
  private long moveAt;
  private long lastMoveMs;
  /** The earliest retry announced while a look was under way (Long.MAX_VALUE: none). */
  private long announcedDue = Long.MAX_VALUE;
  private MessageConsumer<Long> retryHints;
  private long claimTimer;
  private long expiryTimer;

  public QueuePollerVerticle(HookrelayConfig config, int maxInFlight) {
    this.config = config;
    this.maxInFlight = maxInFlight;
  }

  @Override
  public Future<?> start() {
    redis = DeliveryQueue.client(vertx, config.redisUrl(), 4);
    queue = new DeliveryQueue(redis, config.redisKeyPrefix());
    retryHints = vertx.eventBus().localConsumer(Addresses.RETRIES_SCHEDULED, m -> lookBy(m.body()));
    expiryTimer = vertx.setPeriodic(1000, id -> expireOutstanding());
    completionAddress = Addresses.DELIVERY_COMPLETIONS + consumer;
    completions = vertx.eventBus().consumer(completionAddress, this::onCompletions);
    long claimEvery = Math.max(1000, config.visibilityTimeout().toMillis() / 4);
    claimTimer = vertx.setPeriodic(claimEvery, id -> claimAbandoned());
    return completions.completion().compose(v -> queue.ensureGroup())
        .onFailure(err -> log.warn("redis not reachable yet ({}); polling will retry", err.getMessage()))
        .recover(err -> Future.succeededFuture())
        .onSuccess(v -> {
          log.info("queue poller {} reading {} (up to {} deliveries in flight)", consumer, queue.stream(), maxInFlight);
          read();
          moveDue();
        });
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(moveTimer);
    vertx.cancelTimer(claimTimer);
    vertx.cancelTimer(expiryTimer);
    Future<Void> flushed = flushAcks();
    if (reader != null) {
      reader.close();
    }
    return flushed.eventually(() -> redis.close()).eventually(() -> completions.unregister())
        .eventually(() -> retryHints.unregister());
  }

  private Future<RedisConnection> readerConnection() {
    if (reader != null) {
      return Future.succeededFuture(reader);
    }
    // Blocking reads get a connection of their own so they never hold up the pool.
    return redis.connect().onSuccess(conn -> {
      reader = conn;
      conn.exceptionHandler(err -> reader = null);
      conn.endHandler(v -> reader = null);
    });
  }

  private void read() {
    if (stopping || reading || outstanding.size() >= maxInFlight) {
      return;
    }
    reading = true;
    int count = Math.min(READ_COUNT, maxInFlight - outstanding.size());
    readerConnection()
        .compose(conn -> conn.send(Request.cmd(Command.XREADGROUP).arg("GROUP").arg(DeliveryQueue.GROUP).arg(consumer)
            .arg("COUNT").arg(count).arg("BLOCK").arg(BLOCK_MS).arg("STREAMS").arg(queue.stream()).arg(">")))
        .onComplete(ar -> {
          reading = false;
          if (ar.succeeded()) {
            Response reply = ar.result();
            dispatchAll(reply == null ? null : reply.get(0).get(1));
            read();
          } else {
            onRedisError(ar.cause());
          }
        });
  }

  private void onRedisError(Throwable err) {
    if (stopping) {
      return;
    }
    String message = String.valueOf(err.getMessage());
    if (message.startsWith("NOGROUP")) {
      log.warn("consumer group missing (redis lost its data?): creating it again");
    } else {
      log.warn("reading the delivery stream failed: {}", message);
      if (reader != null) {
        reader.close();
        reader = null;
      }
    }
    vertx.setTimer(message.startsWith("NOGROUP") ? 10 : 500,
        id -> queue.ensureGroup().onComplete(x -> read()));
  }

  private void dispatchAll(Response entries) {
    List<String> empty = new ArrayList<>();
    List<DeliveryQueue.Job> jobs = DeliveryQueue.jobs(entries, empty);
    empty.forEach(this::ackLater);
    dispatch(jobs);
  }

  private void dispatch(List<DeliveryQueue.Job> jobs) {
    long deadline = System.currentTimeMillis() + config.visibilityTimeout().toMillis();
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(DISPATCH_TIMEOUT_MS);
    for (int from = 0; from < jobs.size(); from += DISPATCH_BATCH) {
      List<DeliveryQueue.Job> chunk = jobs.subList(from, Math.min(jobs.size(), from + DISPATCH_BATCH));
      JsonArray payload = new JsonArray(new ArrayList<>(chunk.size() * 3));
      List<String> entryIds = new ArrayList<>(chunk.size());
      for (DeliveryQueue.Job job : chunk) {
        if (outstanding.putIfAbsent(job.entryId(), deadline) != null) {
          continue; // already with a delivery verticle (a claim of our own entry): not twice
        }
        entryIds.add(job.entryId());
        payload.add(job.entryId()).add(job.deliveryId().toString()).add(job.subscriptionId().toString());
      }
      if (entryIds.isEmpty()) {
        continue;
      }
      vertx.eventBus().request(Addresses.DELIVERY_DISPATCH, Dispatch.batch(completionAddress, payload), options)
          .onFailure(err -> {
            if (err instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
              // No delivery verticle anywhere yet: the entries stay pending and are claimed again later.
              log.debug("no delivery verticle for {} jobs", entryIds.size());
            } else {
              log.warn("handing {} jobs to a delivery verticle failed: {}; they stay pending", entryIds.size(),
                  err.getMessage());
            }
            entryIds.forEach(outstanding::remove);
            read();
          });
    }
  }

  /** Outcomes from a delivery verticle: acknowledge what is on record, park what was deferred, free the slots. */
  private void onCompletions(Message<JsonObject> message) {
    JsonObject body = message.body();
    JsonArray done = body.getJsonArray("done");
    if (done != null) {
      for (int i = 0; i < done.size(); i++) {
        String entryId = done.getString(i);
        outstanding.remove(entryId);
        ackLater(entryId); // even when it had expired here: it is on record
      }
    }
    JsonArray deferred = body.getJsonArray("defer");
    if (deferred != null) {
      for (int i = 0; i + 3 < deferred.size(); i += 4) {
        String entryId = deferred.getString(i);
        outstanding.remove(entryId);
        deferLater(new DeliveryQueue.Job(entryId, UUID.fromString(deferred.getString(i + 1)),
            UUID.fromString(deferred.getString(i + 2))), deferred.getLong(i + 3));
      }
    }
    JsonArray released = body.getJsonArray("released");
    if (released != null) {
      for (int i = 0; i < released.size(); i++) {
        outstanding.remove(released.getString(i)); // not recorded: stays pending
      }
    }
    read();
  }

  /**
   * Entries not reported on within the visibility timeout (a delivery node died, or a completion was lost) free
   * their slots; they stay pending in the stream and are claimed again.
   */
  private void expireOutstanding() {
    long now = System.currentTimeMillis();
    int expired = 0;
    for (Iterator<Map.Entry<String, Long>> it = outstanding.entrySet().iterator(); it.hasNext(); ) {
      if (it.next().getValue() > now) {
        break;
      }
      it.remove();
      expired++;
    }
    if (expired > 0) {
      log.info("{} dispatched deliveries got no outcome within the visibility timeout; they stay pending", expired);
      read();
    }
  }

  private void ackLater(String entryId) {
    acks.add(entryId);
    scheduleFlush();
  }

  private void deferLater(DeliveryQueue.Job job, long dueMs) {
    deferred.add(job);
    deferredDue.add(dueMs);
    scheduleFlush();
  }

  private void scheduleFlush() {
    if (acks.size() + deferred.size() >= 256) {
      flushAcks();
    } else if (!flushScheduled) {
      flushScheduled = true;
      if (Batcher.quietSince(lastFlushNanos)) {
        vertx.runOnContext(v -> flushAcks()); // a trickle: waiting would gather nothing
      } else {
        vertx.setTimer(2, id -> flushAcks());
      }
    }
  }

  private Future<Void> flushAcks() {
    flushScheduled = false;
    lastFlushNanos = System.nanoTime();
    List<String> ackNow = acks;
    List<DeliveryQueue.Job> deferNow = deferred;
    List<Long> dueNow = deferredDue;
    acks = new ArrayList<>();
    deferred = new ArrayList<>();
    deferredDue = new ArrayList<>();
    // A failed ack leaves entries pending: they are claimed again and found finished in PostgreSQL.
    Future<Void> deferredNow = queue.defer(deferNow, dueNow)
        .onSuccess(v -> dueNow.stream().mapToLong(Long::longValue).min().ifPresent(this::lookBy));
    return Future.join(queue.ack(ackNow), deferredNow)
        .onFailure(err -> log.warn("acknowledging {} entries failed: {}", ackNow.size() + deferNow.size(),
            err.getMessage()))
        .<Void>mapEmpty()
        .recover(err -> Future.succeededFuture());
  }

  private void moveDue() {
    if (moving || stopping) {
      return;
    }
    vertx.cancelTimer(moveTimer);
    moveTimer = -1;
    moving = true;
    long now = System.currentTimeMillis();
    lastMoveMs = now;
    queue.moveDueRetries(now, MOVE_MAX)
        .onComplete(ar -> {
          moving = false;
          long next = ar.succeeded() ? RetryPace.afterLook(ar.result(), MOVE_MAX, System.currentTimeMillis())
              : System.currentTimeMillis() + RetryPace.IDLE_MS;
          long announced = announcedDue;
          announcedDue = Long.MAX_VALUE;
          lookAt(Math.min(next, RetryPace.forRetry(announced, lastMoveMs)));
        });
  }

  /** Tells this node's poller that retries due at these times are in the retry set, so it looks when the first is due. */
  public static void announceRetries(Vertx vertx, List<Long> dueMs) {
    dueMs.stream().mapToLong(Long::longValue).min()
        .ifPresent(first -> vertx.eventBus().publish(Addresses.RETRIES_SCHEDULED, first));
  }

  /** A retry on this node is due at {@code dueMs}: looks then, unless a look is due sooner. */
  private void lookBy(long dueMs) {
    if (moving) {
      announcedDue = Math.min(announcedDue, dueMs); // the look under way may have missed it
    } else {
      lookAt(RetryPace.forRetry(dueMs, lastMoveMs));
    }
  }

  private void lookAt(long atMs) {
    if (stopping || (moveTimer != -1 && moveAt <= atMs)) {
      return;
    }
    vertx.cancelTimer(moveTimer);
    moveAt = atMs;
    long delay = atMs - System.currentTimeMillis();
    if (delay <= 0) {
      moveTimer = -1;
      vertx.runOnContext(v -> moveDue());
    } else {
      moveTimer = vertx.setTimer(delay, id -> {
        moveTimer = -1;
        moveDue();
      });
    }
  }

  /** Entries idle past the visibility timeout belonged to a consumer that died or stalled: take them over. */
  private void claimAbandoned() {
    if (stopping || outstanding.size() >= maxInFlight) {
      return;
    }
    redis.send(Request.cmd(Command.XAUTOCLAIM).arg(queue.stream()).arg(DeliveryQueue.GROUP).arg(consumer)
            .arg(config.visibilityTimeout().toMillis() + CLAIM_MARGIN_MS).arg("0-0").arg("COUNT").arg(Math.max(1, maxInFlight - outstanding.size())))
        .onSuccess(reply -> {
          List<String> empty = new ArrayList<>();
          List<DeliveryQueue.Job> jobs = DeliveryQueue.jobs(reply.get(1), empty);
          empty.forEach(this::ackLater);
          if (!jobs.isEmpty()) {
            log.info("claimed {} abandoned deliveries", jobs.size());
          }
          dispatch(jobs);
        })
        .onFailure(err -> log.debug("claiming abandoned entries failed: {}", err.getMessage()));
  }
}
