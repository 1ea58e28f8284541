package io.hookrelay.embedded;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import redis.embedded.RedisServer;
import redis.embedded.core.ExecutableProvider;
import redis.embedded.model.OsArchitecture;

/**
 * A real Redis server (the binary shipped in codemonstur's embedded-redis) with append-only
 * persistence in a directory, for running hookrelay without a configured Redis.
 *
 * <p>Layout of {@code dataDir}: {@code appendonly.aof} and {@code dump.rdb}, {@code redis.log}
 * (the server's own output), {@code redis.pid} and {@code embedded.lock} (held while a JVM runs
 * the server). A second start on a directory whose lock is held fails with a message naming the
 * holder's pid.
 *
 * <p>The library's binary is used, but not its lifecycle: it waits for readiness by reading the
 * server's stdout (so the output cannot go to a file), stops without a bound, and knows nothing
 * of servers orphaned by a JVM killed with kill -9.
 */
public final class EmbeddedRedis implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(EmbeddedRedis.class);
  private static final Duration STARTUP_TIMEOUT = Duration.ofMinutes(2); // loading a large AOF takes a while

  private final Process process;
  private final DataDirLock lock;
  private final Path dir;
  private final int port;
  private final Thread shutdownHook;
  private final AtomicBoolean closed = new AtomicBoolean();

  private EmbeddedRedis(Process process, DataDirLock lock, Path dir, int port) {
    this.process = process;
    this.lock = lock;
    this.dir = dir;
    this.port = port;
    this.shutdownHook = new Thread(this::close, "embedded-redis-stop");
  }

  /** Starts a Redis server with data in dataDir (e.g. ./data/redis), appendonly yes and appendfsync everysec. Blocking. */
  public static EmbeddedRedis start(Path dataDir) throws IOException {
    return start(dataDir, 0);
  }

  /** As {@link #start(Path)}, on the given port; 0 picks a free one. */
  public static EmbeddedRedis start(Path dataDir, int port) throws IOException {
    Path dir = dataDir.toAbsolutePath().normalize();
    DataDirLock lock = DataDirLock.acquire(dir, "Redis");
    try {
      Path pidFile = dir.resolve("redis.pid");
      stopOrphan(dir, pidFile);
      if (port != 0) {
        ServerProcesses.requireFree(port, "Embedded Redis");
      }
      int chosenPort = port != 0 ? port : ServerProcesses.freePort();
      Path log = dir.resolve("redis.log");
      Process process = new ProcessBuilder(List.of(binary().toString(),
          "--bind", "127.0.0.1",
          "--port", Integer.toString(chosenPort),
          "--dir", dir.toString(),
          "--appendonly", "yes",
          "--appendfsync", "everysec",
          "--pidfile", pidFile.toString(),
          "--daemonize", "no"))
          .directory(dir.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
      EmbeddedRedis redis = new EmbeddedRedis(process, lock, dir, chosenPort);
      redis.awaitReady(log);
      Runtime.getRuntime().addShutdownHook(redis.shutdownHook);
      LOG.info("Embedded Redis at {}, data in {} (appendonly, fsync every second; server log {})", redis.url(), dir, log);
      return redis;
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
  }

  /** See EmbeddedPostgres#stopOrphan: the lock proves the previous owner is dead. */
  private static void stopOrphan(Path dir, Path pidFile) throws IOException {
    OptionalLong pid = ServerProcesses.readPid(pidFile);
    if (pid.isEmpty()) {
      return;
    }
    if (ServerProcesses.isServerFor(pid.getAsLong(), "redis-server", dir)) {
      LOG.warn("Stopping embedded Redis (pid {}) running on {} without an owner", pid.getAsLong(), dir);
      ServerProcesses.stop(pid.getAsLong(), "TERM", "Orphaned Redis"); // SIGTERM: flushes the AOF, then exits
    }
    Files.deleteIfExists(pidFile);
  }

  /**
   * Polls PING until +PONG. An open port is not enough: Redis accepts connections while it
   * still loads the AOF and answers -LOADING until the data is in memory.
   */
  private void awaitReady(Path log) throws IOException {
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    while (!ping(port)) {
      if (!process.isAlive()) {
        throw new IOException("Embedded Redis in " + dir + " exited during start-up (exit code " + process.exitValue()
            + "); see " + log);
      }
      if (System.nanoTime() - deadline > 0) {
        close();
        throw new IOException("Embedded Redis in " + dir + " was not ready within " + STARTUP_TIMEOUT.toSeconds()
            + " s; see " + log);
      }
      ServerProcesses.pause();
    }
  }

  private static boolean ping(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      socket.setSoTimeout(2000);
      OutputStream out = socket.getOutputStream();
      out.write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
      return "+PONG".equals(in.readLine());
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Null when this jar carries a redis-server for this platform, else the one line to print: a slim build has
   * none, and embedded-redis ships none for some platforms (it has Linux x86_64, arm64 and i386, macOS x86_64 and
   * arm64, Windows x86_64).
   */
  public static String missingBinary(ClassLoader jar) {
    String resource = ExecutableProvider.newProvidedVersionsMap().get(OsArchitecture.detectOSandArchitecture());
    if (resource != null && jar.getResource(resource.startsWith("/") ? resource.substring(1) : resource) != null) {
      return null;
    }
    return "this hookrelay jar has no embedded Redis for " + System.getProperty("os.name") + "/"
        + System.getProperty("os.arch") + " (a slim build, or a platform without binaries): set "
        + "HOOKRELAY_REDIS_URL=redis://host:6379";
  }

  /**
   * The library's redis-server for this platform, copied once into a per-user cache. Two JVMs
   * may copy at once: each writes its own temporary file and renames it into place, which is
   * atomic, so nobody ever runs a half-written binary.
   */
  private static synchronized Path binary() throws IOException {
    String resource = ExecutableProvider.newProvidedVersionsMap().get(OsArchitecture.detectOSandArchitecture());
    if (resource == null) {
      throw new IOException("embedded-redis ships no redis-server for this platform; set HOOKRELAY_REDIS_URL");
    }
    Path cache = cacheDir();
    Path binary = cache.resolve(resource.substring(resource.lastIndexOf('/') + 1));
    if (Files.isExecutable(binary)) {
      return binary;
    }
    Files.createDirectories(cache);
    Path partial = Files.createTempFile(cache, binary.getFileName().toString(), ".partial");
    try (InputStream in = RedisServer.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IOException("resource " + resource + " missing from embedded-redis");
      }
      Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
      Files.setPosixFilePermissions(partial, PosixFilePermissions.fromString("rwxr-xr-x"));
      Files.move(partial, binary, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(partial);
    }
    return binary;
  }

  /**
   * The system property {@code hookrelay.embedded.cache} (tests give each JVM its own), else
   * $XDG_CACHE_HOME/hookrelay or ~/.cache/hookrelay; the temp directory when there is no
   * writable home.
   */
  private static Path cacheDir() {
    String override = System.getProperty("hookrelay.embedded.cache");
    if (override != null && !override.isBlank()) {
      return Path.of(override);
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    Path cache = base.resolve("hookrelay");
    try {
      Files.createDirectories(cache);
      if (Files.isWritable(cache)) {
        return cache;
      }
    } catch (IOException | RuntimeException e) {
      // fall through to the temp directory
    }
    return Path.of(System.getProperty("java.io.tmpdir"), "hookrelay-" + System.getProperty("user.name"));
  }

  /** e.g. redis://127.0.0.1:6379 */
  public String url() {
    return "redis://127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  /** SIGTERM (Redis flushes the AOF and exits); waits for the exit, killing it if it takes longer than a bound. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException | IllegalArgumentException shuttingDownOrNotAdded) {
      // the hook is what is calling us, or start-up failed before it was added
    }
    if (process.isAlive()) {
      ServerProcesses.stop(process.pid(), "TERM", "Embedded Redis");
    }
    lock.close();
  }
}
