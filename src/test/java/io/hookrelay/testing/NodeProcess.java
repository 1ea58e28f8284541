package io.hookrelay.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A hookrelay node as its own JVM ({@code io.hookrelay.Main} on the test classpath, configured by HOOKRELAY_*
 * variables), so that a test can kill it with SIGKILL or stop it with SIGTERM like an operator would. Its output
 * goes to a log file that outlives it.
 */
public final class NodeProcess implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final String baseUrl;

  private NodeProcess(Process process, Path log, String baseUrl) {
    this.process = process;
    this.log = log;
    this.baseUrl = baseUrl;
  }

  /** Starts a node with these variables and waits until /ready answers 200. */
  public static NodeProcess start(Map<String, String> env, Path log, Duration readyWithin) {
    return start(env, log, readyWithin, List.of());
  }

  /** As {@link #start(Map, Path, Duration)}, with extra JVM options (system properties). */
  public static NodeProcess start(Map<String, String> env, Path log, Duration readyWithin, List<String> jvmOptions) {
    Process process = launch(env, log, jvmOptions);
    NodeProcess node = new NodeProcess(process, log, "http://127.0.0.1:" + env.get("HOOKRELAY_HTTP_PORT"));
    try {
      Await.until(readyWithin, "node JVM ready at " + node.baseUrl, () -> {
        if (!process.isAlive()) {
          throw new IllegalStateException("node JVM exited with " + process.exitValue() + ":\n" + node.tail());
        }
        return node.ready();
      });
    } catch (RuntimeException | AssertionError e) {
      node.kill();
      throw new AssertionError("node JVM did not become ready:\n" + node.tail(), e);
    }
    return node;
  }

  /** A start that is expected to fail: its exit code and everything it printed. */
  public record Exit(int code, String output) {}

  /** Starts a node and waits for it to exit (killing it and failing if it is still running after {@code within}). */
  public static Exit runToExit(Map<String, String> env, Path log, Duration within) {
    NodeProcess node = new NodeProcess(launch(env, log, List.of()), log, null);
    Integer code = node.waitFor(within);
    if (code == null) {
      node.kill();
      throw new AssertionError("node JVM still running after " + within + ":\n" + node.tail());
    }
    try {
      return new Exit(code, Files.readString(log, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The jar's own logging configuration rather than the tests' (which lets through what the jar silences). */
  public static final List<String> PRODUCTION_LOGGING = List.of("-Dlogback.configurationFile=logback.xml");

  private static Process launch(Map<String, String> env, Path log, List<String> jvmOptions) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xmx384m");
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.hookrelay.Main");
    command.add("serve");
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().keySet().removeIf(k -> k.startsWith("HOOKRELAY_"));
    builder.environment().putAll(env);
    try {
      Files.createDirectories(log.getParent());
      return builder.start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot start a node JVM", e);
    }
  }

  private boolean ready() {
    try {
      HttpResponse<Void> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(baseUrl + "/ready"))
          .timeout(Duration.ofSeconds(3)).build(), HttpResponse.BodyHandlers.discarding());
      return r.statusCode() == 200;
    } catch (IOException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  public String baseUrl() {
    return baseUrl;
  }

  public long pid() {
    return process.pid();
  }

  /** kill -9: no shutdown hook runs, embedded servers are orphaned. */
  public void kill() {
    process.destroyForcibly();
    waitFor(Duration.ofSeconds(30));
  }

  /** SIGTERM, as an orchestrator stops a container. */
  public void terminate() {
    process.destroy();
  }

  /** Waits for the exit; answers the exit code, or null if it did not exit in time. */
  public Integer waitFor(Duration timeout) {
    try {
      return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS) ? process.exitValue() : null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /** The last lines of its log, for failure messages. */
  public String tail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  /**
   * Makes sure it is gone (a test that failed half-way must not leave a node behind): SIGTERM first, so that its
   * embedded servers stop with it, SIGKILL if that takes too long.
   */
  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroy();
      if (waitFor(Duration.ofSeconds(30)) == null) {
        kill();
      }
    }
  }
}
