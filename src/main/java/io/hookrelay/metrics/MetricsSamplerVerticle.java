package io.hookrelay.metrics;

import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.queue.DeliveryQueue;
import io.hookrelay.store.Database;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Samples what a scrape must not wait for: queue and retry depths from Redis every second, disabled subscriptions
 * from PostgreSQL every few seconds; and turns the running totals into the rates of the last few seconds that
 * /stats and the dashboard show. One per node.
 */
public final class MetricsSamplerVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(MetricsSamplerVerticle.class);
  private static final long TICK_MS = 1000;
  private static final int WINDOW_TICKS = 5;
  private static final int SQL_EVERY_TICKS = 5;

  private final HookrelayConfig config;
  private final Metrics metrics;
  private final ArrayDeque<Metrics.Totals> window = new ArrayDeque<>();
  private Pool pool;
  private Redis redis;
  private DeliveryQueue queue;
  private long timer;
  private long ticks;
  private boolean redisBusy;
  private boolean sqlBusy;

  public MetricsSamplerVerticle(HookrelayConfig config, Metrics metrics) {
    this.config = config;
    this.metrics = metrics;
  }

  @Override
  public Future<?> start() {
    pool = Database.pool(vertx, config.databaseUrl(), config.databasePoolSize());
    redis = DeliveryQueue.client(vertx, config.redisUrl(), 1);
    queue = new DeliveryQueue(redis, config.redisKeyPrefix());
    window.add(metrics.totals());
    timer = vertx.setPeriodic(TICK_MS, id -> tick());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(timer);
    redis.close();
    return pool.close();
  }

  private void tick() {
    sampleRedis();
    if (ticks++ % SQL_EVERY_TICKS == 0) {
      sampleDatabase();
    }
    Metrics.Totals now = metrics.totals();
    window.addLast(now);
    while (window.size() > WINDOW_TICKS + 1) {
      window.removeFirst();
    }
    Metrics.Totals then = window.peekFirst();
    double seconds = Math.max(0.001, (now.atNanos() - then.atNanos()) / 1e9);
    long lagCount = now.lagCount() - then.lagCount();
    Double lag = lagCount > 0 ? (now.lagSeconds() - then.lagSeconds()) / lagCount : null;
    metrics.publish(new StatsSnapshot(System.currentTimeMillis(), seconds,
        (now.accepted() - then.accepted()) / seconds,
        (now.succeeded() - then.succeeded()) / seconds,
        (now.failedAttempts() - then.failedAttempts()) / seconds,
        lag, metrics.queueDepth(), metrics.retryDepth(), metrics.inFlight(), metrics.disabledSubscriptions(),
        now.accepted(), now.duplicates(), now.rejected(), now.succeeded(), now.failed(), now.failedAttempts()));
  }

  private void sampleRedis() {
    if (redisBusy) {
      return; // the previous sample has not answered yet; skip rather than pile up
    }
    redisBusy = true;
    Future<Long> stream = queue.streamLength();
    Future<Long> retry = queue.retryDepth();
    Future.all(stream, retry)
        .onSuccess(v -> metrics.queueDepths(stream.result(), retry.result()))
        .onFailure(err -> log.debug("queue depth sample failed: {}", err.getMessage()))
        .onComplete(v -> redisBusy = false);
  }

  private void sampleDatabase() {
    if (sqlBusy) {
      return;
    }
    sqlBusy = true;
    pool.query("SELECT count(*) FROM subscriptions WHERE status = 'disabled'").execute()
        .onSuccess(rows -> metrics.disabledSubscriptions(rows.iterator().next().getLong(0)))
        .onFailure(err -> log.debug("disabled subscriptions sample failed: {}", err.getMessage()))
        .onComplete(v -> sqlBusy = false);
  }
}
