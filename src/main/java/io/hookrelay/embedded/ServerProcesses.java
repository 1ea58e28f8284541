package io.hookrelay.embedded;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Finds, identifies, waits for and stops the server processes behind the embedded servers (Linux /proc). */
final class ServerProcesses {

  private static final Logger LOG = LoggerFactory.getLogger(ServerProcesses.class);
  private static final Path PROC = Path.of("/proc");
  private static final Duration POLL = Duration.ofMillis(50);

  /** How long a server gets to shut down cleanly before it is killed. */
  static final Duration STOP_GRACE = Duration.ofSeconds(30);

  private ServerProcesses() {
  }

  /** The pid on the first line of a pid file, if the file exists and holds one. */
  static OptionalLong readPid(Path pidFile) {
    try {
      List<String> lines = Files.readAllLines(pidFile, StandardCharsets.US_ASCII);
      return lines.isEmpty() ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(lines.get(0).trim()));
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /**
   * True while the process exists and is not a zombie. An orphan killed here is reparented to
   * pid 1, which does not always reap it, and PostgreSQL's own kill(pid, 0) check takes such a
   * zombie for a live postmaster; so the state has to come from /proc.
   */
  static boolean isRunning(long pid) {
    if (!Files.isDirectory(PROC.resolve("self"))) {
      return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }
    try {
      String stat = Files.readString(PROC.resolve(pid + "/stat"), StandardCharsets.ISO_8859_1);
      char state = stat.charAt(stat.lastIndexOf(')') + 2);
      return state != 'Z' && state != 'X';
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * True when {@code pid} is a running {@code program} working in {@code dir}. Both servers
   * chdir to their data directory; the working directory is checked instead of the command line
   * because Redis rewrites its command line to "redis-server 127.0.0.1:PORT".
   */
  static boolean isServerFor(long pid, String program, Path dir) {
    if (!isRunning(pid)) {
      return false;
    }
    if (!Files.isDirectory(PROC.resolve("self"))) {
      return ProcessHandle.of(pid).flatMap(h -> h.info().command()).map(c -> c.contains(program)).orElse(false);
    }
    try {
      Path proc = PROC.resolve(Long.toString(pid));
      String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.ISO_8859_1);
      Path cwd = Files.readSymbolicLink(proc.resolve("cwd"));
      return cmdline.contains(program) && cwd.equals(dir.toRealPath());
    } catch (IOException | RuntimeException e) {
      return false; // gone meanwhile, or not ours to inspect
    }
  }

  /**
   * Sends {@code signal} (a name such as INT or TERM), waits up to {@link #STOP_GRACE} for the
   * process to end, then kills it. After a kill its children (PostgreSQL backends) may still
   * hold shared memory and files for a moment, so they are waited for too.
   */
  static void stop(long pid, String signal, String what) {
    List<ProcessHandle> children = ProcessHandle.of(pid).map(h -> h.descendants().toList()).orElse(List.of());
    signal(pid, signal);
    if (!awaitGone(pid, STOP_GRACE)) {
      LOG.warn("{} (pid {}) did not stop within {} s of SIG{}; killing it", what, pid, STOP_GRACE.toSeconds(), signal);
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      awaitGone(pid, STOP_GRACE);
    }
    for (ProcessHandle child : children) {
      if (!awaitGone(child.pid(), STOP_GRACE)) {
        child.destroyForcibly();
        awaitGone(child.pid(), STOP_GRACE);
      }
    }
  }

  static boolean awaitGone(long pid, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (isRunning(pid)) {
      if (System.nanoTime() - deadline > 0) {
        return false;
      }
      pause();
    }
    return true;
  }

  /** Java has no API for SIGINT, which PostgreSQL needs for a fast shutdown; the shell's kill builtin does. */
  private static void signal(long pid, String signal) {
    try {
      Process kill = new ProcessBuilder("sh", "-c", "kill -" + signal + " " + pid)
          .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!kill.waitFor(10, TimeUnit.SECONDS)) {
        kill.destroyForcibly();
      }
    } catch (IOException e) {
      ProcessHandle.of(pid).ifPresent(ProcessHandle::destroy); // SIGTERM: still a clean shutdown for both servers
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A port free on 127.0.0.1 right now; the server binds it a moment later. */
  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /**
   * Fails when {@code port} is taken on 127.0.0.1. Checked before starting because a readiness
   * probe on a taken port would be answered by whatever already listens there.
   */
  static void requireFree(int port, String what) throws IOException {
    try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
    } catch (IOException e) {
      throw new IOException(what + " cannot listen on 127.0.0.1:" + port + ": the port is taken; choose another or 0 for a free one", e);
    }
  }

  /** Sleeps one polling interval; callers loop on a condition with a deadline. */
  static void pause() {
    try {
      Thread.sleep(POLL.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for an embedded server", e);
    }
  }
}
