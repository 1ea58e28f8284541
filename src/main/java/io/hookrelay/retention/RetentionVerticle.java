package io.hookrelay.retention;

import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.queue.DeliveryQueue;
import io.hookrelay.store.Database;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes what is older than the retention period, in bounded batches on a timer: attempt rows, audit rows, and
 * messages whose deliveries are all finished (their deliveries, and those deliveries' attempts, go with them). A
 * delivery still pending, retrying, held or being delivered is never deleted. One node at a time sweeps, under a
 * Redis lock with an expiry.
 */
public final class RetentionVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(RetentionVerticle.class);
  private static final String DELETE_ATTEMPTS = "DELETE FROM attempts WHERE id IN (SELECT id FROM attempts "
      + "WHERE started_at < now() - make_interval(hours => $1) LIMIT $2)";
  private static final String DELETE_AUDIT = "DELETE FROM audit_log WHERE id IN (SELECT id FROM audit_log "
      + "WHERE at < now() - make_interval(hours => $1) LIMIT $2)";
  // A message goes with its deliveries and their attempts (no foreign key cascades them: V12).
  private static final String DELETE_MESSAGES = "WITH m AS (SELECT m.id FROM messages m "
      + "WHERE m.created_at < now() - make_interval(hours => $1) AND NOT EXISTS (SELECT 1 FROM deliveries d "
      + "WHERE d.message_id = m.id AND d.status NOT IN ('succeeded', 'failed', 'filtered')) LIMIT $2), "
      + "d AS (DELETE FROM deliveries WHERE message_id IN (SELECT id FROM m) RETURNING id), "
      + "a AS (DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM d)) "
      + "DELETE FROM messages WHERE id IN (SELECT id FROM m)";

  private final HookrelayConfig config;
  private final String owner = UUID.randomUUID().toString();
  private Pool pool;
  private Redis redis;
  private DeliveryQueue queue;
  private long timer;
  private boolean sweeping;

  public RetentionVerticle(HookrelayConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    pool = Database.pool(vertx, config.databaseUrl(), config.databasePoolSize());
    redis = DeliveryQueue.client(vertx, config.redisUrl(), 1);
    queue = new DeliveryQueue(redis, config.redisKeyPrefix());
    timer = vertx.setPeriodic(config.retentionInterval().toMillis(), id -> sweep());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    redis.close();
    return pool.close();
  }

  /** One sweep if this node holds the lock; answers the rows deleted (0 when another node sweeps). */
  public Future<Long> sweep() {
    if (sweeping) {
      return Future.succeededFuture(0L);
    }
    sweeping = true;
    long lockMs = Math.max(config.retentionInterval().toMillis(), 60_000);
    return redis.send(Request.cmd(Command.SET).arg(queue.key("retention-lock")).arg(owner).arg("NX").arg("PX").arg(lockMs))
        .compose(acquired -> {
          if (acquired == null) {
            return Future.succeededFuture(0L);
          }
          return drain(DELETE_ATTEMPTS, 0).compose(attempts -> drain(DELETE_MESSAGES, 0)
              .compose(messages -> drain(DELETE_AUDIT, 0).map(audit -> {
                long total = attempts + messages + audit;
                if (total > 0) {
                  log.info("retention: deleted {} attempts, {} finished messages (with their deliveries), {} audit rows "
                      + "older than {} h", attempts, messages, audit, config.retentionHours());
                }
                return total;
              })));
        })
        .onFailure(err -> log.warn("retention sweep failed: {}", err.getMessage()))
        .eventually(() -> {
          sweeping = false;
          return Future.succeededFuture();
        });
  }

  /** Deletes batch after batch until a batch comes back short, pausing between batches to leave room for traffic. */
  private Future<Long> drain(String sql, long deleted) {
    return pool.preparedQuery(sql).execute(Tuple.of(config.retentionHours(), config.retentionBatchSize()))
        .compose(rows -> {
          long total = deleted + rows.rowCount();
          if (rows.rowCount() < config.retentionBatchSize()) {
            return Future.succeededFuture(total);
          }
          if (total % (config.retentionBatchSize() * 10L) == 0) {
            log.info("retention: {} rows deleted so far", total);
          }
          Promise<Long> next = Promise.promise();
          vertx.setTimer(10, id -> drain(sql, total).onComplete(next));
          return next.future();
        });
  }
}
