package io.hookrelay.tenant;

import io.hookrelay.bus.Addresses;
import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.metrics.Metrics;
import io.hookrelay.store.Database;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes the rows of tenants marked deleting, in bounded batches with pauses between them, so that removing a big
 * tenant never holds the API or a table lock for long: attempts, deliveries with their messages, audit rows, tokens,
 * subscriptions, the messages no subscription matched, then the tenant itself. Runs on retention nodes, when a tenant is deleted and on a timer (a purge
 * cut short by a restart resumes). Progress goes to the log and to hookrelay_tenant_rows_deleted_total.
 */
public final class TenantPurgeVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(TenantPurgeVerticle.class);
  static final long INTERVAL_MS = 5_000;
  private static final long PAUSE_MS = 10;

  /**
   * Table by table, children first; each statement deletes at most $2 rows of tenant $1. Deliveries are found through
   * the tenant's subscriptions, and each batch takes its messages along; no index of messages or deliveries leads
   * with the tenant (V13), so what is left of the messages (those no subscription matched) is swept block by block.
   */
  private static final List<Step> STEPS = List.of(
      new Step("attempts", "DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE subscription_id IN "
          + "(SELECT id FROM subscriptions WHERE tenant_id = $1) LIMIT $2)", false),
      new Step("deliveries_open", "DELETE FROM deliveries_open WHERE delivery_id IN (SELECT o.delivery_id "
          + "FROM deliveries_open o JOIN deliveries d ON d.id = o.delivery_id WHERE d.subscription_id IN "
          + "(SELECT id FROM subscriptions WHERE tenant_id = $1) LIMIT $2)", false),
      // A message's deliveries all belong to its tenant; one whose other deliveries are in the next batch goes first.
      new Step("deliveries", "WITH d AS (DELETE FROM deliveries WHERE id IN (SELECT id FROM deliveries "
          + "WHERE subscription_id IN (SELECT id FROM subscriptions WHERE tenant_id = $1) LIMIT $2) "
          + "RETURNING message_id), m AS (DELETE FROM messages WHERE id IN (SELECT message_id FROM d) "
          + "AND tenant_id = $1 RETURNING id) SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM m)", true),
      // The record that the tenant was deleted, and by whom, stays (until retention ages it out).
      new Step("audit_log", "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log WHERE tenant_id = $1 "
          + "AND action <> 'tenant_deleted' LIMIT $2)", false),
      new Step("tenant_tokens", "DELETE FROM tenant_tokens WHERE id IN (SELECT id FROM tenant_tokens "
          + "WHERE tenant_id = $1 LIMIT $2)", false),
      new Step("subscriptions", "DELETE FROM subscriptions WHERE id IN (SELECT id FROM subscriptions "
          + "WHERE tenant_id = $1 LIMIT $2)", false));
  /** The sweep of the tenant's remaining messages: blocks $2 (inclusive) to $3 (exclusive), a TID range scan. */
  private static final String SWEEP_MESSAGES = "DELETE FROM messages WHERE ctid >= $2::text::tid "
      + "AND ctid < $3::text::tid AND tenant_id = $1";
  /** Blocks of messages per sweep statement: 16 MiB read, then a pause. */
  static final int SWEEP_BLOCKS = 2_048;
  /** Past the last block any table can have: the last range of a sweep ends here. */
  private static final long NO_BLOCK = 0xFFFF_FFFFL;

  /**
   * One table's batch statement; {@code withMessages}: it answers one row, the rows it deleted and the messages it
   * deleted along, instead of a row count.
   */
  private record Step(String table, String sql, boolean withMessages) {}

  private final HookrelayConfig config;
  private final Metrics metrics;
  private Pool pool;
  private long timer;
  private boolean purging;
  private boolean again;

  public TenantPurgeVerticle(HookrelayConfig config, Metrics metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    pool = Database.pool(vertx, config.databaseUrl(), config.databasePoolSize());
    timer = vertx.setPeriodic(INTERVAL_MS, id -> purge());
    var consumer = vertx.eventBus().consumer(Addresses.TENANTS_CHANGED, m -> purge());
    vertx.runOnContext(v -> purge());
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    return pool.close();
  }

  /** Purges every tenant marked deleting, one after another; answers the rows deleted. */
  public Future<Long> purge() {
    if (purging) {
      again = true;
      return Future.succeededFuture(0L);
    }
    purging = true;
    return pool.preparedQuery("SELECT id, uid FROM tenants WHERE status = 'deleting' ORDER BY updated_at LIMIT 100")
        .execute()
        .compose(rows -> {
          Future<Long> chain = Future.succeededFuture(0L);
          for (var r : rows) {
            UUID id = r.getUUID("id");
            String uid = r.getString("uid");
            chain = chain.compose(total -> purgeTenant(id, uid).map(n -> total + n));
          }
          return chain;
        })
        .onFailure(err -> log.warn("tenant purge failed (it resumes on the next round): {}", err.getMessage()))
        .eventually(() -> {
          purging = false;
          if (again) {
            again = false;
            vertx.runOnContext(v -> purge());
          }
          return Future.succeededFuture();
        });
  }

  private Future<Long> purgeTenant(UUID id, String uid) {
    log.info("tenant purge: deleting the rows of tenant {} ({})", uid, id);
    Future<Long> chain = Future.succeededFuture(0L);
    for (Step step : STEPS) {
      chain = chain.compose(total -> drain(id, uid, step, 0).map(n -> total + n));
    }
    return chain.compose(total -> sweepMessages(id, uid).map(n -> total + n))
        .compose(total -> pool.preparedQuery("DELETE FROM tenants WHERE id = $1 AND status = 'deleting'")
        .execute(Tuple.of(id)).map(rows -> {
          metrics.tenantRowsDeleted("tenants", rows.rowCount());
          log.info("tenant purge: tenant {} ({}) is gone, {} rows deleted", uid, id, total + rows.rowCount());
          return total + rows.rowCount();
        }));
  }

  /** Deletes the tenant's messages left after its deliveries, SWEEP_BLOCKS blocks of the table at a time. */
  private Future<Long> sweepMessages(UUID tenant, String uid) {
    return pool.preparedQuery("SELECT pg_relation_size('messages') / current_setting('block_size')::bigint").execute()
        .compose(rows -> sweepMessages(tenant, uid, 0, rows.iterator().next().getLong(0), 0));
  }

  private Future<Long> sweepMessages(UUID tenant, String uid, long from, long blocks, long deleted) {
    if (from >= blocks) {
      if (deleted > 0) {
        log.info("tenant purge: tenant {}: {} messages rows deleted that no subscription matched", uid, deleted);
      }
      return Future.succeededFuture(deleted);
    }
    long to = from + SWEEP_BLOCKS;
    // The last range is open-ended: rows that went to blocks added since the size was read are swept too.
    long end = to >= blocks ? NO_BLOCK : to;
    Tuple range = Tuple.of(tenant, "(" + from + ",0)", "(" + end + ",0)");
    return pool.preparedQuery(SWEEP_MESSAGES).execute(range).compose(rows -> {
      metrics.tenantRowsDeleted("messages", rows.rowCount());
      Promise<Long> next = Promise.promise();
      vertx.setTimer(PAUSE_MS, t -> sweepMessages(tenant, uid, to, blocks, deleted + rows.rowCount()).onComplete(next));
      return next.future();
    });
  }

  /** Deletes batch after batch of one table until a batch comes back short, pausing between batches. */
  private Future<Long> drain(UUID tenant, String uid, Step step, long deleted) {
    int batch = config.retentionBatchSize();
    String table = step.table();
    return pool.preparedQuery(step.sql()).execute(Tuple.of(tenant, batch)).compose(rows -> {
      long count = rows.rowCount();
      if (step.withMessages()) {
        Row counts = rows.iterator().next();
        count = counts.getLong(0);
        metrics.tenantRowsDeleted("messages", counts.getLong(1));
      }
      long total = deleted + count;
      metrics.tenantRowsDeleted(table, count);
      if (count < batch) {
        if (total > 0) {
          log.info("tenant purge: tenant {}: {} {} rows deleted", uid, total, table);
        }
        return Future.succeededFuture(total);
      }
      if (total % (batch * 10L) == 0) {
        log.info("tenant purge: tenant {}: {} {} rows deleted so far", uid, total, table);
      }
      Promise<Long> next = Promise.promise();
      vertx.setTimer(PAUSE_MS, t -> drain(tenant, uid, step, total).onComplete(next));
      return next.future();
    });
  }
}
