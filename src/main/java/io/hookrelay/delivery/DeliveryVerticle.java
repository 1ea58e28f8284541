package io.hookrelay.delivery;

import io.hookrelay.Version;
import io.hookrelay.bus.Addresses;
import io.hookrelay.bus.Dispatch;
import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.metrics.Metrics;
import io.hookrelay.queue.DeliveryQueue;
import io.hookrelay.store.Database;
import io.hookrelay.store.DeliveryRepository;
import io.hookrelay.store.DeliveryRepository.AttemptRecord;
import io.hookrelay.store.DeliveryRepository.Claimed;
import io.hookrelay.store.Subscription;
import io.hookrelay.store.SubscriptionRepository;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.shareddata.LocalMap;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.codec.BodyCodec;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import java.net.InetAddress;
import java.net.URI;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes delivery attempts: takes batches of jobs from the event bus, claims them in PostgreSQL (so a job queued
 * twice is attempted once), POSTs the signed payload with the non-blocking WebClient, and records outcomes in
 * batches before reporting them to the poller, so that it acknowledges only what is on record. Keeps each
 * subscription under its in-flight cap, which bounds the HTTP requests open to it: claimed jobs over the cap wait
 * in a short queue of their own (a lane) and start as requests end; when the lane is full, or would take longer
 * to drain than a lease allows, jobs go back to the retry set until about when the lane will have room, so a
 * backlogged endpoint neither holds up the others nor makes the queue spin. Jobs over a rate limit go back until
 * their turn.
 */
public final class DeliveryVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(DeliveryVerticle.class);
  private static final int CLAIM_BATCH = 128;
  private static final int RECORD_BATCH = 256;
  private static final int RESPONSE_BODY_LIMIT = 4096;
  private static final int ERROR_LIMIT = 500;
  private static final String USER_AGENT = "hookrelay/" + Version.VERSION;
  /**
   * How much work one subscription's lane may hold on this instance, in the time it takes to start it at the pace
   * its slots free up, and in jobs. Waiting jobs hold the poller's window (4096 per node): bounding the wait in time
   * bounds what a slow endpoint takes of it, while a fast one keeps enough to stay busy until deferred jobs come
   * back (the retry set is moved every 100 ms).
   */
  private static final long LANE_WAIT_MS = 500;
  private static final int LANE_LIMIT = 1024;
  /** The longest a job over the cap is sent away for. */
  private static final long MAX_DEFER_MS = 30_000;

  private final HookrelayConfig config;
  private final Metrics metrics;
  private final RetryPolicy retryPolicy;
  private Pool pool;
  private Redis redis;
  private DeliveryQueue queue;
  private DeliveryRepository deliveries;
  private SubscriptionCache subscriptions;
  private WebClient client;
  private MessageConsumer<JsonObject> consumer;

  /**
   * Requests open per subscription on this node, shared by the delivery instances (Vert.x local shared data, atomic
   * compute), so that max_in_flight is an exact cap: splitting it per instance and rounding up overshot it.
   */
  private LocalMap<String, Integer> inFlight;
  private final Map<UUID, RateLimiter> limiters = new HashMap<>();
  private final Map<UUID, Lane> lanes = new HashMap<>();
  private long laneTimer;
  private List<Job> claimQueue = new ArrayList<>();
  private boolean claimScheduled;
  private List<Outcome> recordQueue = new ArrayList<>();
  private boolean recordScheduled;
  private final Dispatch.Completions completions = new Dispatch.Completions();
  private boolean completionsScheduled;
  private int attemptsRunning;
  private boolean abandoning;
  private int writesRunning;

  public DeliveryVerticle(HookrelayConfig config, Metrics metrics) {
    this.config = config;
    this.metrics = metrics;
    this.retryPolicy = new RetryPolicy(config.retrySchedule(), config.maxAttempts());
  }

  /** A job from the queue; {@code slotNanos} is when its HTTP request took an in-flight slot, 0 before. */
  private record Job(String replyTo, String entryId, UUID deliveryId, Subscription subscription, long slotNanos) {
    Job withSlot() {
      return new Job(replyTo, entryId, deliveryId, subscription, System.nanoTime());
    }
  }

  /** A claimed job waiting for a slot; its lease runs meanwhile. */
  private record Waiting(Job job, Claimed claimed, long claimedMs) {}

  /**
   * One subscription's jobs on this instance: those being claimed, those claimed and waiting for a slot, and how
   * long an attempt keeps a slot.
   */
  private static final class Lane {
    final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    int claiming;
    double holdMs = 5; // moving average of attempt durations
    double deferClockMs; // the due time handed to the last job sent away (fractions: jobs may be due 0.1 ms apart)

    void held(long nanos) {
      holdMs += (nanos / 1e6 - holdMs) * 0.05;
    }

    /** How long the jobs in the lane will take to start, at the pace slots free up for this instance. */
    double drainMs(int cap, int instances) {
      return (claiming + waiting.size()) * holdMs * instances / cap;
    }

    boolean admits(int cap, int instances) {
      return claiming + waiting.size() < LANE_LIMIT && drainMs(cap, instances) < LANE_WAIT_MS;
    }

    /**
     * When a job the lane cannot take should come back: after the jobs ahead of it are through, spaced at the pace
     * the subscription's slots free up here, so each surplus job goes round the retry set about once.
     */
    long deferDueMs(int cap, int instances, long nowMs) {
      // Aimed early, at half the estimate: a job back too soon waits in the lane or goes round once more, while
      // one back too late leaves the endpoint's slots idle.
      double perJobMs = Math.max(0.01, holdMs * instances / cap) / 2;
      double earliest = nowMs + drainMs(cap, instances) / 2;
      deferClockMs = Math.min(Math.max(deferClockMs, earliest) + perJobMs, nowMs + MAX_DEFER_MS);
      return (long) deferClockMs;
    }
  }

  private record Outcome(Job job, AttemptRecord record, Long retryDueMs, OffsetDateTime createdAt) {}

  @Override
  public Future<?> start() {
    pool = Database.pool(vertx, config.databaseUrl(), config.databasePoolSize());
    redis = DeliveryQueue.client(vertx, config.redisUrl(), 4);
    queue = new DeliveryQueue(redis, config.redisKeyPrefix());
    deliveries = new DeliveryRepository(pool);
    inFlight = vertx.sharedData().getLocalMap("hookrelay.delivery.in-flight");
    subscriptions = new SubscriptionCache(vertx, new SubscriptionRepository(pool));
    int timeoutMs = (int) config.deliveryTimeout().toMillis();
    client = WebClient.create(vertx, new WebClientOptions()
            .setUserAgentEnabled(false)
            .setFollowRedirects(false)
            .setKeepAlive(true)
            .setConnectTimeout(Math.min(timeoutMs, 5000))
            .setDecompressionSupported(false),
        new PoolOptions().setHttp1MaxSize(64).setMaxWaitQueueSize(-1));
    consumer = vertx.eventBus().consumer(Addresses.DELIVERY_DISPATCH, this::onBatch);
    // Slots freed by the node's other delivery instances wake this instance's waiting jobs too.
    laneTimer = vertx.setPeriodic(20, id -> {
      lanes.values().forEach(this::startWaiting);
    });
    return Future.all(consumer.completion(), subscriptions.ready());
  }

  @Override
  public Future<?> stop() {
    // Stop taking jobs; attempts under way finish and are recorded, within the shutdown bound set by Main.
    vertx.cancelTimer(laneTimer);
    return consumer.unregister()
        .compose(v -> drained(System.currentTimeMillis() + config.shutdownTimeout().toMillis() / 2))
        .eventually(() -> {
          // Attempts still running are cut short by closing the client below: that is our failure, not the
          // receiver's, so they are not recorded; their entries stay pending and are claimed again elsewhere.
          abandoning = true;
          flushCompletions();
          return subscriptions.close();
        })
        .eventually(() -> {
          client.close();
          redis.close();
          return pool.close();
        });
  }

  private Future<Void> drained(long deadline) {
    flushClaims();
    flushRecords();
    sendWaitingBack(); // claims answered meanwhile may have queued more
    // Claims and records on their way to PostgreSQL count too: closing the pool under them loses their replies.
    if ((attemptsRunning == 0 && writesRunning == 0 && recordQueue.isEmpty() && claimQueue.isEmpty())
        || System.currentTimeMillis() > deadline) {
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
      onJob(replyTo, jobs.getString(i), jobs.getString(i + 1), jobs.getString(i + 2));
    }
  }

  private void onJob(String replyTo, String entryId, String deliveryId, String subscriptionId) {
    subscriptions.get(UUID.fromString(subscriptionId)).onComplete(ar -> {
      if (ar.failed()) {
        released(replyTo, entryId); // database unavailable: stays pending
        return;
      }
      Subscription s = ar.result();
      if (s == null) {
        done(replyTo, entryId); // subscription deleted with its deliveries
        return;
      }
      Job job = new Job(replyTo, entryId, UUID.fromString(deliveryId), s, 0);
      if (!s.enabled()) {
        queueClaim(job); // to be held, without an attempt
        return;
      }
      if (s.rateLimitPerS() != null) {
        RateLimiter limiter = limiters.computeIfAbsent(s.id(), id -> new RateLimiter());
        long wait = limiter.reserve(s.rateLimitPerS() / (double) config.deliveryInstances(), System.nanoTime());
        if (wait > 0) {
          defer(job, System.currentTimeMillis() + Math.max(10, wait));
          return;
        }
      }
      Lane lane = lanes.computeIfAbsent(s.id(), id -> new Lane());
      int cap = Math.max(1, s.maxInFlight());
      if (lane.admits(cap, config.deliveryInstances())) {
        lane.claiming++;
        queueClaim(job);
      } else {
        defer(job, lane.deferDueMs(cap, config.deliveryInstances(), System.currentTimeMillis()));
      }
    });
  }

  private void queueClaim(Job job) {
    claimQueue.add(job);
    if (claimQueue.size() >= CLAIM_BATCH) {
      flushClaims();
    } else if (!claimScheduled) {
      claimScheduled = true;
      vertx.setTimer(1, id -> flushClaims());
    }
  }

  /** Starts the lane's waiting jobs while the subscription has slots free. */
  private void startWaiting(Lane lane) {
    while (!lane.waiting.isEmpty() && takeSlot(lane.waiting.peek().job().subscription())) {
      Waiting w = lane.waiting.poll();
      if (System.currentTimeMillis() - w.claimedMs() > config.visibilityTimeout().toMillis() / 2) {
        // Waited so long that the lease may lapse mid-attempt: leave it to be claimed again instead.
        giveSlotBack(w.job().subscription().id());
        released(w.job());
      } else {
        attempt(w.job().withSlot(), w.claimed());
      }
    }
  }

  /** On the way out, claimed jobs still waiting are given back in PostgreSQL and in the queue, due at once. */
  private Future<Void> sendWaitingBack() {
    List<Waiting> all = new ArrayList<>();
    lanes.values().forEach(lane -> {
      all.addAll(lane.waiting);
      lane.waiting.clear();
    });
    if (all.isEmpty()) {
      return Future.succeededFuture();
    }
    long now = System.currentTimeMillis();
    writesRunning++;
    return deliveries.release(all.stream().map(w -> w.job().deliveryId()).toList())
        .andThen(ar -> {
          writesRunning--;
          all.forEach(w -> {
            if (ar.succeeded()) {
              defer(w.job(), now);
            } else {
              released(w.job()); // the lease lapses and the entry is claimed again
            }
          });
          flushCompletions();
        })
        .recover(err -> Future.succeededFuture());
  }

  private void defer(Job job, long dueMs) {
    completions.defer(job.replyTo(), job.entryId(), job.deliveryId().toString(),
        job.subscription().id().toString(), dueMs);
    scheduleCompletions();
  }

  private void done(Job job) {
    done(job.replyTo(), job.entryId());
  }

  private void done(String replyTo, String entryId) {
    completions.done(replyTo, entryId);
    scheduleCompletions();
  }

  private void released(Job job) {
    released(job.replyTo(), job.entryId());
  }

  private void released(String replyTo, String entryId) {
    completions.released(replyTo, entryId);
    scheduleCompletions();
  }

  /** Outcomes of one turn of the event loop go out together, one message per poller. */
  private void scheduleCompletions() {
    if (!completionsScheduled) {
      completionsScheduled = true;
      vertx.runOnContext(v -> flushCompletions());
    }
  }

  private void flushCompletions() {
    completionsScheduled = false;
    for (Map.Entry<String, JsonObject> e : completions.drain()) {
      vertx.eventBus().send(e.getKey(), e.getValue());
    }
  }

  /** Takes one of the subscription's in-flight slots on this node, if one is free. */
  private boolean takeSlot(Subscription s) {
    int cap = Math.max(1, s.maxInFlight());
    boolean[] taken = new boolean[1];
    inFlight.compute(s.id().toString(), (k, n) -> {
      int open = n == null ? 0 : n;
      if (open >= cap) {
        return n;
      }
      taken[0] = true;
      return open + 1;
    });
    return taken[0];
  }

  /** Gives the attempt's slot back and starts the next job waiting for one. */
  private void release(Job job) {
    UUID id = job.subscription().id();
    giveSlotBack(id);
    Lane lane = lanes.get(id);
    if (lane != null) {
      lane.held(System.nanoTime() - job.slotNanos());
      startWaiting(lane);
    }
  }

  private void giveSlotBack(UUID subscriptionId) {
    inFlight.computeIfPresent(subscriptionId.toString(), (k, n) -> n <= 1 ? null : n - 1);
  }

  private void flushClaims() {
    claimScheduled = false;
    if (claimQueue.isEmpty()) {
      return;
    }
    List<Job> batch = claimQueue;
    claimQueue = new ArrayList<>();
    List<UUID> ids = new ArrayList<>(batch.size());
    batch.forEach(j -> ids.add(j.deliveryId()));
    writesRunning++;
    deliveries.claim(ids, config.visibilityTimeout()).onComplete(ar -> {
      writesRunning--;
      if (ar.failed()) {
        log.warn("claiming {} deliveries failed: {}", batch.size(), ar.cause().getMessage());
        for (Job j : batch) {
          unclaiming(j);
          released(j);
        }
        return;
      }
      Map<UUID, Claimed> claimed = new HashMap<>();
      ar.result().forEach(c -> claimed.put(c.id(), c));
      List<Job> toHold = new ArrayList<>();
      long now = System.currentTimeMillis();
      for (Job j : batch) {
        Lane lane = unclaiming(j);
        // remove: a delivery queued twice and read in one batch is claimed once and must be attempted once
        Claimed c = claimed.remove(j.deliveryId());
        if (c == null) {
          done(j); // finished, owned elsewhere, or not due: nothing to do
        } else if (!j.subscription().enabled()) {
          toHold.add(j);
        } else if (lane.waiting.isEmpty() && takeSlot(j.subscription())) {
          attempt(j.withSlot(), c);
        } else {
          lane.waiting.add(new Waiting(j, c, now));
        }
      }
      hold(toHold);
    });
  }

  /** The job's claim is answered: it leaves its lane's count of claims under way. */
  private Lane unclaiming(Job job) {
    Lane lane = lanes.get(job.subscription().id());
    if (lane != null && job.subscription().enabled()) {
      lane.claiming--;
    }
    return lane;
  }

  private void hold(List<Job> jobs) {
    if (jobs.isEmpty()) {
      return;
    }
    writesRunning++;
    deliveries.hold(jobs.stream().map(Job::deliveryId).toList()).onComplete(ar -> {
      writesRunning--;
      for (Job j : jobs) {
        if (ar.succeeded()) {
          done(j);
        } else {
          released(j);
        }
      }
    });
  }

  private void attempt(Job job, Claimed claimed) {
    attemptsRunning++;
    metrics.attemptStarted();
    Subscription s = job.subscription();
    int attemptNumber = claimed.attemptCount() + 1;
    OffsetDateTime startedAt = OffsetDateTime.now(ZoneOffset.UTC);
    long started = System.nanoTime();
    long timestamp = startedAt.toEpochSecond();
    byte[] body = claimed.payload().getBytes();
    List<SigningKey> keys = new ArrayList<>(2);
    for (String secret : s.signingSecrets(startedAt)) {
      keys.add(SigningKey.parse(secret));
    }
    String webhookId = claimed.id().toString();
    BoundedBody responseBody = new BoundedBody(RESPONSE_BODY_LIMIT);
    request(s.targetUrl())
        .compose(request -> {
          request.timeout(config.deliveryTimeout().toMillis())
              .putHeader("content-type", "application/json")
              .putHeader("user-agent", USER_AGENT)
              .putHeader("webhook-id", webhookId)
              .putHeader("webhook-timestamp", Long.toString(timestamp))
              .putHeader("webhook-signature", Signer.signatureHeader(keys, webhookId, timestamp, body))
              .putHeader("x-webhook-attempt", Integer.toString(attemptNumber));
          if (claimed.eventType() != null) {
            request.putHeader("x-event-type", claimed.eventType());
          }
          return request.as(BodyCodec.pipe(responseBody, false)).sendBuffer(claimed.payload());
        })
        .onComplete(ar -> {
          attemptsRunning--;
          metrics.attemptEnded();
          release(job);
          if (abandoning) {
            released(job); // cut short by our own shutdown: not the receiver's failure, not recorded
            return;
          }
          long durationNanos = System.nanoTime() - started;
          finish(job, s, claimed, attemptNumber, startedAt, durationNanos, ar.succeeded() ? ar.result() : null,
              ar.succeeded() ? null : describe(ar.cause()), responseBody.text());
        });
  }

  /** A POST to the target; when private targets are refused, to an address checked after resolving the name. */
  private Future<HttpRequest<Buffer>> request(String targetUrl) {
    if (config.allowPrivateTargets()) {
      return Future.succeededFuture(client.postAbs(targetUrl));
    }
    URI uri = URI.create(targetUrl);
    String host = uri.getHost();
    boolean tls = "https".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
    return vertx.executeBlocking(() -> InetAddress.getAllByName(host), false).compose(addresses -> {
      for (InetAddress a : addresses) {
        if (TargetGuard.isPrivate(a)) {
          return Future.failedFuture(new TargetRefusedException(host + " resolves to a private address"));
        }
      }
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      RequestOptions options = new RequestOptions().setHost(host).setPort(port).setSsl(tls)
          .setURI(uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery());
      // Connect to the address that was checked, not to whatever a second lookup answers.
      return Future.succeededFuture(client.request(HttpMethod.POST,
          SocketAddress.inetSocketAddress(port, addresses[0].getHostAddress()), options));
    });
  }

  private void finish(Job job, Subscription s, Claimed claimed, int attemptNumber, OffsetDateTime startedAt,
      long durationNanos, HttpResponse<Void> response, String error, String responseBody) {
    Integer statusCode = response == null ? null : response.statusCode();
    boolean success = statusCode != null && statusCode >= 200 && statusCode < 300;
    boolean gone = statusCode != null && statusCode == 410;
    String lastError = success ? null : error != null ? error : "HTTP " + statusCode;
    String newStatus;
    String outcome;
    OffsetDateTime nextAt = null;
    Long retryDue = null;
    if (success) {
      newStatus = "succeeded";
      outcome = "Success";
    } else if (gone || retryPolicy.exhausted(attemptNumber)) {
      newStatus = "failed";
      outcome = "Failure";
    } else {
      newStatus = "retrying";
      outcome = "Failed Attempt";
      long delay = retryPolicy.delayMs(attemptNumber, statusCode == null ? 0 : statusCode,
          response == null ? null : response.getHeader("retry-after"));
      retryDue = System.currentTimeMillis() + delay;
      nextAt = OffsetDateTime.now(ZoneOffset.UTC).plusNanos(delay * 1_000_000);
    }
    // Which node made which attempt: the trail to follow when a cluster misbehaves (and what ClusterTest counts).
    log.debug("attempt {} of delivery {}: {} ({} ms)", attemptNumber, claimed.id(), outcome, durationNanos / 1_000_000);
    metrics.attempted(outcome, durationNanos);
    AttemptRecord record = new AttemptRecord(claimed.id(), s.id(), s.targetUrl(), attemptNumber, startedAt,
        (int) (durationNanos / 1_000_000), outcome, statusCode, lastError, responseBody, newStatus, nextAt, gone);
    recordQueue.add(new Outcome(job, record, retryDue, claimed.createdAt()));
    if (recordQueue.size() >= RECORD_BATCH) {
      flushRecords();
    } else if (!recordScheduled) {
      recordScheduled = true;
      vertx.setTimer(2, id -> flushRecords());
    }
  }

  private void flushRecords() {
    recordScheduled = false;
    if (recordQueue.isEmpty()) {
      return;
    }
    List<Outcome> batch = recordQueue;
    recordQueue = new ArrayList<>();
    writesRunning++;
    deliveries.record(batch.stream().map(Outcome::record).toList(), config.circuitBreakerThreshold())
        .compose(disabled -> {
          disabled.forEach((id, reason) -> {
            log.warn("subscription {} disabled: {}", id, reason);
            SubscriptionCache.publishChange(vertx, id);
          });
          List<UUID> ids = new ArrayList<>();
          List<UUID> subs = new ArrayList<>();
          List<Long> due = new ArrayList<>();
          for (Outcome o : batch) {
            if (o.retryDueMs() != null) {
              ids.add(o.record().deliveryId());
              subs.add(o.record().subscriptionId());
              due.add(o.retryDueMs());
            }
          }
          // Recorded in PostgreSQL already: if Redis misses the retry, recovery re-enqueues it when due.
          return queue.scheduleRetries(ids, subs, due)
              .onFailure(err -> log.warn("scheduling {} retries in redis failed: {}", ids.size(), err.getMessage()))
              .recover(err -> Future.succeededFuture());
        })
        .onComplete(ar -> {
          writesRunning--;
          if (ar.failed()) {
            log.warn("recording {} attempts failed: {}", batch.size(), ar.cause().getMessage());
          }
          for (Outcome o : batch) {
            if (ar.succeeded()) {
              countFinal(o);
              done(o.job());
            } else {
              released(o.job());
            }
          }
        });
  }

  /** A delivery that reached its final state, on record, counts once; its lag runs from the 202 to now. */
  private void countFinal(Outcome o) {
    String status = o.record().newStatus();
    if ("succeeded".equals(status)) {
      metrics.delivered(true, o.createdAt() == null ? null
          : Duration.between(o.createdAt().toInstant(), java.time.Instant.now()));
    } else if ("failed".equals(status)) {
      metrics.delivered(false, null);
    }
  }

  /** A short, stable description of why an attempt got no HTTP answer. */
  static String describe(Throwable t) {
    String name = t.getClass().getSimpleName();
    String message = t.getMessage() == null ? "" : t.getMessage();
    String text;
    if (t instanceof TargetRefusedException) {
      text = "target refused: " + message;
    } else if (t instanceof java.util.concurrent.TimeoutException || name.contains("Timeout")) {
      text = "timeout: " + message;
    } else if (t instanceof java.net.ConnectException || message.contains("Connection refused")) {
      text = "connection refused: " + message;
    } else if (t instanceof java.net.UnknownHostException || name.contains("UnknownHost")) {
      text = "dns: unknown host " + message;
    } else if (t instanceof javax.net.ssl.SSLException) {
      text = "tls: " + message;
    } else if (message.contains("reset") || message.contains("closed")) {
      text = "connection reset: " + message;
    } else {
      text = name + ": " + message;
    }
    return text.length() > ERROR_LIMIT ? text.substring(0, ERROR_LIMIT) : text;
  }

  /** The target resolved to an address that is refused. */
  static final class TargetRefusedException extends RuntimeException {
    TargetRefusedException(String message) {
      super(message, null, false, false);
    }
  }
}
