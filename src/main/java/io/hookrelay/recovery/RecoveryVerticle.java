package io.hookrelay.recovery;

import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.queue.DeliveryQueue;
import io.hookrelay.store.Database;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Redis;
import io.vertx.redis.client.Request;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes Redis disposable: puts back on the queue whatever PostgreSQL says is due but Redis does not hold. Two
 * cases: Redis lost its data (the epoch marker is gone), and every due delivery is enqueued again, page by page;
 * or a single enqueue was missed (Redis failed right after a commit), found by a periodic sweep of deliveries that
 * stayed due past a grace period, or whose worker's lease lapsed.
 */
public final class RecoveryVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(RecoveryVerticle.class);
  private static final int PAGE = 1000;
  private static final long SWEEP_ONLY_BELOW_BACKLOG = 10_000;
  private static final String DUE = "SELECT id, subscription_id, status, next_attempt_at FROM deliveries "
      + "WHERE ((status IN ('pending', 'retrying') AND next_attempt_at < now() - make_interval(secs => $1)) "
      + "OR (status = 'delivering' AND lease_until < now())) AND id > $2 ORDER BY id LIMIT $3";
  private static final String ALL_OPEN = "SELECT id, subscription_id, status, next_attempt_at FROM deliveries "
      + "WHERE status IN ('pending', 'retrying', 'delivering') AND id > $1 ORDER BY id LIMIT $2";

  private final HookrelayConfig config;
  private Pool pool;
  private Redis redis;
  private DeliveryQueue queue;
  private long timer;
  private boolean running;

  public RecoveryVerticle(HookrelayConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    pool = Database.pool(vertx, config.databaseUrl(), config.databasePoolSize());
    redis = DeliveryQueue.client(vertx, config.redisUrl(), 2);
    queue = new DeliveryQueue(redis, config.redisKeyPrefix());
    timer = vertx.setPeriodic(config.recoveryInterval().toMillis(), id -> run());
    vertx.runOnContext(v -> run());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    redis.close();
    return pool.close();
  }

  /** One pass; answers how many deliveries it enqueued. Public for tests that cannot wait for the timer. */
  public Future<Integer> run() {
    if (running) {
      return Future.succeededFuture(0);
    }
    running = true;
    return redis.send(Request.cmd(Command.EXISTS).arg(queue.key("epoch")))
        .compose(exists -> exists.toInteger() == 1 ? sweep() : rebuild())
        .onFailure(err -> log.warn("recovery pass failed: {}", err.getMessage()))
        .eventually(() -> {
          running = false;
          return Future.succeededFuture();
        });
  }

  private Future<Integer> sweep() {
    return queue.streamLength().compose(backlog -> {
      if (backlog > SWEEP_ONLY_BELOW_BACKLOG) {
        return Future.succeededFuture(0); // a busy queue is still draining: those entries are not lost
      }
      double graceSeconds = config.recoveryGrace().toMillis() / 1000.0;
      return page(last -> pool.preparedQuery(DUE).execute(Tuple.of(graceSeconds, last, PAGE)), new UUID(0, 0), 0)
          .onSuccess(n -> {
            if (n > 0) {
              log.info("recovery: re-enqueued {} deliveries that were due but not queued", n);
            }
          });
    });
  }

  /** Redis lost its data: everything open goes back, under a lock so that one node does it. */
  private Future<Integer> rebuild() {
    Request lock = Request.cmd(Command.SET).arg(queue.key("recovery-lock")).arg("1").arg("NX").arg("PX")
        .arg(Math.max(60_000, config.recoveryInterval().toMillis() * 3));
    return redis.send(lock).compose(acquired -> {
      if (acquired == null) {
        return Future.succeededFuture(0);
      }
      log.info("recovery: redis holds no queue state (first start, restart without persistence or flush); "
          + "rebuilding it from PostgreSQL");
      return queue.ensureGroup()
          .compose(v -> page(last -> pool.preparedQuery(ALL_OPEN).execute(Tuple.of(last, PAGE)), new UUID(0, 0), 0))
          .compose(n -> redis.send(Request.cmd(Command.SET).arg(queue.key("epoch")).arg(System.currentTimeMillis()))
              .map(n))
          .onSuccess(n -> log.info("recovery: queue rebuilt with {} open deliveries", n));
    });
  }

  private Future<Integer> page(java.util.function.Function<UUID, Future<io.vertx.sqlclient.RowSet<Row>>> query,
      UUID after, int total) {
    return query.apply(after).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(total);
      }
      List<UUID> now = new ArrayList<>();
      List<UUID> nowSubs = new ArrayList<>();
      List<UUID> later = new ArrayList<>();
      List<UUID> laterSubs = new ArrayList<>();
      List<Long> laterDue = new ArrayList<>();
      long nowMs = System.currentTimeMillis();
      UUID last = after;
      for (Row r : rows) {
        last = r.getUUID("id");
        OffsetDateTime next = r.getOffsetDateTime("next_attempt_at");
        long due = next == null ? nowMs : next.toInstant().toEpochMilli();
        if ("retrying".equals(r.getString("status")) && due > nowMs) {
          later.add(last);
          laterSubs.add(r.getUUID("subscription_id"));
          laterDue.add(due);
        } else {
          now.add(last);
          nowSubs.add(r.getUUID("subscription_id"));
        }
      }
      UUID next = last;
      int size = rows.size();
      return Future.all(queue.enqueue(now, nowSubs), queue.scheduleRetries(later, laterSubs, laterDue))
          .compose(v -> size < PAGE ? Future.succeededFuture(total + size) : page(query, next, total + size));
    });
  }
}
