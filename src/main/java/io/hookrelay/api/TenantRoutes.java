package io.hookrelay.api;

import io.hookrelay.ops.OperationalEvents;
import io.hookrelay.delivery.SubscriptionCache;
import io.hookrelay.store.Times;
import io.hookrelay.tenant.Principal;
import io.hookrelay.tenant.Scope;
import io.hookrelay.tenant.Tenant;
import io.hookrelay.tenant.TenantCache;
import io.hookrelay.tenant.TenantRepository;
import io.hookrelay.tenant.TokenRepository;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * /tenants: the platform's customers (admin keys), their tokens and portal links; and the handler that narrows
 * every {@code /tenants/{tenant}/…} route to the tenant it names, answering 404 for a tenant the caller does not
 * reach exactly as for one that does not exist. A tenant token may read its own tenant, nothing else here.
 */
final class TenantRoutes {
  static final Pattern UID = Pattern.compile("[A-Za-z0-9._~-]{1,256}");
  static final int MAX_METADATA_BYTES = 4096;
  private static final Set<String> FIELDS = Set.of("uid", "name", "metadata", "limits");
  private static final Set<String> READ_ONLY = Set.of("id", "created_at", "updated_at");
  private static final Set<String> LIMITS = Set.of("max_subscriptions", "ingest_rate_per_s");
  private static final Set<String> TOKEN_FIELDS = Set.of("description", "read_only", "expires_at");

  private final Vertx vertx;
  private final TenantRepository tenants;
  private final TenantCache cache;
  private final TokenRepository tokens;
  private final Duration portalLinkTtl;
  private final String publicUrl;

  TenantRoutes(Vertx vertx, TenantRepository tenants, TenantCache cache, TokenRepository tokens,
      Duration portalLinkTtl, String publicUrl) {
    this.vertx = vertx;
    this.tenants = tenants;
    this.cache = cache;
    this.tokens = tokens;
    this.portalLinkTtl = portalLinkTtl;
    this.publicUrl = publicUrl;
  }

  void mount(Router router) {
    router.post("/tenants").handler(this::create);
    router.get("/tenants").handler(this::list);
    router.get("/tenants/:tenant").handler(this::get);
    router.put("/tenants/:tenant").handler(this::put);
    router.patch("/tenants/:tenant").handler(this::patch);
    router.delete("/tenants/:tenant").handler(this::delete);
    // Everything under a tenant: resolved once, here, then served by the same handlers as the unscoped routes.
    router.route("/tenants/:tenant/*").handler(this::narrow);
    router.post("/tenants/:tenant/tokens").handler(this::createToken);
    router.get("/tenants/:tenant/tokens").handler(this::listTokens);
    router.delete("/tenants/:tenant/tokens/:id").handler(this::revokeToken);
    router.post("/tenants/:tenant/portal-link").handler(this::portalLink);
  }

  private void narrow(RoutingContext ctx) {
    Principal principal = Access.principal(ctx);
    String ref = ctx.pathParam("tenant");
    cache.find(ref).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ApiError.store(ar.cause()));
      } else if (ar.result() == null || !principal.reaches(ar.result().id())) {
        ctx.fail(noTenant(ref));
      } else {
        Access.narrow(ctx, ar.result());
        ctx.next();
      }
    });
  }

  private static ApiError noTenant(String ref) {
    return ApiError.notFound("no tenant with id or uid '" + ref + "'");
  }

  private void create(RoutingContext ctx) {
    Access.requireAdmin(ctx);
    TenantRepository.Fields f = fields(Json.object(ctx), true, null);
    tenants.create(Access.scope(ctx), f).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(failure(ar.cause(), f.uid()));
      } else {
        TenantCache.publishChange(vertx, ar.result().id());
        ctx.response().putHeader("location", "/tenants/" + ar.result().id());
        Json.send(ctx, 201, ar.result().toJson());
      }
    });
  }

  private void list(RoutingContext ctx) {
    Access.requireAdmin(ctx);
    int skip = Json.intParam(ctx, "skip", 0, 0, Integer.MAX_VALUE);
    int limit = Json.intParam(ctx, "limit", 100, 1, 1000);
    tenants.list(Access.scope(ctx), skip, limit).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ApiError.store(ar.cause()));
      } else {
        JsonArray out = new JsonArray();
        ar.result().forEach(t -> out.add(t.toJson()));
        Json.send(ctx, 200, out);
      }
    });
  }

  /** A tenant token may read its own tenant; another tenant is 404, as a missing one. */
  private void get(RoutingContext ctx) {
    String ref = ctx.pathParam("tenant");
    tenants.find(Access.scope(ctx), ref).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ApiError.store(ar.cause()));
      } else if (ar.result() == null) {
        ctx.fail(noTenant(ref));
      } else {
        Json.send(ctx, 200, ar.result().toJson());
      }
    });
  }

  /** PUT /tenants/{uid}: creates the tenant with this uid or updates it (idempotent sync from the platform). */
  private void put(RoutingContext ctx) {
    Access.requireAdmin(ctx);
    String uid = ctx.pathParam("tenant");
    if (!UID.matcher(uid).matches()) {
      throw ApiError.unprocessable("uid (the path) must be 1 to 256 characters of letters, digits, '.', '_', '~' or '-'");
    }
    TenantRepository.Fields f = fields(Json.object(ctx), false, uid);
    tenants.upsert(Access.scope(ctx), f).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(failure(ar.cause(), uid));
      } else {
        TenantCache.publishChange(vertx, ar.result().tenant().id());
        Json.send(ctx, ar.result().created() ? 201 : 200, ar.result().tenant().toJson());
      }
    });
  }

  private void patch(RoutingContext ctx) {
    Access.requireAdmin(ctx);
    String ref = ctx.pathParam("tenant");
    TenantRepository.Fields f = fields(Json.object(ctx), false, null);
    Scope scope = Access.scope(ctx);
    tenants.find(scope, ref)
        .compose(t -> t == null ? Future.succeededFuture((Tenant) null) : tenants.update(scope, t.id(), f))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(failure(ar.cause(), f.uid()));
          } else if (ar.result() == null) {
            ctx.fail(noTenant(ref));
          } else {
            TenantCache.publishChange(vertx, ar.result().id());
            Json.send(ctx, 200, ar.result().toJson());
          }
        });
  }

  /**
   * Marks the tenant deleting and answers 202 at once: its tokens stop working and its deliveries stop at the
   * commit; the purge deletes its rows in the background.
   */
  private void delete(RoutingContext ctx) {
    Access.requireAdmin(ctx);
    String ref = ctx.pathParam("tenant");
    Scope scope = Access.scope(ctx);
    tenants.find(scope, ref).compose(t -> {
      if (t == null) {
        return Future.succeededFuture((UUID) null);
      }
      if (t.id().equals(Scope.DEFAULT_TENANT)) {
        return Future.failedFuture(new ApiError(409, "default_tenant", "the default tenant cannot be deleted: the "
            + "unscoped routes and the seed API address it"));
      }
      refuseSystemTenant(t);
      return tenants.markDeleting(scope, t.id()).map(marked -> {
        if (marked) {
          OperationalEvents.emit(vertx, OperationalEvents.TENANT_DELETED,
              new JsonObject().put("tenant_id", t.id().toString()).put("uid", t.uid()));
        }
        return marked ? t.id() : null;
      });
    }).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ApiError.store(ar.cause()));
      } else if (ar.result() == null) {
        ctx.fail(noTenant(ref));
      } else {
        TenantCache.publishChange(vertx, ar.result());
        SubscriptionCache.publishChangeOfAll(vertx);
        Json.send(ctx, 202, new JsonObject().put("id", ar.result().toString()).put("status", Tenant.DELETING));
      }
    });
  }

  /** The system tenant carries hookrelay's own webhooks: it takes no tokens nor portal links and is never deleted. */
  private static void refuseSystemTenant(Tenant t) {
    refuseSystemTenant(t.id());
  }

  private static void refuseSystemTenant(UUID tenantId) {
    if (OperationalEvents.SYSTEM_TENANT.equals(tenantId)) {
      throw new ApiError(409, "system_tenant", "the system tenant holds hookrelay's operational webhooks: it takes "
          + "no tokens and no portal links, and cannot be deleted");
    }
  }

  private void createToken(RoutingContext ctx) {
    Access.requireAdmin(ctx);
    refuseSystemTenant(Access.scope(ctx).tenantId());
    JsonObject body = ctx.body() != null && ctx.body().length() > 0 ? Json.object(ctx) : new JsonObject();
    for (String field : body.fieldNames()) {
      if (!TOKEN_FIELDS.contains(field)) {
        throw ApiError.unprocessable(field + " is not a field of a token (fields: description, read_only, expires_at)");
      }
    }
    String description = body.getValue("description") == null ? null : text(body, "description", 256);
    Object ro = body.getValue("read_only");
    if (ro != null && !(ro instanceof Boolean)) {
      throw ApiError.unprocessable("read_only must be true or false");
    }
    OffsetDateTime expiresAt = null;
    if (body.getValue("expires_at") != null) {
      try {
        expiresAt = OffsetDateTime.parse(String.valueOf(body.getValue("expires_at")));
      } catch (DateTimeParseException e) {
        throw ApiError.unprocessable("expires_at must be an ISO-8601 time such as 2026-01-31T12:00:00Z");
      }
      if (!expiresAt.isAfter(Times.now())) {
        throw ApiError.unprocessable("expires_at must be in the future");
      }
    }
    tokens.create(Access.scope(ctx), TokenRepository.API, description, Boolean.TRUE.equals(ro), expiresAt)
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ApiError.store(ar.cause()));
          } else if (ar.result() == null) {
            ctx.fail(noTenant(ctx.pathParam("tenant")));
          } else {
            Json.send(ctx, 201, ar.result().token().put("token", ar.result().secret()));
          }
        });
  }

  private void listTokens(RoutingContext ctx) {
    Access.requireAdmin(ctx);
    tokens.list(Access.scope(ctx)).onSuccess(list -> Json.send(ctx, 200, list))
        .onFailure(err -> ctx.fail(ApiError.store(err)));
  }

  private void revokeToken(RoutingContext ctx) {
    Access.requireAdmin(ctx);
    UUID id = Json.pathId(ctx, "id", "token");
    tokens.revoke(Access.scope(ctx), id).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ApiError.store(ar.cause()));
      } else if (!ar.result()) {
        ctx.fail(ApiError.notFound("no token with id " + id));
      } else {
        TenantCache.publishChange(vertx, Access.scope(ctx).home());
        ctx.response().setStatusCode(204).end();
      }
    });
  }

  /**
   * A link to the portal for the tenant's customer: a single-use token, short-lived, in the URL's fragment (which
   * browsers never send to a server, so it stays out of access logs and Referer headers).
   */
  private void portalLink(RoutingContext ctx) {
    Access.requireAdmin(ctx);
    refuseSystemTenant(Access.scope(ctx).tenantId());
    if (ctx.body() != null && ctx.body().length() > 0 && !Json.object(ctx).isEmpty()) {
      throw ApiError.unprocessable("a portal link takes no fields: send {} or no body");
    }
    OffsetDateTime expiresAt = Times.now().plus(portalLinkTtl);
    String base = !publicUrl.isEmpty() ? publicUrl
        : ctx.request().scheme() + "://" + ctx.request().authority().toString();
    tokens.create(Access.scope(ctx), TokenRepository.PORTAL_LINK, null, false, expiresAt).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ApiError.store(ar.cause()));
      } else if (ar.result() == null) {
        ctx.fail(noTenant(ctx.pathParam("tenant")));
      } else {
        Json.send(ctx, 201, new JsonObject()
            .put("url", base.replaceAll("/+$", "") + "/portal#token=" + ar.result().secret())
            .put("expires_at", Times.iso(expiresAt)));
      }
    });
  }

  private static ApiError failure(Throwable err, String uid) {
    if (err instanceof ApiError e) {
      return e;
    }
    if (err instanceof TenantRepository.UidTaken) {
      return new ApiError(409, "uid_taken", "a tenant with uid '" + uid + "' already exists");
    }
    return ApiError.store(err);
  }

  /** The fields of a create (uid required), a PATCH, or a PUT (uid from the path; the body's must agree). */
  private static TenantRepository.Fields fields(JsonObject body, boolean create, String pathUid) {
    for (String field : body.fieldNames()) {
      if (READ_ONLY.contains(field)) {
        throw ApiError.unprocessable(field + " is read-only");
      }
      if (!FIELDS.contains(field)) {
        throw ApiError.unprocessable(field + " is not a field of a tenant (fields: uid, name, metadata, limits)");
      }
    }
    String uid = body.getValue("uid") == null ? null : text(body, "uid", 256);
    if (uid != null && !UID.matcher(uid).matches()) {
      throw ApiError.unprocessable("uid must be 1 to 256 characters of letters, digits, '.', '_', '~' or '-'");
    }
    if (create && uid == null) {
      throw ApiError.unprocessable("uid is required: the platform's own key for this customer");
    }
    if (pathUid != null) {
      if (uid != null && !uid.equals(pathUid)) {
        throw ApiError.unprocessable("uid in the body differs from the path's; leave it out of a PUT");
      }
      uid = pathUid;
    }
    String name = body.getValue("name") == null ? null : text(body, "name", 256);
    if (name != null && name.isBlank()) {
      throw ApiError.unprocessable("name must not be blank");
    }
    if (create && name == null) {
      name = uid;
    }
    JsonObject metadata = null;
    if (body.getValue("metadata") != null) {
      if (!(body.getValue("metadata") instanceof JsonObject m)) {
        throw ApiError.unprocessable("metadata must be a JSON object");
      }
      if (m.encode().length() > MAX_METADATA_BYTES) {
        throw ApiError.unprocessable("metadata must be at most " + MAX_METADATA_BYTES + " bytes of JSON");
      }
      String encoded = m.encode();
      Json.storable("metadata", encoded, 422);
      if (encoded.contains("\\u0000")) { // a NUL escaped in JSON: PostgreSQL's jsonb cannot store it either
        throw ApiError.unprocessable("metadata must not contain NUL characters (\\u0000)");
      }
      metadata = m;
    }
    boolean setMax = false;
    boolean setRate = false;
    Integer max = null;
    Integer rate = null;
    if (body.containsKey("limits")) {
      Object value = body.getValue("limits");
      if (value != null && !(value instanceof JsonObject)) {
        throw ApiError.unprocessable("limits must be an object: {\"max_subscriptions\": n, \"ingest_rate_per_s\": n}");
      }
      JsonObject limits = value == null ? new JsonObject().putNull("max_subscriptions").putNull("ingest_rate_per_s")
          : (JsonObject) value;
      for (String field : limits.fieldNames()) {
        if (!LIMITS.contains(field)) {
          throw ApiError.unprocessable("limits." + field + " is not a limit (limits: max_subscriptions, "
              + "ingest_rate_per_s)");
        }
      }
      setMax = limits.containsKey("max_subscriptions");
      max = whole(limits, "max_subscriptions", 0, 1_000_000);
      setRate = limits.containsKey("ingest_rate_per_s");
      rate = whole(limits, "ingest_rate_per_s", 1, 1_000_000);
    }
    return new TenantRepository.Fields(uid, name, metadata, setMax, max, setRate, rate);
  }

  private static String text(JsonObject body, String field, int max) {
    if (!(body.getValue(field) instanceof String s)) {
      throw ApiError.unprocessable(field + " must be a string");
    }
    if (s.length() > max) {
      throw ApiError.unprocessable(field + " must be at most " + max + " characters");
    }
    return Json.storable(field, s, 422);
  }

  private static Integer whole(JsonObject limits, String field, int min, int max) {
    Object value = limits.getValue(field);
    if (value == null) {
      return null;
    }
    if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && n.doubleValue() >= min
        && n.doubleValue() <= max) {
      return n.intValue();
    }
    throw ApiError.unprocessable("limits." + field + " must be a whole number from " + min + " to " + max + ", or null");
  }
}
