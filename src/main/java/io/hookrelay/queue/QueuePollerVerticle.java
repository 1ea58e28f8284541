package io.hookrelay.queue;

import io.hookrelay.bus.Addresses;
import io.hookrelay.config.HookrelayConfig;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.RedisConnection;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds delivery verticles from Redis: reads the delivery stream with a consumer group, moves due retries into it,
 * claims entries a dead consumer left behind, and hands each job over the event bus. An entry is acknowledged only
 * after the delivery verticle replied that its attempt is recorded.
 */
public final class QueuePollerVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(QueuePollerVerticle.class);
  private static final int READ_COUNT = 200;
  private static final long BLOCK_MS = 1000;
  /**
   * The PostgreSQL lease on a delivery starts a moment after the stream read, when a delivery verticle claims the
   * row, so an abandoned entry becomes claimable here slightly before its lease lapses. A claim in between would find
   * the lease alive, be answered "done" and acknowledged, leaving the delivery to the slower recovery sweep; waiting
   * this much longer than the visibility timeout keeps the claim after the lease.
   */
  private static final long CLAIM_MARGIN_MS = 1000;

  private final HookrelayConfig config;
  private final int maxInFlight;
  private final String consumer = "c-" + UUID.randomUUID();
  private Redis redis;
  private DeliveryQueue queue;
  private RedisConnection reader;
  private int inFlight;
  private boolean reading;
  private boolean stopping;
  private List<String> acks = new ArrayList<>();
  private List<DeliveryQueue.Job> deferred = new ArrayList<>();
  private List<Long> deferredDue = new ArrayList<>();
  private boolean flushScheduled;
  private boolean moving;
  private long moveTimer;
  private long claimTimer;

  public QueuePollerVerticle(HookrelayConfig config, int maxInFlight) {
    this.config = config;
    this.maxInFlight = maxInFlight;
  }

  @Override
  public Future<?> start() {
    redis = DeliveryQueue.client(vertx, config.redisUrl(), 4);
    queue = new DeliveryQueue(redis, config.redisKeyPrefix());
    moveTimer = vertx.setPeriodic(100, id -> moveDue());
    long claimEvery = Math.max(1000, config.visibilityTimeout().toMillis() / 4);
    claimTimer = vertx.setPeriodic(claimEvery, id -> claimAbandoned());
    return queue.ensureGroup()
        .onFailure(err -> log.warn("redis not reachable yet ({}); polling will retry", err.getMessage()))
        .recover(err -> Future.succeededFuture())
        .onSuccess(v -> {
          log.info("queue poller {} reading {} (up to {} deliveries in flight)", consumer, queue.stream(), maxInFlight);
          read();
        });
  }

  @Override
  public Future<?> stop() {
    stopping = true;
    vertx.cancelTimer(moveTimer);
    vertx.cancelTimer(claimTimer);
    Future<Void> flushed = flushAcks();
    if (reader != null) {
      reader.close();
    }
    return flushed.eventually(() -> redis.close());
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
    if (stopping || reading || inFlight >= maxInFlight) {
      return;
    }
    reading = true;
    int count = Math.min(READ_COUNT, maxInFlight - inFlight);
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
    jobs.forEach(this::dispatch);
  }

  private void dispatch(DeliveryQueue.Job job) {
    inFlight++;
    JsonObject request = new JsonObject()
        .put("delivery_id", job.deliveryId().toString())
        .put("subscription_id", job.subscriptionId().toString());
    DeliveryOptions options = new DeliveryOptions().setSendTimeout(config.visibilityTimeout().toMillis());
    vertx.eventBus().<JsonObject>request(Addresses.DELIVERY_DISPATCH, request, options).onComplete(ar -> {
      inFlight--;
      if (ar.succeeded()) {
        JsonObject reply = ar.result().body();
        if ("defer".equals(reply.getString("outcome"))) {
          deferLater(job, System.currentTimeMillis() + reply.getLong("delay_ms", 100L));
        } else {
          ackLater(job.entryId());
        }
      } else if (ar.cause() instanceof ReplyException re && re.failureType() == ReplyFailure.NO_HANDLERS) {
        // No delivery verticle anywhere yet: leave the entry pending; it is claimed again later.
        log.debug("no delivery verticle for {}", job.deliveryId());
      } else {
        log.debug("delivery {} not recorded ({}); it stays pending", job.deliveryId(), ar.cause().getMessage());
      }
      read();
    });
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
      vertx.setTimer(2, id -> flushAcks());
    }
  }

  private Future<Void> flushAcks() {
    flushScheduled = false;
    List<String> ackNow = acks;
    List<DeliveryQueue.Job> deferNow = deferred;
    List<Long> dueNow = deferredDue;
    acks = new ArrayList<>();
    deferred = new ArrayList<>();
    deferredDue = new ArrayList<>();
    // A failed ack leaves entries pending: they are claimed again and found finished in PostgreSQL.
    return Future.join(queue.ack(ackNow), queue.defer(deferNow, dueNow))
        .onFailure(err -> log.warn("acknowledging {} entries failed: {}", ackNow.size() + deferNow.size(),
            err.getMessage()))
        .<Void>mapEmpty()
        .recover(err -> Future.succeededFuture());
  }

  private void moveDue() {
    if (moving || stopping) {
      return;
    }
    moving = true;
    queue.moveDueRetries(System.currentTimeMillis(), 1000)
        .onComplete(ar -> {
          moving = false;
          if (ar.succeeded() && ar.result() == 1000) {
            vertx.runOnContext(v -> moveDue());
          }
        });
  }

  /** Entries idle past the visibility timeout belonged to a consumer that died or stalled: take them over. */
  private void claimAbandoned() {
    if (stopping || inFlight >= maxInFlight) {
      return;
    }
    redis.send(Request.cmd(Command.XAUTOCLAIM).arg(queue.stream()).arg(DeliveryQueue.GROUP).arg(consumer)
            .arg(config.visibilityTimeout().toMillis() + CLAIM_MARGIN_MS).arg("0-0").arg("COUNT").arg(Math.max(1, maxInFlight - inFlight)))
        .onSuccess(reply -> {
          List<String> empty = new ArrayList<>();
          List<DeliveryQueue.Job> jobs = DeliveryQueue.jobs(reply.get(1), empty);
          empty.forEach(this::ackLater);
          if (!jobs.isEmpty()) {
            log.info("claimed {} abandoned deliveries", jobs.size());
          }
          jobs.forEach(this::dispatch);
        })
        .onFailure(err -> log.debug("claiming abandoned entries failed: {}", err.getMessage()));
  }
}
