package io.hookrelay.api;

import io.hookrelay.metrics.Metrics;
import io.hookrelay.queue.DeliveryQueue;
import io.hookrelay.store.DeliveryRepository;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.micrometer.PrometheusScrapingHandler;
import io.hookrelay.store.SubscriptionRepository;
import io.hookrelay.tenant.Scope;

/**
 * What operators watch: {@code /metrics} for Prometheus (no key, like /health), {@code /stats} for a person or a
 * script, and {@code /stats/stream}, the same snapshot pushed every second as server-sent events for the dashboard.
 */
final class StatsRoutes {
  private static final long STREAM_EVERY_MS = 1000;
  private static final long TENANT_STREAM_EVERY_MS = 2000;

  private final Vertx vertx;
  private final Metrics metrics;
  private final DeliveryRepository deliveries;
  private final DeliveryQueue queue;
  private final SubscriptionRepository subscriptions;

  StatsRoutes(Vertx vertx, Metrics metrics, DeliveryRepository deliveries, SubscriptionRepository subscriptions,
      DeliveryQueue queue) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.deliveries = deliveries;
    this.subscriptions = subscriptions;
    this.queue = queue;
  }

  /** Routes that need no API key: Prometheus scrapes without one. */
  void mountPublic(Router router) {
    router.get("/metrics").handler(PrometheusScrapingHandler.create(metrics.prometheus()));
  }

  void mount(Router router) {
    router.get("/stats").handler(this::stats);
    router.get("/stats/stream").handler(this::stream);
  }

  /** One tenant's numbers: counts from PostgreSQL only (no per-tenant label ever reaches Prometheus). */
  void mountScoped(Router router, String prefix) {
    router.get(prefix + "/stats").handler(this::stats);
  }

  private Future<JsonObject> counts(Scope scope) {
    Future<JsonObject> byStatus = deliveries.countByStatus(scope);
    Future<JsonObject> subscriptions = this.subscriptions.countByStatus(scope);
    return Future.all(byStatus, subscriptions).map(v -> {
      JsonObject out = new JsonObject().put("deliveries", byStatus.result()).put("subscriptions", subscriptions.result());
      if (!scope.everyTenant()) {
        out.put("tenant_id", scope.filter().toString());
      }
      return out;
    });
  }

  private void stats(RoutingContext ctx) {
    Scope scope = Access.scope(ctx);
    if (!scope.everyTenant()) {
      // A tenant sees its own counts; the node's queues and rates are every tenant's, so they are not its to see.
      counts(scope).onSuccess(c -> Json.send(ctx, 200, c)).onFailure(err -> ctx.fail(ApiError.store(err)));
      return;
    }
    Future<JsonObject> counted = counts(scope);
    Future<Long> stream = queue.streamLength();
    Future<Long> retry = queue.retryDepth();
    counted.onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ApiError.store(ar.cause()));
        return;
      }
      // Redis depths are best effort here: a stale sample beats failing the whole answer.
      Future.join(stream, retry).onComplete(depths -> {
        JsonObject node = metrics.latest().toJson();
        Json.send(ctx, 200, counted.result()
            .put("queue_depth", stream.succeeded() ? stream.result() : node.getLong("queue_depth"))
            .put("retry_depth", retry.succeeded() ? retry.result() : node.getLong("retry_depth"))
            .put("node", node));
      });
    });
  }

  /**
   * Server-sent events: one {@code data:} line with the node's snapshot every second until the client goes. The
   * dashboard reads it with fetch() so that the API key travels in the Authorization header, not in the URL.
   */
  private void stream(RoutingContext ctx) {
    Scope scope = Access.scope(ctx);
    HttpServerResponse response = ctx.response();
    response.setChunked(true)
        .putHeader("content-type", "text/event-stream")
        .putHeader("cache-control", "no-cache")
        .putHeader("x-accel-buffering", "no");
    response.write("retry: 2000\n\n");
    Runnable tick = scope.everyTenant() ? () -> send(response) : () -> sendCounts(response, scope);
    tick.run();
    long timer = vertx.setPeriodic(scope.everyTenant() ? STREAM_EVERY_MS : TENANT_STREAM_EVERY_MS, id -> tick.run());
    response.closeHandler(v -> vertx.cancelTimer(timer));
    response.exceptionHandler(err -> vertx.cancelTimer(timer));
  }

  /** A tenant's stream: its own counts, read from PostgreSQL, less often than the node's in-memory snapshot. */
  private void sendCounts(HttpServerResponse response, Scope scope) {
    if (response.closed() || response.writeQueueFull()) {
      return;
    }
    counts(scope).onSuccess(c -> {
      if (!response.closed()) {
        response.write("data: " + c.encode() + "\n\n");
      }
    });
  }

  private void send(HttpServerResponse response) {
    if (!response.closed() && !response.writeQueueFull()) {
      response.write("data: " + metrics.latest().toJson().encode() + "\n\n");
    }
  }
}
