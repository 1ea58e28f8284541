package io.hookrelay.api;

import io.hookrelay.queue.DeliveryQueue;
import io.hookrelay.store.AuditRepository;
import io.hookrelay.store.DeliveryRepository;
import io.hookrelay.tenant.Scope;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.UUID;

/** Where a webhook stands: /status/{webhook_id}, a manual retry, and the audit log. */
final class StatusRoutes {
  private static final int RECENT_ATTEMPTS = 10;

  private final DeliveryRepository deliveries;
  private final DeliveryQueue queue;
  private final Pool pool;
  private final AuditRepository audit = new AuditRepository();

  StatusRoutes(DeliveryRepository deliveries, DeliveryQueue queue, Pool pool) {
    this.deliveries = deliveries;
    this.queue = queue;
    this.pool = pool;
  }

  void mount(Router router) {
    router.get("/status/:id").handler(this::status);
    router.post("/status/:id/retry").handler(this::retry);
    router.post("/status/:id/dismiss").handler(this::dismiss);
  }

  /** The audit log, under {@code prefix}: "" (the caller's scope) or "/tenants/:tenant". */
  void mountAudit(Router router, String prefix) {
    router.get(prefix + "/audit").handler(this::audit);
  }

  private void status(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id", "webhook");
    deliveries.status(Access.scope(ctx), id, RECENT_ATTEMPTS).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ApiError.store(ar.cause()));
      } else if (ar.result() == null) {
        ctx.fail(ApiError.notFound("no webhook with id " + id));
      } else {
        Json.send(ctx, 200, ar.result());
      }
    });
  }

  private void retry(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id", "webhook");
    Scope scope = Access.scope(ctx);
    deliveries.retryNow(scope, id)
        .compose(subscriptionId -> subscriptionId != null
            ? queue.enqueue(List.of(id), List.of(subscriptionId)).recover(err -> Future.succeededFuture())
                .map("queued")
            : deliveries.statusOf(scope, id).map(status -> status == null ? "unknown" : "busy"))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ApiError.store(ar.cause()));
          } else if ("unknown".equals(ar.result())) {
            ctx.fail(ApiError.notFound("no webhook with id " + id));
          } else if ("busy".equals(ar.result())) {
            ctx.fail(new ApiError(409, "delivery_in_progress", "an attempt is under way; retry once it ends"));
          } else {
            Json.send(ctx, 202, new JsonObject().put("webhook_id", id.toString()).put("status", "queued"));
          }
        });
  }

  /**
   * Dismisses a delivery that failed for good: it stays failed, but no longer holds back the rest of its ordering
   * key (a subscription with ordering_on_failure 'block'), whose next delivery is queued.
   */
  private void dismiss(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id", "webhook");
    Scope scope = Access.scope(ctx);
    deliveries.dismiss(scope, id)
        .compose(position -> {
          if (position == null || position.isEmpty()) {
            return Future.succeededFuture(position);
          }
          DeliveryRepository.KeyPosition p = position.get();
          return audit.record(pool, scope, scope.home(), "delivery_dismissed", p.subscriptionId(), id, null,
                  new JsonObject())
              .compose(v -> p.key() == null ? Future.succeededFuture(List.<UUID[]>of()) : deliveries.nextInKeys(List.of(p)))
              .compose(next -> queue.enqueue(next.stream().map(n -> n[0]).toList(),
                  next.stream().map(n -> n[1]).toList()).recover(err -> Future.succeededFuture()))
              .map(position);
        })
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ApiError.store(ar.cause()));
          } else if (ar.result() == null) {
            ctx.fail(ApiError.notFound("no webhook with id " + id));
          } else if (ar.result().isEmpty()) {
            ctx.fail(new ApiError(409, "not_failed", "only a delivery that failed for good, and was not dismissed "
                + "already, can be dismissed"));
          } else {
            Json.send(ctx, 200, new JsonObject().put("webhook_id", id.toString()).put("status", "failed")
                .put("dismissed", true));
          }
        });
  }

  private void audit(RoutingContext ctx) {
    int limit = Json.intParam(ctx, "limit", 50, 1, 1000);
    audit.recent(pool, Access.scope(ctx), limit)
        .onSuccess(rows -> Json.send(ctx, 200, rows))
        .onFailure(err -> ctx.fail(ApiError.store(err)));
  }
}
