package io.hookrelay.delivery;

import io.hookrelay.Version;
import io.hookrelay.bus.Addresses;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes delivery attempts: takes jobs from the event bus, claims them in PostgreSQL (so a job queued twice is
 * attempted once), POSTs the signed payload with the non-blocking WebClient, and records outcomes in batches before
 * replying, so the poller acknowledges only what is on record. Keeps each subscription under its in-flight cap and
 * rate limit by handing surplus work back for a short delay instead of waiting on it.
 */
public final class DeliveryVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(DeliveryVerticle.class);
  private static final int CLAIM_BATCH = 128;
  private static final int RECORD_BATCH = 256;
  private static final int RESPONSE_BODY_LIMIT = 4096;
  private static final int ERROR_LIMIT = 500;
  private static final String USER_AGENT = "hookrelay/" + Version.VERSION;

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
  private List<Job> claimQueue = new ArrayList<>();
  private boolean claimScheduled;
  private List<Outcome> recordQueue = new ArrayList<>();
  private boolean recordScheduled;
  private int attemptsRunning;
  private boolean abandoning;
  private int writesRunning;

  public DeliveryVerticle(HookrelayConfig config, Metrics metrics) {
    this.config = config;
    this.metrics = metrics;
    this.retryPolicy = new RetryPolicy(config.retrySchedule(), config.maxAttempts());
  }

  private record Job(Message<JsonObject> message, UUID deliveryId, Subscription subscription) {}

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
    consumer = vertx.eventBus().consumer(Addresses.DELIVERY_DISPATCH, this::onJob);
    return Future.all(consumer.completion(), subscriptions.ready());
  }

  @Override
  public Future<?> stop() {
    // Stop taking jobs; attempts under way finish and are recorded, within the shutdown bound set by Main.
    return consumer.unregister()
        .compose(v -> drained(System.currentTimeMillis() + config.shutdownTimeout().toMillis() / 2))
        .eventually(() -> {
          // Attempts still running are cut short by closing the client below: that is our failure, not the
          // receiver's, so they are not recorded; their entries stay pending and are claimed again elsewhere.
          abandoning = true;
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
    // Claims and records on their way to PostgreSQL count too: closing the pool under them loses their replies.
    if ((attemptsRunning == 0 && writesRunning == 0 && recordQueue.isEmpty() && claimQueue.isEmpty())
        || System.currentTimeMillis() > deadline) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    vertx.setTimer(20, id -> drained(deadline).onComplete(done));
    return done.future();
  }

  private void onJob(Message<JsonObject> message) {
    UUID deliveryId = UUID.fromString(message.body().getString("delivery_id"));
    UUID subscriptionId = UUID.fromString(message.body().getString("subscription_id"));
    subscriptions.get(subscriptionId).onComplete(ar -> {
      if (ar.failed()) {
        message.fail(503, "database unavailable");
        return;
      }
      Subscription s = ar.result();
      if (s == null) {
        message.reply(new JsonObject().put("outcome", "done")); // subscription deleted with its deliveries
        return;
      }
      long deferMs = admit(s);
      if (deferMs > 0) {
        message.reply(new JsonObject().put("outcome", "defer").put("delay_ms", deferMs));
        return;
      }
      claimQueue.add(new Job(message, deliveryId, s));
      if (claimQueue.size() >= CLAIM_BATCH) {
        flushClaims();
      } else if (!claimScheduled) {
        claimScheduled = true;
        vertx.setTimer(1, id -> flushClaims());
      }
    });
  }

  /** Reserves an in-flight slot for the subscription; answers 0, or how long to put the job back for. */
  private long admit(Subscription s) {
    String key = s.id().toString();
    if (!s.enabled()) {
      inFlight.merge(key, 1, Integer::sum); // held without an attempt; the slot is released at once
      return 0;
    }
    int cap = Math.max(1, s.maxInFlight());
    if (inFlight.getOrDefault(key, 0) >= cap) {
      return 200 + ThreadLocalRandom.current().nextInt(200);
    }
    if (s.rateLimitPerS() != null) {
      RateLimiter limiter = limiters.computeIfAbsent(s.id(), id -> new RateLimiter());
      long wait = limiter.reserve(s.rateLimitPerS() / (double) config.deliveryInstances(), System.nanoTime());
      if (wait > 0) {
        return Math.max(10, wait);
      }
    }
    boolean[] taken = new boolean[1];
    inFlight.compute(key, (k, n) -> {
      int open = n == null ? 0 : n;
      if (open >= cap) {
        return n; // another instance took the last slot meanwhile
      }
      taken[0] = true;
      return open + 1;
    });
    return taken[0] ? 0 : 200 + ThreadLocalRandom.current().nextInt(200);
  }

  private void release(UUID subscriptionId) {
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
          release(j.subscription().id());
          j.message().fail(503, "database unavailable");
        }
        return;
      }
      Map<UUID, Claimed> claimed = new HashMap<>();
      ar.result().forEach(c -> claimed.put(c.id(), c));
      List<Job> toHold = new ArrayList<>();
      for (Job j : batch) {
        Claimed c = claimed.get(j.deliveryId());
        if (c == null) {
          release(j.subscription().id()); // finished, owned elsewhere, or not due: nothing to do
          j.message().reply(new JsonObject().put("outcome", "done"));
        } else if (!j.subscription().enabled()) {
          release(j.subscription().id());
          toHold.add(j);
        } else {
          attempt(j, c);
        }
      }
      hold(toHold);
    });
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
          j.message().reply(new JsonObject().put("outcome", "done"));
        } else {
          j.message().fail(503, "database unavailable");
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
    List<byte[]> keys = new ArrayList<>(2);
    for (String secret : s.signingSecrets(startedAt)) {
      keys.add(Signer.secretBytes(secret));
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
          release(s.id());
          if (abandoning) {
            job.message().fail(503, "delivery verticle stopped");
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
              o.job().message().reply(new JsonObject().put("outcome", "done"));
            } else {
              o.job().message().fail(503, "database unavailable");
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
