package io.hookrelay.api;

import io.hookrelay.store.Times;
import io.hookrelay.tenant.Scope;
import io.hookrelay.tenant.TenantCache;
import io.hookrelay.tenant.TokenRepository;
import io.hookrelay.tenant.Tokens;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.StaticHandler;
import java.time.Duration;
import java.time.OffsetDateTime;

/**
 * The consumer portal's server side: {@code POST /portal/session} spends a portal link's token (sent in the JSON
 * body, never in a URL) for a session token scoped to the link's tenant, usable as a Bearer credential on that
 * tenant's routes; and the portal's static files under {@code /portal}, with framing allowed only to the configured
 * ancestors (none by default).
 */
final class PortalRoutes {
  /** How long a portal session lasts: a working day, after which the platform hands out a new link. */
  static final Duration SESSION_TTL = Duration.ofHours(8);

  private final TokenRepository tokens;
  private final TenantCache tenants;
  private final String frameAncestors;

  /** @param frameAncestors CSP frame-ancestors sources (space-separated); empty: no framing at all */
  PortalRoutes(TokenRepository tokens, TenantCache tenants, String frameAncestors) {
    this.tokens = tokens;
    this.tenants = tenants;
    this.frameAncestors = frameAncestors.trim();
  }

  /** No key: the link's token is the credential. */
  void mountPublic(Router router) {
    router.route("/portal/*").handler(this::framing);
    router.post("/portal/session").handler(this::session);
    router.get("/portal/*").handler(StaticHandler.create("webroot/portal").setCachingEnabled(false));
    router.get("/portal/*").handler(ctx -> ctx.fail(404));
  }

  /** Content-Security-Policy frame-ancestors on every portal answer; X-Frame-Options DENY when none may frame. */
  private void framing(RoutingContext ctx) {
    ctx.response().putHeader("content-security-policy", "frame-ancestors "
        + (frameAncestors.isEmpty() ? "'none'" : frameAncestors));
    if (frameAncestors.isEmpty()) {
      ctx.response().putHeader("x-frame-options", "DENY");
    }
    ctx.response().putHeader("referrer-policy", "no-referrer");
    // The static handler's own redirect of /portal to /portal/ drops the query, and with it the platform's
    // branding (?name=…&color=…); the browser keeps the #token fragment across the redirect by itself.
    if (ctx.request().method() == HttpMethod.GET && ctx.request().path().equals("/portal")) {
      String query = ctx.request().query();
      ctx.response().setStatusCode(302).putHeader("location", "/portal/" + (query == null ? "" : "?" + query)).end();
      return;
    }
    ctx.next();
  }

  private void session(RoutingContext ctx) {
    JsonObject body = Json.object(ctx);
    for (String field : body.fieldNames()) {
      if (!field.equals("token")) {
        throw ApiError.unprocessable(field + " is not a field of a portal session request (fields: token)");
      }
    }
    if (!(body.getValue("token") instanceof String link) || !link.startsWith(Tokens.PORTAL_LINK)
        || link.length() > 128) {
      throw ApiError.unprocessable("token is required: the hrp_… token from the portal link's #token= fragment");
    }
    OffsetDateTime expiresAt = Times.now().plus(SESSION_TTL);
    tokens.spendPortalLink(link).compose(tenantId -> tenantId == null ? Future.succeededFuture((JsonObject) null)
        : tenants.get(tenantId).compose(t -> t == null ? Future.succeededFuture((JsonObject) null)
            : tokens.create(Scope.of(io.hookrelay.tenant.Principal.SYSTEM, tenantId),
                    TokenRepository.PORTAL_SESSION, "portal session", false, expiresAt)
                .map(created -> created == null ? null : new JsonObject()
                    .put("session_token", created.secret())
                    .put("session_id", created.token().getString("id"))
                    .put("expires_at", Times.iso(expiresAt))
                    .put("tenant", t.toJson()))))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ApiError.store(ar.cause()));
          } else if (ar.result() == null) {
            ctx.response().putHeader("www-authenticate", "Bearer");
            Errors.send(ctx, 401, "unauthorized", "the portal link is invalid, expired or already used: ask for a "
                + "new one");
          } else {
            ctx.response().putHeader("cache-control", "no-store");
            Json.send(ctx, 201, ar.result());
          }
        });
  }
}
