package io.hookrelay.tenant;

import io.hookrelay.store.AuditRepository;
import io.hookrelay.store.Ids;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The tenants table. Every read takes a {@link Scope}: a tenant principal sees its own tenant only. Tenants being
 * deleted are invisible here: to the API they are gone at once.
 */
public final class TenantRepository {
  private static final String SCOPED = " AND ($1::uuid IS NULL OR id = $1)";

  private final Pool pool;
  private final AuditRepository audit = new AuditRepository();

  public TenantRepository(Pool pool) {
    this.pool = pool;
  }

  /** What a create, a PATCH or a PUT sets; a null field is left as it is unless its {@code set…} flag says so. */
  public record Fields(String uid, String name, JsonObject metadata, boolean setMaxSubscriptions,
      Integer maxSubscriptions, boolean setIngestRate, Integer ingestRatePerS) {}

  /** The uid is already taken (by an active tenant, or one being deleted). */
  public static final class UidTaken extends RuntimeException {
    public UidTaken() {
      super("uid taken", null, false, false);
    }
  }

  public Future<Tenant> create(Scope scope, Fields f) {
    UUID id = Ids.newId();
    return pool.withTransaction(tx -> tx.preparedQuery("INSERT INTO tenants (id, uid, name, metadata, "
                + "max_subscriptions, ingest_rate_per_s) VALUES ($1, $2, $3, $4, $5, $6) RETURNING " + Tenant.COLUMNS)
            .execute(Tuple.of(id, f.uid(), f.name(), f.metadata() == null ? new JsonObject() : f.metadata(),
                f.maxSubscriptions(), f.ingestRatePerS()))
            .compose(rows -> audit.record(tx, scope, id, "tenant_created", null, null, null,
                new JsonObject().put("uid", f.uid())).map(v -> Tenant.from(rows.iterator().next()))))
        .recover(TenantRepository::uidTaken);
  }

  /**
   * Creates the tenant with this uid, or updates it: a platform syncs its customers with it. Answers the tenant and
   * whether it was created; fails with {@link UidTaken} when the uid belongs to a tenant being deleted.
   */
  public Future<Upserted> upsert(Scope scope, Fields f) {
    UUID id = Ids.newId();
    String sql = "INSERT INTO tenants (id, uid, name, metadata, max_subscriptions, ingest_rate_per_s) "
        + "VALUES ($1, $2, COALESCE($3, $2), COALESCE($4, '{}'::jsonb), $6, $8) ON CONFLICT (uid) DO UPDATE SET "
        + "name = COALESCE($3, tenants.name), metadata = COALESCE($4, tenants.metadata), "
        + "max_subscriptions = CASE WHEN $5 THEN $6 ELSE tenants.max_subscriptions END, "
        + "ingest_rate_per_s = CASE WHEN $7 THEN $8 ELSE tenants.ingest_rate_per_s END, updated_at = now() "
        + "WHERE tenants.status = 'active' RETURNING " + Tenant.COLUMNS + ", (xmax = 0) AS inserted";
    Tuple args = Tuple.tuple().addUUID(id).addString(f.uid()).addString(f.name()).addValue(f.metadata())
        .addBoolean(f.setMaxSubscriptions()).addInteger(f.maxSubscriptions()).addBoolean(f.setIngestRate())
        .addInteger(f.ingestRatePerS());
    return pool.withTransaction(tx -> tx.preparedQuery(sql).execute(args).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new UidTaken());
      }
      Row r = rows.iterator().next();
      Tenant t = Tenant.from(r);
      boolean inserted = r.getBoolean("inserted");
      return audit.record(tx, scope, t.id(), inserted ? "tenant_created" : "tenant_updated", null, null, null,
          new JsonObject().put("uid", t.uid())).map(new Upserted(t, inserted));
    }));
  }

  public record Upserted(Tenant tenant, boolean created) {}

  /** Active tenants in creation order, as far as the scope reaches. */
  public Future<List<Tenant>> list(Scope scope, int skip, int limit) {
    return pool.preparedQuery("SELECT " + Tenant.COLUMNS + " FROM tenants WHERE status = 'active'" + SCOPED
            + " ORDER BY created_at, id OFFSET $2 LIMIT $3")
        .execute(Tuple.of(scope.filter(), skip, limit))
        .map(rows -> {
          List<Tenant> out = new ArrayList<>();
          rows.forEach(r -> out.add(Tenant.from(r)));
          return out;
        });
  }

  /** The active tenant a path names by id or uid (the id wins when both match), within the scope; null if none. */
  public Future<Tenant> find(Scope scope, String ref) {
    UUID id = Ids.parse(ref);
    return pool.preparedQuery("SELECT " + Tenant.COLUMNS + " FROM tenants WHERE status = 'active'" + SCOPED
            + " AND (id = $2 OR uid = $3) ORDER BY (id = $2) DESC NULLS LAST LIMIT 1")
        .execute(Tuple.of(scope.filter(), id, ref))
        .map(TenantRepository::one);
  }

  public Future<Tenant> update(Scope scope, UUID id, Fields f) {
    String sql = "UPDATE tenants SET uid = COALESCE($2, uid), name = COALESCE($3, name), "
        + "metadata = COALESCE($4, metadata), "
        + "max_subscriptions = CASE WHEN $5 THEN $6 ELSE max_subscriptions END, "
        + "ingest_rate_per_s = CASE WHEN $7 THEN $8 ELSE ingest_rate_per_s END, updated_at = now() "
        + "WHERE status = 'active' AND id = $9 AND ($1::uuid IS NULL OR id = $1) RETURNING " + Tenant.COLUMNS;
    Tuple args = Tuple.tuple().addUUID(scope.filter()).addString(f.uid()).addString(f.name()).addValue(f.metadata())
        .addBoolean(f.setMaxSubscriptions()).addInteger(f.maxSubscriptions()).addBoolean(f.setIngestRate())
        .addInteger(f.ingestRatePerS()).addUUID(id);
    return pool.withTransaction(tx -> tx.preparedQuery(sql).execute(args).compose(rows -> {
      Tenant t = one(rows);
      return t == null ? Future.succeededFuture((Tenant) null)
          : audit.record(tx, scope, id, "tenant_updated", null, null, null, new JsonObject().put("uid", t.uid()))
              .map(t);
    })).recover(TenantRepository::uidTaken);
  }

  /**
   * Marks the tenant deleting: from this commit its tokens are refused, its routes answer 404 and the delivery path
   * skips its webhooks; the purge removes its rows afterwards. True when this call marked it.
   */
  public Future<Boolean> markDeleting(Scope scope, UUID id) {
    return pool.withTransaction(tx -> tx.preparedQuery("UPDATE tenants SET status = 'deleting', updated_at = now() "
            + "WHERE status = 'active' AND id = $2 AND ($1::uuid IS NULL OR id = $1) RETURNING uid")
        .execute(Tuple.of(scope.filter(), id))
        .compose(rows -> rows.size() == 0 ? Future.succeededFuture(false)
            : audit.record(tx, scope, id, "tenant_deleted", null, null, null,
                new JsonObject().put("uid", rows.iterator().next().getString(0))).map(true)));
  }

  private static Tenant one(RowSet<Row> rows) {
    var it = rows.iterator();
    return it.hasNext() ? Tenant.from(it.next()) : null;
  }

  private static <T> Future<T> uidTaken(Throwable err) {
    return Future.failedFuture(err instanceof PgException pg && "23505".equals(pg.getSqlState()) ? new UidTaken() : err);
  }
}
