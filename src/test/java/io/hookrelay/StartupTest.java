package io.hookrelay;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.NodeProcess;
import io.hookrelay.testing.TestNode;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a person starting a node reads: a quiet log on a good start, one line and exit 2 on a start that cannot work. */
class StartupTest {

  private static Path log(String name, Map<String, String> env) {
    return Path.of("target", "startup-logs", name + "-" + env.get("HOOKRELAY_HTTP_PORT") + ".log");
  }

  private static List<String> lines(String output) {
    return output.lines().filter(l -> !l.isBlank()).toList();
  }

  @Test
  void aStartLogsNoDuplicateMeterAndARestartLogsTheCurrentSchemaVersion() throws Exception {
    Map<String, String> env = new HashMap<>(TestNode.defaults());
    env.remove("HOOKRELAY_API_KEYS"); // the first start generates one and prints how to use it
    Path log = log("restart", env);
    try (NodeProcess first = NodeProcess.start(env, log, Duration.ofSeconds(90), NodeProcess.PRODUCTION_LOGGING)) {
      first.terminate();
      assertThat(first.waitFor(Duration.ofSeconds(30))).isEqualTo(0);
    }
    try (NodeProcess second = NodeProcess.start(env, log, Duration.ofSeconds(90), NodeProcess.PRODUCTION_LOGGING)) {
      String output = Files.readString(log, StandardCharsets.UTF_8);
      assertThat(output).doesNotContain("already registered").doesNotContain("version null");
      // the first start applies every migration and logs the version they reach; the restart finds it current
      String latest = latestMigrationVersion();
      assertThat(output).containsPattern("database schema at version " + latest + " \\(\\d+ migration\\(s\\) applied\\)")
          .contains("database schema at version " + latest + " (up to date)");
      // The banner names the variable the README's walkthrough uses.
      Path keyFile = Path.of(env.get("HOOKRELAY_DATA_DIR"), "api-key");
      assertThat(output).contains("export KEY=$(cat " + keyFile + ")")
          .contains("curl -H \"Authorization: Bearer $KEY\"").doesNotContain("HOOKRELAY_KEY");
      assertThat(Files.readString(Path.of("README.md"))).contains("export KEY=$(cat data/api-key)");
    }
  }

  @Test
  void aTakenHttpPortIsOneLineAndExit2() throws IOException {
    Map<String, String> env = new HashMap<>(TestNode.defaults());
    int port = Integer.parseInt(env.get("HOOKRELAY_HTTP_PORT"));
    try (ServerSocket taken = new ServerSocket()) {
      taken.bind(new InetSocketAddress("127.0.0.1", port));
      NodeProcess.Exit exit = NodeProcess.runToExit(env, log("port", env), Duration.ofSeconds(60));

      assertThat(exit.code()).as(exit.output()).isEqualTo(2);
      assertThat(lines(exit.output()))
          .containsExactly("hookrelay: port " + port + " is in use (set HOOKRELAY_HTTP_PORT)");
    }
  }

  @Test
  void aDataDirInUseIsOneLineAndExit2() throws IOException {
    Map<String, String> env = new HashMap<>(TestNode.defaults());
    env.remove("HOOKRELAY_DATABASE_URL"); // embedded PostgreSQL, on a data dir another process holds
    Path postgres = Path.of(env.get("HOOKRELAY_DATA_DIR"), "postgres");
    Files.createDirectories(postgres);
    try (FileChannel channel = FileChannel.open(postgres.resolve("embedded.lock"), StandardOpenOption.CREATE,
        StandardOpenOption.WRITE); FileLock held = channel.lock()) {
      NodeProcess.Exit exit = NodeProcess.runToExit(env, log("datadir", env), Duration.ofSeconds(60));

      assertThat(exit.code()).as(exit.output()).isEqualTo(2);
      assertThat(lines(exit.output())).hasSize(1);
      assertThat(exit.output()).startsWith("hookrelay: Embedded PostgreSQL data directory")
          .contains("already in use").contains("HOOKRELAY_DATA_DIR");
    }
  }

  /** The highest V<n>__ migration in the classpath's db/migration, as Flyway numbers it. */
  private static String latestMigrationVersion() throws java.io.IOException, java.net.URISyntaxException {
    var dir = Path.of(StartupTest.class.getResource("/db/migration").toURI());
    try (var files = Files.list(dir)) {
      return Integer.toString(files.map(f -> f.getFileName().toString())
          .filter(n -> n.matches("V\\d+__.*\\.sql"))
          .mapToInt(n -> Integer.parseInt(n.substring(1, n.indexOf("__")))).max().orElseThrow());
    }
  }
}
