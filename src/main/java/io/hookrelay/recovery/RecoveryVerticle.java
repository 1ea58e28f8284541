package io.hookrelay.recovery;

import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.queue.DeliveryQueue;
import io.hookrelay.queue.QueuePollerVerticle;
import io.hookrelay.store.Database;
import io.hookrelay.store.DeliveryRepository;
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
  /** Entries in the stream, or retries due within a minute, above which the sweep waits for the backlog to go. */
  private static final long BACKLOG = 10_000;
  /** A tenant being deleted has its deliveries skipped, not re-enqueued: the purge takes them. */
  private static final String NOT_DELETING = "tenant_id NOT IN (SELECT id FROM tenants WHERE status = 'deleting')";
  // Deliveries that an earlier one of their ordering key holds back are not due: that one queues them as it ends.
  // Driven from deliveries_open, whose time is at or before the delivery's next attempt (and so its lease's end):
  // the open deliveries whose time has come, not every delivery ever stored. A row whose delivery is gone (its
  // subscription was deleted) comes back with a null subscription and is dropped.
  private static final String DUE = "SELECT o.delivery_id AS id, d.subscription_id, d.status, d.next_attempt_at "
      + "FROM deliveries_open o LEFT JOIN deliveries d ON d.id = o.delivery_id "
      + "WHERE o.due_at < $1 AND o.delivery_id > $2 AND (d.id IS NULL OR (((d.status IN ('pending', 'retrying') "
      + "AND d.next_attempt_at < $1) OR (d.status = 'delivering' AND d.lease_until < now())) AND "
      + DeliveryRepository.NOT_HELD_BACK + " AND " + NOT_DELETING + ")) ORDER BY o.delivery_id LIMIT $3";
  private static final String ALL_OPEN = "SELECT o.delivery_id AS id, d.subscription_id, d.status, "
      + "d.next_attempt_at FROM deliveries_open o LEFT JOIN deliveries d ON d.id = o.delivery_id "
      + "WHERE o.delivery_id > $1 AND (d.id IS NULL OR (d.status IN ('pending', 'retrying', 'delivering') AND "
      + NOT_DELETING + ")) ORDER BY o.delivery_id LIMIT $2";
  private static final String DROP_ORPHANS = "DELETE FROM deliveries_open o WHERE o.delivery_id = ANY($1) "
      + "AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.id = o.delivery_id)";

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

  /**
   * Re-enqueues deliveries that stayed due for a grace period while the consumers had read everything in the
   * stream: had they been in it, they would have been claimed by now. Those waiting in the retry set (deferred by
   * the fairness caps) are skipped. While unread entries remain, or a backlog is going round the retry set, the
   * sweep waits: a delivery's entry may sit behind its due time in the stream (deferred work is appended again when
   * it comes back), and members move between the retry set and the stream while a long sweep pages through, so
   * "due and not seen" does not mean lost; re-sending would only duplicate the backlog (a 500,000-webhook drain once
   * was). A lost enqueue is re-sent once the backlog is worked off.
   */
  private Future<Integer> sweep() {
    return readUpTo().compose(readUpToMs -> {
      if (readUpToMs == null) {
        log.debug("recovery sweep postponed: the delivery stream has unread entries");
        return Future.succeededFuture(0);
      }
      OffsetDateTime cutoff = OffsetDateTime.ofInstant(
          java.time.Instant.ofEpochMilli(readUpToMs - config.recoveryGrace().toMillis()), java.time.ZoneOffset.UTC);
      return page(last -> pool.preparedQuery(DUE).execute(Tuple.of(cutoff, last, PAGE)), new UUID(0, 0), 0, true)
          .onSuccess(n -> {
            if (n > 0) {
              log.info("recovery: re-enqueued {} deliveries that were due but not queued", n);
            }
          });
    });
  }

  /**
   * Now when the consumer group has read every entry of the stream and no backlog is cycling through the retry set;
   * null otherwise.
   */
  private Future<Long> readUpTo() {
    long now = System.currentTimeMillis();
    return redis.batch(List.of(Request.cmd(Command.XINFO).arg("GROUPS").arg(queue.stream()),
            Request.cmd(Command.XINFO).arg("STREAM").arg(queue.stream()),
            Request.cmd(Command.XLEN).arg(queue.stream()),
            Request.cmd(Command.ZCOUNT).arg(queue.key("retry")).arg("-inf").arg(now + 60_000)))
        .map(replies -> {
          if (replies.get(2).toLong() > BACKLOG || replies.get(3).toLong() > BACKLOG) {
            return null;
          }
          String lastDelivered = field(replies.get(0), "last-delivered-id");
          String lastGenerated = null;
          var stream = replies.get(1);
          for (int i = 0; i + 1 < stream.size(); i += 2) {
            if ("last-generated-id".equals(stream.get(i).toString())) {
              lastGenerated = stream.get(i + 1).toString();
            }
          }
          return lastDelivered == null || lastDelivered.equals(lastGenerated) ? (Long) now : null;
        })
        .recover(err -> Future.succeededFuture(now));
  }

  /** A field of our group in an XINFO GROUPS reply. */
  private static String field(io.vertx.redis.client.Response groups, String name) {
    for (var group : groups) {
      String groupName = null;
      String value = null;
      for (int i = 0; i + 1 < group.size(); i += 2) {
        String key = group.get(i).toString();
        if ("name".equals(key)) {
          groupName = group.get(i + 1).toString();
        } else if (name.equals(key)) {
          value = group.get(i + 1).toString();
        }
      }
      if (DeliveryQueue.GROUP.equals(groupName)) {
        return value;
      }
    }
    return null;
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
          .compose(v -> page(last -> pool.preparedQuery(ALL_OPEN).execute(Tuple.of(last, PAGE)), new UUID(0, 0), 0, false))
          .compose(n -> redis.send(Request.cmd(Command.SET).arg(queue.key("epoch")).arg(System.currentTimeMillis()))
              .map(n))
          .onSuccess(n -> log.info("recovery: queue rebuilt with {} open deliveries", n));
    });
  }

  private Future<Integer> page(java.util.function.Function<UUID, Future<io.vertx.sqlclient.RowSet<Row>>> query,
      UUID after, int total, boolean skipRetrySet) {
    return query.apply(after).compose(rowSet -> {
      List<Row> rows = new ArrayList<>(rowSet.size());
      rowSet.forEach(rows::add);
      if (rows.isEmpty()) {
        return Future.succeededFuture(total);
      }
      UUID last = rows.get(rows.size() - 1).getUUID("id");
      boolean more = rows.size() == PAGE;
      List<UUID> orphans = new ArrayList<>();
      rows.removeIf(r -> r.getUUID("subscription_id") == null && orphans.add(r.getUUID("id")));
      Future<?> dropped = orphans.isEmpty() ? Future.succeededFuture()
          : pool.preparedQuery(DROP_ORPHANS).execute(Tuple.of(orphans.toArray(UUID[]::new)));
      return dropped.compose(v -> skipRetrySet ? withoutScheduled(rows) : Future.succeededFuture(rows))
          .compose(this::enqueue)
          .compose(n -> more ? page(query, last, total + n, skipRetrySet) : Future.succeededFuture(total + n));
    });
  }

  /** Due rows go on the stream; retries not yet due go back into the retry set at their time. */
  private Future<Integer> enqueue(List<Row> rows) {
    List<UUID> now = new ArrayList<>();
    List<UUID> nowSubs = new ArrayList<>();
    List<UUID> later = new ArrayList<>();
    List<UUID> laterSubs = new ArrayList<>();
    List<Long> laterDue = new ArrayList<>();
    long nowMs = System.currentTimeMillis();
    for (Row r : rows) {
      OffsetDateTime next = r.getOffsetDateTime("next_attempt_at");
      long due = next == null ? nowMs : next.toInstant().toEpochMilli();
      if ("retrying".equals(r.getString("status")) && due > nowMs) {
        later.add(r.getUUID("id"));
        laterSubs.add(r.getUUID("subscription_id"));
        laterDue.add(due);
      } else {
        now.add(r.getUUID("id"));
        nowSubs.add(r.getUUID("subscription_id"));
      }
    }
    return Future.all(queue.enqueue(now, nowSubs), queue.scheduleRetries(later, laterSubs, laterDue)
            .onSuccess(v -> QueuePollerVerticle.announceRetries(vertx, laterDue)))
        .map(rows.size());
  }

  /** Drops the rows whose delivery waits in the retry set already. */
  private Future<List<Row>> withoutScheduled(List<Row> rows) {
    if (rows.isEmpty()) {
      return Future.succeededFuture(rows);
    }
    Request zmscore = Request.cmd(Command.ZMSCORE).arg(queue.key("retry"));
    rows.forEach(r -> zmscore.arg(r.getUUID("id") + ":" + r.getUUID("subscription_id")));
    return redis.send(zmscore).map(scores -> {
      List<Row> kept = new ArrayList<>();
      for (int i = 0; i < rows.size(); i++) {
        if (scores.get(i) == null) {
          kept.add(rows.get(i));
        }
      }
      return kept;
    });
  }
}
