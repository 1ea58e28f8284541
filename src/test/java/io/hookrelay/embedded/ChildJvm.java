package io.hookrelay.embedded;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Starts {@link EmbeddedServersChild} in another JVM on the test classpath and waits for its READY line. */
final class ChildJvm {

  private ChildJvm() {
  }

  static Process start(Path log, List<String> jvmOptions, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(EmbeddedServersChild.class.getName());
    command.addAll(List.of(args));
    // a file, not a pipe: nothing has to drain it, and it outlives the child for diagnosis
    return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
  }

  static void awaitReady(Process child, Path log, Duration timeout) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!Files.readAllLines(log, StandardCharsets.UTF_8).contains("READY")) {
      if (!child.isAlive()) {
        fail("child JVM exited with " + child.exitValue() + " before READY:\n" + tail(log));
      }
      if (System.nanoTime() - deadline > 0) {
        fail("child JVM not READY within " + timeout + ":\n" + tail(log));
      }
      ServerProcesses.pause();
    }
  }

  static String tail(Path log) throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
  }
}
