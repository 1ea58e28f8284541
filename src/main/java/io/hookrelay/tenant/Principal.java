package io.hookrelay.tenant;

import java.util.UUID;

/**
 * Who is calling, as authentication established it: an admin key (reaches every tenant), a tenant token or a portal
 * session (one tenant; a token may be read-only), or the system itself (delivery, retention, purge). The audit log
 * names it by {@link #actor()}, which never holds a secret.
 */
public record Principal(Kind kind, UUID tenantId, boolean readOnly, String credentialId) {
  public enum Kind { ADMIN, TENANT, PORTAL, SYSTEM }

  public static final Principal SYSTEM = new Principal(Kind.SYSTEM, null, false, null);

  public static Principal admin(String keyId) {
    return new Principal(Kind.ADMIN, null, false, keyId);
  }

  public static Principal tenant(UUID tenantId, boolean readOnly, UUID tokenId) {
    return new Principal(Kind.TENANT, tenantId, readOnly, tokenId.toString());
  }

  public static Principal portal(UUID tenantId, UUID sessionId) {
    return new Principal(Kind.PORTAL, tenantId, false, sessionId.toString());
  }

  /** Whether this principal reaches every tenant (admin keys, the system). */
  public boolean reachesEveryTenant() {
    return kind == Kind.ADMIN || kind == Kind.SYSTEM;
  }

  /** Whether this principal may act on the tenant: its own, or any for an admin key. */
  public boolean reaches(UUID tenant) {
    return reachesEveryTenant() || tenant.equals(tenantId);
  }

  /** How the audit log names who acted: admin:&lt;key id&gt;, token:&lt;id&gt;, portal:&lt;session id&gt;, system. */
  public String actor() {
    return switch (kind) {
      case ADMIN -> "admin:" + credentialId;
      case TENANT -> "token:" + credentialId;
      case PORTAL -> "portal:" + credentialId;
      case SYSTEM -> "system";
    };
  }
}
