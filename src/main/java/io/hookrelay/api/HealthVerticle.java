package io.hookrelay.api;

import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.queue.DeliveryQueue;
import io.hookrelay.store.Database;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;

/**
 * On a node without the API role (a delivery or retention node), serves only /health, /ready and /metrics on the
 * HTTP port, so that orchestrators, load balancers and Prometheus see every node alike; every other path is a 404.
 */
public final class HealthVerticle extends VerticleBase {
  private final HookrelayConfig config;
  private final io.hookrelay.metrics.Metrics metrics;
  private Pool pool;
  private Redis redis;
  private HttpServer server;

  public HealthVerticle(HookrelayConfig config, io.hookrelay.metrics.Metrics metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    // The node's shared pool (same name, no connections of its own); asked for at the configured size like the rest.
    pool = Database.pool(vertx, config.databaseUrl(), config.databasePoolSize());
    redis = DeliveryQueue.client(vertx, config.redisUrl(), 1);
    Router router = Router.router(vertx);
    router.route().failureHandler(Errors::handle);
    new HealthRoutes(pool, redis).mount(router);
    router.get("/metrics").handler(io.vertx.micrometer.PrometheusScrapingHandler.create(metrics.prometheus()));
    router.errorHandler(404, Errors::handle);
    router.errorHandler(405, Errors::handle);
    server = vertx.createHttpServer(new HttpServerOptions().setHost(config.httpHost()).setPort(config.httpPort()));
    return server.requestHandler(router).invalidRequestHandler(Errors::invalidRequest).listen();
  }

  @Override
  public Future<?> stop() {
    return server.close().eventually(() -> {
      redis.close();
      return pool.close();
    });
  }
}
