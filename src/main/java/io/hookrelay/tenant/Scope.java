package io.hookrelay.tenant;

import java.util.UUID;

/**
 * Which tenant's rows a repository call may read or write, and on whose behalf: the one parameter every query on
 * tenant data requires, so that no route adds (or forgets) the filter by hand. {@code tenantId} null means every
 * tenant (an admin key on an unscoped route, or the system); {@code home} is the tenant that new rows go to.
 */
public record Scope(Principal principal, UUID tenantId, UUID home) {
  /** The tenant rows from before tenancy belong to, and that unscoped routes create in for admin keys. */
  public static final UUID DEFAULT_TENANT = UUID.fromString("00000000-0000-0000-0000-000000000001");

  /** The delivery path, retention and the purge: every tenant, acting as the system. */
  public static final Scope SYSTEM = new Scope(Principal.SYSTEM, null, DEFAULT_TENANT);

  /** What a principal reaches on the unscoped routes: every tenant for an admin key, else its own tenant only. */
  public static Scope unscoped(Principal principal) {
    return principal.reachesEveryTenant()
        ? new Scope(principal, null, DEFAULT_TENANT)
        : new Scope(principal, principal.tenantId(), principal.tenantId());
  }

  /** One tenant's rows, for a principal that reaches it (checked by whoever resolved the tenant). */
  public static Scope of(Principal principal, UUID tenantId) {
    if (!principal.reaches(tenantId)) {
      throw new IllegalArgumentException("principal " + principal.actor() + " does not reach tenant " + tenantId);
    }
    return new Scope(principal, tenantId, tenantId);
  }

  /** The tenant id as a query parameter: null for every tenant ({@code $n::uuid IS NULL OR tenant_id = $n}). */
  public UUID filter() {
    return tenantId;
  }

  public boolean everyTenant() {
    return tenantId == null;
  }

  public String actor() {
    return principal.actor();
  }
}
