package io.hookrelay.api;

import io.hookrelay.tenant.Principal;
import io.hookrelay.tenant.Scope;
import io.hookrelay.tenant.Tenant;
import io.vertx.ext.web.RoutingContext;

/**
 * Who is calling and what they reach, as kept on the routing context: authentication sets the principal and its
 * unscoped {@link Scope}; a {@code /tenants/{tenant}/…} route narrows the scope to that tenant. Handlers read the
 * scope from here and hand it to the repositories; none builds one itself.
 */
final class Access {
  private static final String PRINCIPAL = "hookrelay.principal";
  private static final String SCOPE = "hookrelay.scope";
  private static final String TENANT = "hookrelay.tenant";

  private Access() {}

  static void authenticated(RoutingContext ctx, Principal principal) {
    ctx.put(PRINCIPAL, principal);
    ctx.put(SCOPE, Scope.unscoped(principal));
  }

  /** The route names a tenant the principal reaches: the scope narrows to it. */
  static void narrow(RoutingContext ctx, Tenant tenant) {
    ctx.put(TENANT, tenant);
    ctx.put(SCOPE, Scope.of(principal(ctx), tenant.id()));
  }

  static Principal principal(RoutingContext ctx) {
    Principal p = ctx.get(PRINCIPAL);
    if (p == null) {
      throw new IllegalStateException("no principal on " + ctx.request().path() + ": mounted ahead of authentication");
    }
    return p;
  }

  static Scope scope(RoutingContext ctx) {
    Scope s = ctx.get(SCOPE);
    if (s == null) {
      throw new IllegalStateException("no scope on " + ctx.request().path() + ": mounted ahead of authentication");
    }
    return s;
  }

  /** The tenant a scoped route named, or null on an unscoped route. */
  static Tenant tenant(RoutingContext ctx) {
    return ctx.get(TENANT);
  }

  /** Admin-only routes: a tenant's credential gets 403 (its own tenant's routes are elsewhere). */
  static void requireAdmin(RoutingContext ctx) {
    if (!principal(ctx).reachesEveryTenant()) {
      throw new ApiError(403, "forbidden", "this route needs an admin API key; a tenant token reaches its own "
          + "tenant's routes only");
    }
  }
}
