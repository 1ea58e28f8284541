package io.hookrelay.delivery;

import io.hookrelay.bus.Addresses;
import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.metrics.Metrics;
import io.hookrelay.ops.OperationalEvents;
import io.hookrelay.queue.DeliveryQueue;
import io.hookrelay.store.AttemptRecorder;
import io.hookrelay.store.Database;
import io.hookrelay.store.DeliveryRepository;
import io.hookrelay.store.DeliveryRepository.Claimed;
import io.hookrelay.store.Subscription;
import io.hookrelay.store.SubscriptionRepository;
import io.hookrelay.tracing.Tracing;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.UUID;

/**
 * Makes delivery attempts for the jobs the queue poller sends: the {@link Scheduler} says which go now, the
 * {@link AttemptRecorder} claims them (so a job queued twice is attempted once), the {@link TargetClient} sends them,
 * the {@link OutcomePolicy} judges the answer, and the recorder writes the outcome before the poller hears of it, so
 * that it acknowledges only what is on record. This class wires them together and owns the lifecycle.
 */
public final class DeliveryVerticle extends VerticleBase {
  private static final long TICK_MS = 20;
  private final HookrelayConfig config;
  private final Metrics metrics;
  private final Tracing tracing;
  private Pool pool;
  private Pool leasePool;
  private Redis redis;
  private SubscriptionCache subscriptions;
  private AttemptRecorder recorder;
  private TargetClient target;
  private Attempts attempts;
  private Scheduler<Job, Ready> scheduler;
  private PollerReplies replies;
  private MessageConsumer<JsonObject> consumer;
  /** Armed only while the scheduler has jobs waiting: an idle node wakes for nothing (-1: not armed). */
  private long tickTimer = -1;
  private int attemptsRunning;
  private boolean abandoning;
  private boolean stopping;

  public DeliveryVerticle(HookrelayConfig config, Metrics metrics, Tracing tracing) {
    this.config = config;
    this.metrics = metrics;
    this.tracing = tracing;
  }

  /** A claimed job: this instance owns its attempt until the lease lapses. */
  private record Ready(Job job, Claimed claimed) {}

  @Override
  public Future<?> start() {
    pool = Database.pool(vertx, config.databaseUrl(), config.databasePoolSize());
    leasePool = Database.leasePool(vertx, config.databaseUrl(), config.databasePoolSize());
    redis = DeliveryQueue.client(vertx, config.redisUrl(), 4);
    subscriptions = new SubscriptionCache(vertx, new SubscriptionRepository(pool));
    recorder = new AttemptRecorder(vertx, new DeliveryRepository(pool, leasePool),
        new DeliveryQueue(redis, config.redisKeyPrefix()), config.visibilityTimeout(),
        config.circuitBreakerThreshold(), this::disabled);
    target = new TargetClient(vertx, config);
    attempts = new Attempts(vertx, target, recorder, new RetryPolicy(config.retrySchedule(), config.maxAttempts()),
        metrics, tracing);
    replies = new PollerReplies(vertx);
    scheduler = new Scheduler<>(config.deliveryInstances(), config.visibilityTimeout().toMillis(),
        Scheduler.Clock.SYSTEM, NodeSlots.of(vertx),
        this::claim, replies::defer, this::attempt, ready -> replies.released(ready.job()));
    consumer = vertx.eventBus().consumer(Addresses.DELIVERY_DISPATCH, this::onBatch);
    return Future.all(consumer.completion(), subscriptions.ready());
  }

  @Override
  public Future<?> stop() {
    // Stop taking jobs; attempts under way finish and are recorded, within the shutdown bound set by Main.
    stopping = true;
    vertx.cancelTimer(tickTimer);
    return consumer.unregister()
        .compose(v -> drained(System.currentTimeMillis() + config.shutdownTimeout().toMillis() / 2))
        .eventually(() -> {
          // Attempts still running are cut short by closing the client below: that is our failure, not the
          // receiver's, so they are not recorded; their entries stay pending and are claimed again elsewhere.
          abandoning = true;
          replies.flush();
          return subscriptions.close();
        })
        .eventually(() -> target.close().eventually(() -> {
          redis.close();
          return Future.all(pool.close(), leasePool.close());
        }));
  }

  private Future<Void> drained(long deadline) {
    recorder.flush();
    sendWaitingBack(); // claims answered meanwhile may have queued more
    // Claims and records on their way to PostgreSQL count too: closing the pool under them loses their replies.
    if ((attemptsRunning == 0 && recorder.idle()) || System.currentTimeMillis() > deadline) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    vertx.setTimer(20, id -> drained(deadline).onComplete(done));
    return done.future();
  }

  private void onBatch(Message<JsonObject> message) {
    message.reply(null); // taken: the outcomes follow as completions
    String replyTo = message.body().getString("reply_to");
    JsonArray jobs = message.body().getJsonArray("jobs");
    for (int i = 0; i + 2 < jobs.size(); i += 3) {
      onJob(replyTo, jobs.getString(i), UUID.fromString(jobs.getString(i + 1)), UUID.fromString(jobs.getString(i + 2)));
    }
  }

  private void onJob(String replyTo, String entryId, UUID deliveryId, UUID subscriptionId) {
    subscriptions.get(subscriptionId).onComplete(ar -> {
      if (ar.failed()) {
        replies.released(replyTo, entryId); // database unavailable: stays pending
      } else if (ar.result() == null || !ar.result().tenantActive()) {
        // Subscription deleted with its deliveries, or its tenant is being deleted: the purge takes what is left.
        replies.done(replyTo, entryId);
      } else if (!ar.result().enabled()) {
        hold(new Job(replyTo, entryId, deliveryId, ar.result()));
      } else {
        admit(new Job(replyTo, entryId, deliveryId, ar.result()));
      }
    });
  }

  /** Ticks every 20 ms while jobs wait for a slot or are parked; otherwise no timer runs. */
  private void tickWhileWaiting() {
    if (tickTimer == -1 && !stopping && scheduler.waiting()) {
      tickTimer = vertx.setTimer(TICK_MS, id -> {
        tickTimer = -1;
        scheduler.tick();
        tickWhileWaiting();
      });
    }
  }

  private void admit(Job job) {
    long decision = scheduler.admit(job.subscription(), job);
    tickWhileWaiting();
    if (decision == Scheduler.CLAIM) {
      claim(job);
    } else if (decision != Scheduler.PARKED) {
      metrics.deferred(scheduler.lastDeferral().label);
      replies.defer(job, decision);
    }
  }

  /** Claims a job the scheduler let in, and hands it back to the scheduler claimed or not. */
  private void claim(Job job) {
    Subscription s = job.subscription();
    recorder.claim(job.deliveryId()).onComplete(ar -> {
      if (ar.succeeded() && ar.result() != null) {
        scheduler.claimed(s, new Ready(job, ar.result()));
        tickWhileWaiting();
        return;
      }
      scheduler.notClaimed(s);
      tickWhileWaiting();
      if (ar.failed()) {
        replies.released(job);
      } else {
        replies.done(job); // finished, owned elsewhere, or not due: nothing to do
      }
    });
  }

  /** A job of a disabled subscription is claimed and parked, without an attempt, until it is enabled again. */
  private void hold(Job job) {
    recorder.claimAndHold(job.deliveryId()).onComplete(ar -> {
      if (ar.succeeded()) {
        replies.done(job);
      } else {
        replies.released(job);
      }
    });
  }

  /** A subscription that recorded outcomes disabled (circuit breaker, 410): caches drop it, the operator hears. */
  private void disabled(UUID id, String reason) {
    SubscriptionCache.publishChange(vertx, id);
    OperationalEvents.subscriptionDisabled(vertx, id, reason);
  }

  private void attempt(Ready ready) {
    attemptsRunning++;
    UUID subscriptionId = ready.job().subscription().id();
    long started = System.nanoTime();
    attempts.make(ready.job().subscription(), ready.claimed(), () -> {
      attemptsRunning--;
      scheduler.finished(subscriptionId, System.nanoTime() - started);
      tickWhileWaiting();
    }, () -> abandoning).onComplete(ar -> {
      if (ar.failed()) {
        replies.released(ready.job());
        return;
      }
      replies.done(ready.job());
    });
  }

  /**
   * On the way out, parked jobs go back to the queue due at once, and claimed jobs still waiting are given back in
   * PostgreSQL and in the queue, due at once.
   */
  private void sendWaitingBack() {
    long now = System.currentTimeMillis();
    scheduler.takeParked().forEach(job -> replies.defer(job, now));
    List<Job> waiting = scheduler.takeWaiting().stream().map(Ready::job).toList();
    if (!waiting.isEmpty()) {
      replies.givenBack(waiting, recorder.release(waiting.stream().map(Job::deliveryId).toList()));
    }
  }
}
