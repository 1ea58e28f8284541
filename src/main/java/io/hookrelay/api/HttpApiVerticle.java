package io.hookrelay.api;

import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.delivery.SubscriptionCache;
import io.hookrelay.ingest.EventTypeCatalogue;
import io.hookrelay.delivery.TargetResolver;
import io.hookrelay.ingest.IngestBatcher;
import io.hookrelay.ingest.IngestOutcome;
import io.hookrelay.metrics.Metrics;
import io.hookrelay.queue.DeliveryQueue;
import io.hookrelay.store.Database;
import io.hookrelay.store.DeliveryRepository;
import io.hookrelay.store.EventTypeRepository;
import io.hookrelay.store.MessageRepository;
import io.hookrelay.store.SubscriptionRepository;
import io.hookrelay.tenant.TenantCache;
import io.hookrelay.tenant.TenantRepository;
import io.hookrelay.tenant.TokenRepository;
import io.hookrelay.tracing.Tracing;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP API of a node: subscriptions, event types, ingest, status, health. Several instances share the port (one per event
 * loop); each has its own ingest batcher, subscription cache and event-type catalogue.
 */
public final class HttpApiVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(HttpApiVerticle.class);
  private static final long BACKLOG_SAMPLE_MS = 500;

  private final HookrelayConfig config;
  private final Metrics metrics;
  private final Tracing tracing;
  private Router router;
  private Pool pool;
  private Redis redis;
  private DeliveryQueue queue;
  private SubscriptionCache cache;
  private TenantCache tenantCache;
  private EventTypeCatalogue catalogue;
  private TargetResolver resolver;
  private HttpServer server;
  private volatile long backlog;
  private long backlogTimer;
  private long unqueued;
  private long lastEnqueueWarning;
  /** Enqueues after a commit still waiting on Redis (event-loop confined, like everything in a verticle instance). */
  private final Set<Future<Void>> enqueuing = new HashSet<>();

  public HttpApiVerticle(HookrelayConfig config, Metrics metrics) {
    this(config, metrics, Tracing.OFF);
  }

  public HttpApiVerticle(HookrelayConfig config, Metrics metrics, Tracing tracing) {
    this.config = config;
    this.metrics = metrics;
    this.tracing = tracing;
  }

  @Override
  public Future<?> start() {
    pool = Database.pool(vertx, config.databaseUrl(), config.databasePoolSize());
    redis = DeliveryQueue.client(vertx, config.redisUrl(), 4);
    queue = new DeliveryQueue(redis, config.redisKeyPrefix());
    SubscriptionRepository subscriptions = new SubscriptionRepository(pool);
    DeliveryRepository deliveries = new DeliveryRepository(pool);
    cache = new SubscriptionCache(vertx, subscriptions);
    tenantCache = new TenantCache(vertx, new TenantRepository(pool));
    TokenRepository tokens = new TokenRepository(pool);
    EventTypeRepository eventTypes = new EventTypeRepository(pool);
    catalogue = new EventTypeCatalogue(vertx, eventTypes);
    IngestBatcher batcher = new IngestBatcher(vertx, new MessageRepository(pool), config.ingestBatchSize(),
        config.ingestBatchDelay().toMillis(), this::enqueue);

    StatsRoutes stats = new StatsRoutes(vertx, metrics, deliveries, subscriptions, queue);
    UiRoutes ui = new UiRoutes(eventTypes);
    router = Router.router(vertx);
    IngestRoutes.countResults(router, metrics);
    IngestRoutes.traceRequests(router, tracing);
    router.route().handler(BodyHandler.create(false).setBodyLimit(config.maxBodyBytes()));
    router.route().failureHandler(Errors::handle);
    new HealthRoutes(pool, redis).mount(router);
    stats.mountPublic(router);
    ui.mountPublic(router);
    new PortalRoutes(tokens, tenantCache, config.portalFrameAncestors()).mountPublic(router);
    router.route().handler(new ApiKeyAuth(vertx, config.apiKeys(), tokens));
    // Every route below serves the caller's scope; under /tenants/{tenant} (narrowed by TenantRoutes, mounted
    // first) the same handlers serve that one tenant.
    String scoped = "/tenants/:tenant";
    new TenantRoutes(vertx, new TenantRepository(pool), tenantCache, tokens, config.portalLinkTtl(),
        config.publicUrl()).mount(router);
    resolver = new TargetResolver(vertx, config);
    SubscriptionRoutes subscriptionRoutes = new SubscriptionRoutes(vertx, config, subscriptions, deliveries, queue,
        resolver, catalogue);
    subscriptionRoutes.mount(router, "");
    subscriptionRoutes.mount(router, scoped);
    IngestRoutes ingest = new IngestRoutes(vertx, cache, tenantCache, catalogue, config.requireKnownEventTypes(), batcher,
        () -> backlog, config.backlogLimit(), config.httpInstances(), tracing);
    ingest.mount(router);
    ingest.mountScoped(router, scoped);
    new EventTypeRoutes(vertx, eventTypes, config.maxBodyBytes()).mount(router);
    StatusRoutes status = new StatusRoutes(deliveries, queue, pool);
    status.mount(router);
    status.mountAudit(router, "");
    status.mountAudit(router, scoped);
    DeliveryListRoutes deliveryList = new DeliveryListRoutes(deliveries);
    deliveryList.mount(router, "");
    deliveryList.mount(router, scoped);
    stats.mount(router);
    stats.mountScoped(router, scoped);
    ui.mount(router);
    router.errorHandler(404, Errors::handle);
    router.errorHandler(405, Errors::handle);

    backlogTimer = vertx.setPeriodic(BACKLOG_SAMPLE_MS, id -> queue.streamLength()
        .onSuccess(n -> backlog = n)
        .onFailure(err -> log.debug("backlog sample failed: {}", err.getMessage())));
    server = vertx.createHttpServer(new HttpServerOptions()
        .setHost(config.httpHost())
        .setPort(config.httpPort())
        .setMaxInitialLineLength(Errors.MAX_LINE_BYTES)
        .setMaxHeaderSize(Errors.MAX_HEADER_BYTES)
        .setCompressionSupported(false)
        .setTcpNoDelay(true));
    return Future.all(cache.ready(), tenantCache.ready(), catalogue.ready(),
        server.requestHandler(router).invalidRequestHandler(Errors::invalidRequest).listen());
  }

  /** The routes this instance serves; the OpenAPI test holds them against the document. */
  public Router router() {
    return router;
  }

  /** The port actually bound (useful when configured as 0). */
  public int port() {
    return server.actualPort();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(backlogTimer);
    // Stop listening; requests in progress get a few seconds to be answered (their batch commits meanwhile).
    // Then let enqueues of committed webhooks finish, so that a stop right after a 202 does not leave them to recovery.
    return server.shutdown(Math.max(1, config.shutdownTimeout().toSeconds() / 2), TimeUnit.SECONDS)
        .eventually(() -> Future.join(new ArrayList<>(enqueuing)).timeout(5, TimeUnit.SECONDS))
        .eventually(() -> {
          resolver.close();
          return cache.close();
        })
        .eventually(() -> tenantCache.close())
        .eventually(() -> catalogue.close())
        .eventually(() -> {
          redis.close();
          return pool.close();
        });
  }

  /** One warning per ten seconds while Redis refuses enqueues, with the count since the last one. */
  private void enqueueFailed(int count, Throwable err) {
    unqueued += count;
    long now = System.currentTimeMillis();
    if (now - lastEnqueueWarning >= 10_000) {
      log.warn("redis refused enqueues: {} stored deliveries not queued since the last warning ({}); recovery will "
          + "enqueue them", unqueued, err.getMessage());
      lastEnqueueWarning = now;
      unqueued = 0;
    }
  }

  /** After a commit: pending deliveries go on the queue. If Redis fails now, recovery enqueues them later. */
  private void enqueue(List<IngestOutcome.Delivery> pending) {
    List<UUID> ids = new ArrayList<>(pending.size());
    List<UUID> subs = new ArrayList<>(pending.size());
    for (IngestOutcome.Delivery d : pending) {
      ids.add(d.webhookId());
      subs.add(d.subscriptionId());
    }
    Future<Void> enqueued = queue.enqueue(ids, subs).onFailure(err -> enqueueFailed(ids.size(), err));
    enqueuing.add(enqueued);
    enqueued.onComplete(ar -> enqueuing.remove(enqueued));
  }
}
