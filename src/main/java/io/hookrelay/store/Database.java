package io.hookrelay.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgException;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.function.Supplier;

/** Connection settings for PostgreSQL: the pooled Vert.x client for the node, and Flyway for migrations. */
public final class Database {
  private static final Logger log = LoggerFactory.getLogger(Database.class);

  private Database() {}

  public static PgConnectOptions connectOptions(String url) {
    PgConnectOptions options = PgConnectOptions.fromUri(url.replaceFirst("^postgres://", "postgresql://"));
    return options.setCachePreparedStatements(true)
        .setPreparedStatementCacheMaxSize(512)
        .setPipeliningLimit(256)
        .setReconnectAttempts(0);
  }

  /**
   * A pool shared by every verticle of this node under one name, so that instances per core do not multiply
   * connections.
   */
  public static Pool pool(Vertx vertx, String url, int maxSize) {
    return shared(vertx, "hookrelay-pg", maxSize, connectOptions(url));
  }

  /**
   * A pool for the delivery path's leases (claims, holds, releases), whose commits do not wait for the disk
   * ({@code synchronous_commit=off}). A lease lost in a PostgreSQL crash only means the delivery is claimed again,
   * and the attempt's record, which is durable, flushes the lease's WAL with its own. Each claim used to wait for an
   * fsync of its own: with many small claims (many subscriptions of few webhooks each) the claim was the slowest
   * statement of the node, waiting on WALWrite.
   */
  public static Pool leasePool(Vertx vertx, String url, int nodePoolSize) {
    // A quarter of the node's pool, at least one: leases are small statements, pipelined.
    return shared(vertx, "hookrelay-pg-leases", Math.max(1, nodePoolSize / 4),
        connectOptions(url).addProperty("synchronous_commit", "off"));
  }

  private static Pool shared(Vertx vertx, String name, int maxSize, PgConnectOptions options) {
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(maxSize).setShared(true).setName(name)
            .setMaxWaitQueueSize(100_000).setConnectionTimeout(10).setIdleTimeout(60))
        .connectingTo(options)
        .using(vertx)
        .build();
  }

  /** Applies the migrations in db/migration. Blocking: runs once at start-up, before any verticle. */
  public static void migrate(String url) {
    PgConnectOptions o = connectOptions(url);
    String jdbc = "jdbc:postgresql://" + o.getHost() + ":" + o.getPort() + "/" + o.getDatabase();
    Flyway flyway = Flyway.configure()
        .dataSource(jdbc, o.getUser(), o.getPassword())
        .locations("classpath:db/migration")
        .load();
    var result = flyway.migrate();
    // targetSchemaVersion is null when nothing was applied; the current version is what an operator wants to see.
    var current = flyway.info().current();
    log.info("database schema at version {} ({})", current == null ? "none" : current.getVersion(),
        result.migrationsExecuted == 0 ? "up to date" : result.migrationsExecuted + " migration(s) applied");
  }

  /**
   * Runs a transaction again when PostgreSQL broke a deadlock by aborting it (or a serialisation failure), at most
   * {@code attempts} times in all. The delivery path locks many deliveries per statement (claims, records) in no
   * order it can promise, so a statement that deletes many of them at once (a subscription and, by cascade, its
   * deliveries) may meet one in the opposite order: the loser's work was rolled back whole, and running it again is
   * what the client asked for.
   */
  public static <T> Future<T> retryingDeadlocks(int attempts, Supplier<Future<T>> transaction) {
    return transaction.get().recover(err -> {
      if (attempts > 1 && err instanceof PgException pg
          && ("40P01".equals(pg.getSqlState()) || "40001".equals(pg.getSqlState()))) {
        log.info("transaction aborted by PostgreSQL ({}), running it again", pg.getSqlState());
        return retryingDeadlocks(attempts - 1, transaction);
      }
      return Future.failedFuture(err);
    });
  }
}
