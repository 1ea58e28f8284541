package io.hookrelay.api;

import io.hookrelay.delivery.RateLimiter;
import io.hookrelay.delivery.SubscriptionCache;
import io.hookrelay.ingest.EventTypeCatalogue;
import io.hookrelay.ingest.IngestBatcher;
import io.hookrelay.ingest.IngestCommand;
import io.hookrelay.ingest.IngestOutcome;
import io.hookrelay.ingest.JsonLimits;
import io.hookrelay.ingest.PayloadSchemas;
import io.hookrelay.metrics.Metrics;
import io.hookrelay.store.EventFilter;
import io.hookrelay.store.Subscription;
import io.hookrelay.tenant.Principal;
import io.hookrelay.tenant.Scope;
import io.hookrelay.tenant.Tenant;
import io.hookrelay.tenant.TenantCache;
import io.vertx.core.Future;
import io.hookrelay.tracing.Tracing;
import io.opentelemetry.api.trace.Span;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.LongSupplier;

/**
 * Ingest: {@code POST /ingest/{subscription_id}} (the seed API: one subscription), {@code POST /events} (fan-out
 * to every subscription whose filter matches) and {@code POST /subscriptions/{id}/send-example} (an event type's
 * example to one subscription). A payload whose type has a schema must meet it. Answers 202 only once PostgreSQL has
 * committed the webhook.
 */
final class IngestRoutes {
  static final int MAX_HEADER_VALUE = 256;
  private static final int MAX_ORDERING_KEY = 256;
  private static final String EVENTS_SCOPE = "events";
  private static final String SPAN = "hookrelay.ingest.span";

  /**
   * Payloads up to this size are checked against their schema on the event loop (tens of microseconds, see
   * BENCHMARKS.md); larger ones, up to the 1 MiB body limit, on the worker pool.
   */
  static final int INLINE_SCHEMA_CHECK_BYTES = 64 * 1024;

  private final Vertx vertx;
  private final SubscriptionCache subscriptions;
  private final TenantCache tenants;
  private final EventTypeCatalogue catalogue;
  private final boolean requireKnownTypes;
  private final IngestBatcher batcher;
  private final LongSupplier backlog;
  private final long backlogLimit;
  private final Tracing tracing;
  private final int instances;
  /** Each tenant's ingest_rate_per_s on this instance: a token bucket of rate / instances (per node, in all). */
  private final Map<UUID, RateLimiter> rates = new HashMap<>();

  IngestRoutes(Vertx vertx, SubscriptionCache subscriptions, TenantCache tenants, EventTypeCatalogue catalogue,
      boolean requireKnownTypes, IngestBatcher batcher, LongSupplier backlog, long backlogLimit, int instances,
      Tracing tracing) {
    this.vertx = vertx;
    this.catalogue = catalogue;
    this.requireKnownTypes = requireKnownTypes;
    this.subscriptions = subscriptions;
    this.tenants = tenants;
    this.batcher = batcher;
    this.backlog = backlog;
    this.backlogLimit = backlogLimit;
    this.instances = instances;
    this.tracing = tracing;
  }

  /**
   * When tracing is on, every ingest request gets a server span, ended with its answer (those refused before a
   * handler ran too); when off, nothing is mounted. Mount it ahead of the body handler and the key check.
   */
  static void traceRequests(Router router, Tracing tracing) {
    if (!tracing.enabled()) {
      return;
    }
    for (String route : List.of("/ingest/:id", "/events", "/tenants/:tenant/events")) {
      String name = route.startsWith("/ingest") ? "/ingest/{subscription_id}" : route.replace(":tenant", "{tenant}");
      router.post(route).handler(ctx -> {
        Span span = tracing.startIngest("POST", name, ctx.request().path(), ctx.request()::getHeader);
        ctx.put(SPAN, span);
        ctx.addEndHandler(v -> Tracing.endIngest(span, ctx.response().getStatusCode()));
        ctx.next();
      });
    }
  }

  /** The request's span, or null when tracing is off (without touching the context's data map then). */
  private Span span(RoutingContext ctx) {
    return tracing.enabled() ? ctx.get(SPAN) : null;
  }

  /**
   * Counts every ingest request by how it ended, those refused before a handler ran too (401, 413): mount it
   * ahead of the body handler and the key check.
   */
  static void countResults(Router router, Metrics metrics) {
    Handler<RoutingContext> counter = ctx -> {
      ctx.addHeadersEndHandler(v -> {
        int status = ctx.response().getStatusCode();
        if (status == 202) {
          metrics.ingested(Metrics.ACCEPTED, "none");
        } else if (status == 200) {
          metrics.ingested(Metrics.DUPLICATE, "idempotency_key");
        } else {
          String code = ctx.get(Errors.CODE);
          metrics.ingested(Metrics.REJECTED, code != null ? code : "http_" + status);
        }
      });
      ctx.next();
    };
    router.post("/ingest/:id").handler(counter);
    router.post("/events").handler(counter);
    router.post("/tenants/:tenant/events").handler(counter);
  }

  /** /ingest/{id} and /events, in the caller's scope. */
  void mount(Router router) {
    router.post("/ingest/:id").handler(this::ingest);
    router.post("/events").handler(this::events);
    router.post("/subscriptions/:id/send-example").handler(this::sendExample);
  }

  /** One tenant's /events and send-example. */
  void mountScoped(Router router, String prefix) {
    router.post(prefix + "/events").handler(this::events);
    router.post(prefix + "/subscriptions/:id/send-example").handler(this::sendExample);
  }

  private void ingest(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id", "subscription");
    checkBacklog(ctx);
    Buffer payload = jsonBody(ctx);
    String eventType = header(ctx, "x-event-type");
    if (eventType != null && !EventFilter.isValidEventType(eventType)) {
      throw ApiError.unprocessable("X-Event-Type must be " + EventFilter.EVENT_TYPE_RULE);
    }
    String key = header(ctx, "idempotency-key");
    String orderingKey = orderingKey(header(ctx, "x-ordering-key"), "X-Ordering-Key");
    Principal principal = Access.principal(ctx);
    checkedType(eventType, "X-Event-Type", payload).compose(v -> subscriptions.get(id))
        .compose(s -> s == null || !s.tenantActive() || !principal.reaches(s.tenantId())
            ? Future.succeededFuture((Subscription) null)
            : tenants.get(s.tenantId()).map(t -> {
              if (t == null) {
                return null;
              }
              checkRate(ctx, t);
              return s;
            })).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ApiError.store(ar.cause()));
        return;
      }
      Subscription s = ar.result();
      if (s == null) {
        ctx.fail(ApiError.notFound("no subscription with id " + id));
        return;
      }
      String status = !s.wants(eventType) ? "filtered" : s.enabled() ? "pending" : "held";
      Span span = span(ctx);
      if (span != null) {
        span.setAttribute(Tracing.SUBSCRIPTION_ID, id.toString());
      }
      IngestCommand command = new IngestCommand(s.tenantId(), principal.actor(), eventType, payload, id.toString(),
          key, List.of(new IngestCommand.Target(id, status,
              "filtered".equals(status) ? null : s.orderingKeyFor(orderingKey))), // filtered: no place in a key
          span == null ? null : Tracing.traceparent(span));
      batcher.submit(command).onComplete(result -> {
        if (result.failed()) {
          fail(ctx, result.cause());
          return;
        }
        IngestOutcome outcome = result.result();
        IngestOutcome.Delivery d = outcome.deliveries().isEmpty() ? null : outcome.deliveries().get(0);
        if (span != null && d != null) {
          span.setAttribute(Tracing.WEBHOOK_ID, d.webhookId().toString());
        }
        JsonObject body = new JsonObject().put("webhook_id", d == null ? null : d.webhookId().toString());
        // A repeat answers as the first request did: its stored status has moved on since, except 'filtered'.
        boolean repeat = outcome.kind() != IngestOutcome.Kind.CREATED;
        if (d != null && (repeat ? "filtered".equals(d.status()) : !"pending".equals(d.status()))) {
          body.put("status", d.status());
        }
        answer(ctx, outcome, body);
      });
    });
  }

  private void events(RoutingContext ctx) {
    checkBacklog(ctx);
    JsonObject envelope = Json.object(ctx);
    Object type = envelope.getValue("event_type");
    if (!(type instanceof String eventType) || eventType.isEmpty() || eventType.length() > MAX_HEADER_VALUE) {
      throw ApiError.unprocessable("event_type is required: a string of 1 to " + MAX_HEADER_VALUE + " characters");
    }
    if (!EventFilter.isValidEventType(eventType)) {
      throw ApiError.unprocessable("event_type must be " + EventFilter.EVENT_TYPE_RULE);
    }
    Object payload = envelope.getValue("payload");
    if (!(payload instanceof JsonObject) && !(payload instanceof JsonArray)) {
      throw ApiError.unprocessable("payload is required: a JSON object (or array)");
    }
    Object eventId = envelope.getValue("event_id");
    if (eventId != null && (!(eventId instanceof String s) || s.isEmpty() || s.length() > MAX_HEADER_VALUE)) {
      throw ApiError.unprocessable("event_id must be a string of 1 to " + MAX_HEADER_VALUE + " characters");
    }
    Json.storable("event_id", (String) eventId, 422);
    Object ordering = envelope.getValue("ordering_key");
    if (ordering != null && !(ordering instanceof String)) {
      throw ApiError.unprocessable("ordering_key must be a string");
    }
    String orderingKey = orderingKey((String) ordering, "ordering_key");
    String headerKey = header(ctx, "idempotency-key");
    String key = headerKey != null ? headerKey : (String) eventId;
    Buffer bytes = payload instanceof JsonObject o ? o.toBuffer() : ((JsonArray) payload).toBuffer();
    Principal principal = Access.principal(ctx);
    Object named = envelope.getValue("tenant");
    if (named != null && (!(named instanceof String ref) || ref.isEmpty() || ref.length() > 256)) {
      throw ApiError.unprocessable("tenant must be a tenant's id or uid (a string of 1 to 256 characters)");
    }
    Tenant pathTenant = Access.tenant(ctx);
    Future<Tenant> tenant;
    if (pathTenant != null) {
      if (named != null && !named.equals(pathTenant.id().toString()) && !named.equals(pathTenant.uid())) {
        throw ApiError.unprocessable("tenant names another tenant than the path: leave it out, or use /events");
      }
      tenant = Future.succeededFuture(pathTenant);
    } else {
      tenant = tenants.find(named != null ? (String) named : Access.scope(ctx).home().toString())
          .map(t -> t != null && principal.reaches(t.id()) ? t : null);
    }
    tenant.compose(t -> checkedType(eventType, "event_type", bytes).map(t)).compose(t -> {
      if (t == null) {
        return Future.failedFuture(ApiError.notFound("no tenant '" + (named != null ? named : "default") + "'"));
      }
      checkRate(ctx, t);
      return subscriptions.ofTenant(t.id()).map(list -> new Fanout(t, list));
    }).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ApiError.store(ar.cause()));
        return;
      }
      UUID tenantId = ar.result().tenant().id();
      List<IngestCommand.Target> targets = new ArrayList<>();
      for (Subscription s : ar.result().subscriptions()) {
        if (s.wants(eventType)) {
          targets.add(new IngestCommand.Target(s.id(), s.enabled() ? "pending" : "held", s.orderingKeyFor(orderingKey)));
        }
      }
      Span span = span(ctx);
      String traceparent = span == null ? null : Tracing.traceparent(span);
      // The default tenant keeps the scope its keys had before tenants, so that old keys still deduplicate.
      String scope = tenantId.equals(Scope.DEFAULT_TENANT) ? EVENTS_SCOPE : EVENTS_SCOPE + ":" + tenantId;
      batcher.submit(new IngestCommand(tenantId, principal.actor(), eventType, bytes, scope, key, targets,
          traceparent)).onComplete(result -> {
        if (result.failed()) {
          fail(ctx, result.cause());
          return;
        }
        IngestOutcome outcome = result.result();
        // Sorted, so that a duplicate (read back from the database) answers exactly what the first request did.
        List<String> sorted = outcome.deliveries().stream().map(d -> d.webhookId().toString()).sorted()
            .collect(java.util.stream.Collectors.toList());
        JsonArray ids = new JsonArray(sorted);
        if (span != null) {
          span.setAttribute(Tracing.WEBHOOK_IDS, sorted);
        }
        answer(ctx, outcome, new JsonObject()
            .put("event_id", key != null ? key : outcome.messageId().toString())
            .put("webhook_ids", ids));
      });
    });
  }

  private record Fanout(Tenant tenant, List<Subscription> subscriptions) {}

  /** Passes within the tenant's ingest_rate_per_s; past it, throws a 429 with Retry-After. */
  private void checkRate(RoutingContext ctx, Tenant t) {
    if (t.ingestRatePerS() == null) {
      return;
    }
    long waitMs = rates.computeIfAbsent(t.id(), id -> new RateLimiter())
        .reserve(t.ingestRatePerS() / (double) instances, System.nanoTime());
    if (waitMs <= 0) {
      return;
    }
    ctx.response().putHeader("retry-after", Long.toString(Math.max(1, (waitMs + 999) / 1000)));
    throw new ApiError(429, "rate_limited", "ingest_rate_per_s: the tenant's limit of " + t.ingestRatePerS()
        + " events per second is reached; retry after the Retry-After seconds");
  }

  /**
   * Delivers the event type's example to one subscription as a webhook like any other (stored, signed, retried,
   * recorded), whatever its filter says: the caller asked for this one. A disabled subscription holds it.
   */
  private void sendExample(RoutingContext ctx) {
    UUID id = Json.pathId(ctx, "id", "subscription");
    String eventType = ctx.queryParams().get("event_type");
    if (eventType == null || eventType.isEmpty()) {
      throw ApiError.badRequest("invalid_parameter", "event_type is required: the name of a type in /event-types");
    }
    if (eventType.length() > MAX_HEADER_VALUE) {
      throw ApiError.badRequest("invalid_parameter", "event_type must be at most " + MAX_HEADER_VALUE + " characters");
    }
    checkBacklog(ctx);
    Scope scope = Access.scope(ctx);
    Principal principal = Access.principal(ctx);
    Future.all(subscriptions.get(id), catalogue.get(eventType)).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ApiError.store(ar.cause()));
        return;
      }
      Subscription found = ar.result().resultAt(0);
      // Another tenant's subscription (or one outside the path's tenant) is not found, as a missing one.
      Subscription s = found == null || !found.tenantActive() || !principal.reaches(found.tenantId())
          || (!scope.everyTenant() && !scope.filter().equals(found.tenantId())) ? null : found;
      EventTypeCatalogue.Known known = ar.result().resultAt(1);
      if (s == null) {
        ctx.fail(ApiError.notFound("no subscription with id " + id));
        return;
      }
      if (known == null) {
        ctx.fail(ApiError.notFound("no event type named '" + eventType + "' in /event-types"));
        return;
      }
      if (!known.type().hasExample()) {
        ctx.fail(ApiError.unprocessable("event_type '" + eventType + "' has no example: set one with "
            + "PATCH /event-types/" + eventType));
        return;
      }
      Buffer payload = io.vertx.core.json.Json.encodeToBuffer(known.type().example());
      String status = s.enabled() ? "pending" : "held";
      batcher.submit(new IngestCommand(s.tenantId(), principal.actor(), eventType, payload, id.toString(), null,
          List.of(new IngestCommand.Target(id, status, s.orderingKeyFor(null))), null)).onComplete(result -> {
            if (result.failed()) {
              fail(ctx, result.cause());
              return;
            }
            IngestOutcome.Delivery d = result.result().deliveries().get(0);
            JsonObject body = new JsonObject().put("webhook_id", d.webhookId().toString()).put("event_type", eventType);
            if (!"pending".equals(d.status())) {
              body.put("status", d.status());
            }
            Json.send(ctx, 202, body);
          });
    });
  }

  /**
   * Refuses, with a 422, a payload that its type's schema rejects (naming the JSON pointer and the rule of the first
   * violation), and a type the catalogue lacks when every type must be known. A type with no schema takes any JSON.
   */
  private Future<Void> checkedType(String eventType, String field, Buffer payload) {
    if (eventType == null) {
      return Future.succeededFuture();
    }
    return catalogue.get(eventType).compose(known -> {
      if (known == null) {
        return requireKnownTypes
            ? Future.failedFuture(ApiError.unprocessable(field + " '" + eventType + "' is not in the event-type "
                + "catalogue (/event-types), and this node requires known types (HOOKRELAY_REQUIRE_KNOWN_EVENT_TYPES)"))
            : Future.succeededFuture();
      }
      com.networknt.schema.Schema schema = known.schema();
      if (schema == null) {
        return Future.succeededFuture();
      }
      String json = payload.toString(java.nio.charset.StandardCharsets.UTF_8);
      Future<PayloadSchemas.Violation> checked = payload.length() <= INLINE_SCHEMA_CHECK_BYTES
          ? Future.succeededFuture(PayloadSchemas.firstViolation(schema, json))
          : vertx.executeBlocking(() -> PayloadSchemas.firstViolation(schema, json), false);
      return checked.compose(v -> v == null
          ? Future.succeededFuture()
          : Future.failedFuture(new ApiError(422, "schema_violation", "the payload does not meet the schema of "
              + "event type '" + eventType + "': " + v.describe())));
    });
  }

  /** An ordering key as given, checked: at most 256 characters, none of them a control character. */
  private static String orderingKey(String value, String field) {
    if (value == null) {
      return null;
    }
    if (value.isEmpty() || value.length() > MAX_ORDERING_KEY || value.chars().anyMatch(Character::isISOControl)) {
      throw ApiError.unprocessable(field + " must be 1 to " + MAX_ORDERING_KEY
          + " characters, none of them a control character");
    }
    return value;
  }

  private static void answer(RoutingContext ctx, IngestOutcome outcome, JsonObject body) {
    switch (outcome.kind()) {
      case CREATED -> Json.send(ctx, 202, body);
      case DUPLICATE -> Json.send(ctx, 200, body.put("duplicate", true));
      case CONFLICT -> Errors.send(ctx, 409, "idempotency_conflict",
          "this Idempotency-Key was already used with a different payload");
    }
  }

  private static void fail(RoutingContext ctx, Throwable cause) {
    if (cause instanceof IngestBatcher.SubscriptionGoneException) {
      ctx.fail(ApiError.notFound("the subscription was deleted"));
      return;
    }
    ctx.fail(ApiError.store(cause));
  }

  private void checkBacklog(RoutingContext ctx) {
    if (backlog.getAsLong() > backlogLimit) {
      ctx.response().putHeader("retry-after", "5");
      throw new ApiError(429, "backlog_full", "the delivery backlog is over its limit of " + backlogLimit
          + " webhooks; retry later");
    }
  }

  /** The body as received, after checking that it is JSON. */
  private static Buffer jsonBody(RoutingContext ctx) {
    String type = ctx.request().getHeader("content-type");
    if (type != null && !type.toLowerCase().contains("json")) {
      throw new ApiError(415, "unsupported_media_type", "send the body as application/json, not " + type);
    }
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    if (body == null || body.length() == 0) {
      throw ApiError.badRequest("invalid_json", "the body is empty; a JSON object or array is expected");
    }
    switch (JsonLimits.check(body)) {
      case TOO_DEEP -> throw Json.tooDeep();
      case INVALID -> throw ApiError.badRequest("invalid_json", "the body is not valid JSON");
      case NOT_A_CONTAINER -> throw ApiError.unprocessable("the body must be a JSON object or array, "
          + "not a bare string, number, boolean or null");
      default -> {
        return body;
      }
    }
  }

  private static String header(RoutingContext ctx, String name) {
    String value = ctx.request().getHeader(name);
    if (value == null || value.isEmpty()) {
      return null;
    }
    if (value.length() > MAX_HEADER_VALUE) {
      throw ApiError.badRequest("invalid_header", name + " must be at most " + MAX_HEADER_VALUE + " characters");
    }
    return value;
  }
}
