package io.hookrelay.tenant;

import io.hookrelay.store.AuditRepository;
import io.hookrelay.store.Ids;
import io.hookrelay.store.Times;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.util.UUID;

/**
 * tenant_tokens: API tokens, portal links and portal sessions. Only digests are stored; a presented token is found
 * by its digest and the digests are compared again in constant time. Tokens of a tenant being deleted, revoked or
 * expired ones find nothing.
 */
public final class TokenRepository {
  public static final String API = "api";
  public static final String PORTAL_LINK = "portal_link";
  public static final String PORTAL_SESSION = "portal_session";
  private static final String ACTIVE_TENANT = "tenant_id IN (SELECT id FROM tenants WHERE status = 'active' "
      + "AND ($1::uuid IS NULL OR id = $1))";

  private final Pool pool;
  private final AuditRepository audit = new AuditRepository();

  public TokenRepository(Pool pool) {
    this.pool = pool;
  }

  /** A token as it was created: its row, and the secret, which is never shown again. */
  public record Created(JsonObject token, String secret) {}

  /** Creates a credential of this kind for the scope's tenant; the secret is in the answer and nowhere else. */
  public Future<Created> create(Scope scope, String kind, String description, boolean readOnly,
      OffsetDateTime expiresAt) {
    String prefix = switch (kind) {
      case API -> Tokens.API;
      case PORTAL_LINK -> Tokens.PORTAL_LINK;
      default -> Tokens.PORTAL_SESSION;
    };
    String secret = Tokens.generate(prefix);
    UUID id = Ids.newId();
    UUID tenant = scope.home();
    return pool.withTransaction(tx -> tx.preparedQuery("INSERT INTO tenant_tokens (id, tenant_id, kind, hash, "
                + "description, read_only, expires_at) SELECT $2, $3, $4, $5, $6, $7, $8 FROM tenants "
                + "WHERE id = $3 AND status = 'active' AND ($1::uuid IS NULL OR id = $1) "
                + "RETURNING id, tenant_id, kind, description, read_only, expires_at, revoked_at, created_at")
            .execute(Tuple.tuple().addUUID(scope.filter()).addUUID(id).addUUID(tenant).addString(kind)
                .addBuffer(Buffer.buffer(Tokens.digest(secret))).addString(description).addBoolean(readOnly)
                .addOffsetDateTime(expiresAt))
            .compose(rows -> {
              if (rows.size() == 0) {
                return Future.succeededFuture((Created) null);
              }
              JsonObject token = json(rows.iterator().next());
              // Portal sessions come and go with every visit; links and API tokens are worth a row.
              Future<Void> audited = PORTAL_SESSION.equals(kind) ? Future.succeededFuture()
                  : audit.record(tx, scope, tenant, kind.equals(API) ? "token_created" : "portal_link_created",
                      null, null, null, new JsonObject().put("token_id", id.toString()).put("read_only", readOnly));
              return audited.map(new Created(token, secret));
            }));
  }

  /** The scope's tenant's API tokens (never their secrets), newest first. */
  public Future<JsonArray> list(Scope scope) {
    return pool.preparedQuery("SELECT id, tenant_id, kind, description, read_only, expires_at, revoked_at, created_at "
            + "FROM tenant_tokens WHERE kind = 'api' AND tenant_id = $2 AND " + ACTIVE_TENANT
            + " ORDER BY created_at DESC, id DESC")
        .execute(Tuple.of(scope.filter(), scope.home()))
        .map(rows -> {
          JsonArray out = new JsonArray();
          rows.forEach(r -> out.add(json(r)));
          return out;
        });
  }

  /** Revokes an API token of the scope's tenant; false when it has none with this id. */
  public Future<Boolean> revoke(Scope scope, UUID id) {
    return pool.withTransaction(tx -> tx.preparedQuery("UPDATE tenant_tokens SET revoked_at = COALESCE(revoked_at, "
                + "now()) WHERE id = $2 AND tenant_id = $3 AND kind = 'api' AND " + ACTIVE_TENANT + " RETURNING id")
            .execute(Tuple.of(scope.filter(), id, scope.home()))
            .compose(rows -> rows.size() == 0 ? Future.succeededFuture(false)
                : audit.record(tx, scope, scope.home(), "token_revoked", null, null, null,
                    new JsonObject().put("token_id", id.toString())).map(true)));
  }

  /**
   * The principal a bearer credential (an API token or a portal session) stands for, or null when it is unknown,
   * revoked, expired, or its tenant is being deleted; with when the answer stops being true (its expiry).
   */
  public Future<Found> authenticate(String presented) {
    byte[] digest = Tokens.digest(presented);
    return pool.preparedQuery("SELECT id, tenant_id, kind, hash, read_only, expires_at FROM tenant_tokens "
            + "WHERE hash = $2 AND kind IN ('api', 'portal_session') AND revoked_at IS NULL "
            + "AND (expires_at IS NULL OR expires_at > now()) AND " + ACTIVE_TENANT)
        .execute(Tuple.tuple().addUUID(null).addBuffer(Buffer.buffer(digest)))
        .map(rows -> {
          if (rows.size() == 0) {
            return null;
          }
          Row r = rows.iterator().next();
          if (!MessageDigest.isEqual(r.getBuffer("hash").getBytes(), digest)) {
            return null;
          }
          UUID id = r.getUUID("id");
          UUID tenant = r.getUUID("tenant_id");
          Principal p = PORTAL_SESSION.equals(r.getString("kind"))
              ? Principal.portal(tenant, id)
              : Principal.tenant(tenant, r.getBoolean("read_only"), id);
          return new Found(p, r.getOffsetDateTime("expires_at"));
        });
  }

  public record Found(Principal principal, OffsetDateTime expiresAt) {}

  /**
   * Spends a portal link: a valid, unexpired, unused link of an active tenant is marked used and its tenant id
   * answered; anything else answers null. A link works once.
   */
  public Future<UUID> spendPortalLink(String presented) {
    byte[] digest = Tokens.digest(presented);
    return pool.preparedQuery("UPDATE tenant_tokens SET revoked_at = now() WHERE hash = $2 AND kind = 'portal_link' "
            + "AND revoked_at IS NULL AND expires_at > now() AND " + ACTIVE_TENANT + " RETURNING tenant_id, hash")
        .execute(Tuple.tuple().addUUID(null).addBuffer(Buffer.buffer(digest)))
        .map(rows -> {
          if (rows.size() == 0) {
            return null;
          }
          Row r = rows.iterator().next();
          return MessageDigest.isEqual(r.getBuffer("hash").getBytes(), digest) ? r.getUUID("tenant_id") : null;
        });
  }

  private static JsonObject json(Row r) {
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("tenant_id", r.getUUID("tenant_id").toString())
        .put("description", r.getString("description"))
        .put("read_only", r.getBoolean("read_only"))
        .put("expires_at", Times.iso(r.getOffsetDateTime("expires_at")))
        .put("revoked_at", Times.iso(r.getOffsetDateTime("revoked_at")))
        .put("created_at", Times.iso(r.getOffsetDateTime("created_at")));
  }
}
