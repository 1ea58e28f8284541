package io.hookrelay.api;

import io.hookrelay.Version;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;

/** /health says the process is up; /ready says PostgreSQL and Redis answer, so a load balancer may send traffic. */
final class HealthRoutes {
  private static final long CHECK_TIMEOUT_MS = 2000;

  private final Pool pool;
  private final Redis redis;

  HealthRoutes(Pool pool, Redis redis) {
    this.pool = pool;
    this.redis = redis;
  }

  void mount(Router router) {
    router.get("/health").handler(ctx -> Json.send(ctx, 200,
        new JsonObject().put("status", "ok").put("version", Version.VERSION)));
    router.get("/ready").handler(this::ready);
  }

  private void ready(RoutingContext ctx) {
    Future<String> postgres = pool.query("SELECT 1").execute().map("ok")
        .timeout(CHECK_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
        .recover(err -> Future.succeededFuture("unreachable"));
    Future<String> redisCheck = redis.send(Request.cmd(Command.PING)).map("ok")
        .timeout(CHECK_TIMEOUT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
        .recover(err -> Future.succeededFuture("unreachable"));
    Future.all(postgres, redisCheck).onComplete(ar -> {
      boolean ready = "ok".equals(postgres.result()) && "ok".equals(redisCheck.result());
      Json.send(ctx, ready ? 200 : 503, new JsonObject()
          .put("status", ready ? "ready" : "not_ready")
          .put("postgres", postgres.result())
          .put("redis", redisCheck.result()));
    });
  }
}
