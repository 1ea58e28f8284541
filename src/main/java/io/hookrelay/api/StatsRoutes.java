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
import io.vertx.sqlclient.Pool;

/**
 * What operators watch: {@code /metrics} for Prometheus (no key, like /health), {@code /stats} for a person or a
 * script, and {@code /stats/stream}, the same snapshot pushed every second as server-sent events for the dashboard.
 */
final class StatsRoutes {
  private static final long STREAM_EVERY_MS = 1000;

  private final Vertx vertx;
  private final Metrics metrics;
  private final DeliveryRepository deliveries;
  private final DeliveryQueue queue;
  private final Pool pool;

  StatsRoutes(Vertx vertx, Metrics metrics, DeliveryRepository deliveries, DeliveryQueue queue, Pool pool) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.deliveries = deliveries;
    this.queue = queue;
    this.pool = pool;
  }

  /** Routes that need no API key: Prometheus scrapes without one. */
  void mountPublic(Router router) {
    router.get("/metrics").handler(PrometheusScrapingHandler.create(metrics.prometheus()));
  }

  void mount(Router router) {
    router.get("/stats").handler(this::stats);
    router.get("/stats/stream").handler(this::stream);
  }

  private void stats(RoutingContext ctx) {
    Future<JsonObject> byStatus = deliveries.countByStatus();
    Future<JsonObject> subscriptions = pool.query("SELECT status, count(*) FROM subscriptions GROUP BY status")
        .execute().map(rows -> {
          JsonObject out = new JsonObject().put("enabled", 0L).put("disabled", 0L);
          rows.forEach(r -> out.put(r.getString(0), r.getLong(1)));
          return out;
        });
    Future<Long> stream = queue.streamLength();
    Future<Long> retry = queue.retryDepth();
    Future.all(byStatus, subscriptions).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ApiError.databaseUnavailable());
        return;
      }
      // Redis depths are best effort here: a stale sample beats failing the whole answer.
      Future.join(stream, retry).onComplete(depths -> {
        JsonObject node = metrics.latest().toJson();
        Json.send(ctx, 200, new JsonObject()
            .put("deliveries", byStatus.result())
            .put("subscriptions", subscriptions.result())
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
    HttpServerResponse response = ctx.response();
    response.setChunked(true)
        .putHeader("content-type", "text/event-stream")
        .putHeader("cache-control", "no-cache")
        .putHeader("x-accel-buffering", "no");
    response.write("retry: 2000\n\n");
    send(response);
    long timer = vertx.setPeriodic(STREAM_EVERY_MS, id -> send(response));
    response.closeHandler(v -> vertx.cancelTimer(timer));
    response.exceptionHandler(err -> vertx.cancelTimer(timer));
  }

  private void send(HttpServerResponse response) {
    if (!response.closed() && !response.writeQueueFull()) {
      response.write("data: " + metrics.latest().toJson().encode() + "\n\n");
    }
  }
}
