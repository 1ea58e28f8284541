package io.hookrelay.testing;

import io.hookrelay.embedded.EmbeddedPostgres;
import io.hookrelay.embedded.EmbeddedRedis;
import io.vertx.pgclient.PgConnectOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The real PostgreSQL and Redis the tests run against, started once per test JVM: the servers named by
 * HOOKRELAY_TEST_DATABASE_URL / HOOKRELAY_TEST_REDIS_URL when set; else Testcontainers when a Docker engine
 * answers; else the embedded servers hookrelay itself ships. Each caller gets a fresh database, and picks its own
 * Redis key prefix, so test classes never see each other's data.
 */
public final class TestServers {
  private static String postgresUrl;
  private static String redisUrl;

  private TestServers() {}

  private static synchronized void startOnce() {
    if (postgresUrl != null) {
      return;
    }
    try {
      String pg = System.getenv("HOOKRELAY_TEST_DATABASE_URL");
      String redis = System.getenv("HOOKRELAY_TEST_REDIS_URL");
      if ((pg == null || redis == null) && dockerAvailable()) {
        String[] urls = Containers.start();
        pg = pg != null ? pg : urls[0];
        redis = redis != null ? redis : urls[1];
      }
      Path dir = null;
      if (pg == null || redis == null) {
        dir = Files.createTempDirectory("hookrelay-test-servers");
      }
      if (pg == null) {
        EmbeddedPostgres server = EmbeddedPostgres.start(dir.resolve("postgres"));
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        pg = server.url();
      }
      if (redis == null) {
        EmbeddedRedis server = EmbeddedRedis.start(dir.resolve("redis"));
        Runtime.getRuntime().addShutdownHook(new Thread(server::close));
        redis = server.url();
      }
      postgresUrl = pg;
      redisUrl = redis;
    } catch (Exception e) {
      throw new IllegalStateException("cannot start PostgreSQL and Redis for the tests", e);
    }
  }

  private static boolean dockerAvailable() {
    try {
      return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
    } catch (Throwable t) {
      return false;
    }
  }

  /** A new, empty database on the test server; answers its URL. */
  public static String freshDatabase() {
    startOnce();
    String name = "hr_" + UUID.randomUUID().toString().replace("-", "");
    try (Connection c = jdbc(postgresUrl); Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    } catch (Exception e) {
      throw new IllegalStateException("cannot create a test database", e);
    }
    PgConnectOptions o = PgConnectOptions.fromUri(postgresUrl);
    return "postgresql://" + o.getUser() + ":" + o.getPassword() + "@" + o.getHost() + ":" + o.getPort() + "/" + name;
  }

  public static String redisUrl() {
    startOnce();
    return redisUrl;
  }

  public static Connection jdbc(String url) throws java.sql.SQLException {
    PgConnectOptions o = PgConnectOptions.fromUri(url);
    return DriverManager.getConnection("jdbc:postgresql://" + o.getHost() + ":" + o.getPort() + "/" + o.getDatabase(),
        o.getUser(), o.getPassword());
  }

  /** The first column of every row that {@code sql} answers on {@code url}'s database, as text. */
  public static List<String> column(String url, String sql) throws java.sql.SQLException {
    List<String> out = new ArrayList<>();
    try (Connection c = jdbc(url); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
      while (r.next()) {
        out.add(r.getString(1));
      }
    }
    return out;
  }

  /** Flyway on the service's migrations for {@code url}, up to version {@code target} (all of them when null). */
  public static org.flywaydb.core.Flyway flyway(String url, String target) {
    PgConnectOptions o = PgConnectOptions.fromUri(url);
    var config = org.flywaydb.core.Flyway.configure().dataSource("jdbc:postgresql://" + o.getHost() + ":"
        + o.getPort() + "/" + o.getDatabase(), o.getUser(), o.getPassword()).locations("classpath:db/migration");
    if (target != null) {
      config.target(target);
    }
    return config.load();
  }

  /** Testcontainers, in a class of its own so that it is only loaded when Docker is there. */
  private static final class Containers {
    @SuppressWarnings("resource")
    static String[] start() {
      var pg = new org.testcontainers.containers.PostgreSQLContainer<>("postgres:16-alpine");
      pg.start();
      var redis = new org.testcontainers.containers.GenericContainer<>("redis:7-alpine").withExposedPorts(6379);
      redis.start();
      return new String[] {
          "postgresql://" + pg.getUsername() + ":" + pg.getPassword() + "@" + pg.getHost() + ":"
              + pg.getMappedPort(5432) + "/" + pg.getDatabaseName(),
          "redis://" + redis.getHost() + ":" + redis.getMappedPort(6379)
      };
    }
  }
}
