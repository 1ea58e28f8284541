package io.hookrelay.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the embedded servers do when another JVM owns, owned, or shares their directories. */
class OrphanedServersTest {

  private static final Duration CHILD_TIMEOUT = Duration.ofMinutes(3);

  @TempDir
  Path tmp;

  @Test
  void serversOrphanedByAJvmKilledWithSigkillAreStoppedAndTheirDataKept() throws Exception {
    Path pgDir = tmp.resolve("postgres");
    Path pgdata = pgDir.resolve("pgdata");
    Path redisDir = tmp.resolve("redis");
    Path log = tmp.resolve("child.log");
    Process child = ChildJvm.start(log, List.of(), pgDir.toString(), redisDir.toString());
    long pgPid = -1;
    long redisPid = -1;
    try {
      ChildJvm.awaitReady(child, log, CHILD_TIMEOUT);
      pgPid = ServerProcesses.readPid(pgdata.resolve("postmaster.pid")).orElseThrow();
      redisPid = ServerProcesses.readPid(redisDir.resolve("redis.pid")).orElseThrow();

      // while the owner lives, its servers are left alone
      assertThatThrownBy(() -> EmbeddedPostgres.start(pgDir)).hasMessageContaining("in use by process " + child.pid());
      assertThatThrownBy(() -> EmbeddedRedis.start(redisDir)).hasMessageContaining("in use by process " + child.pid());

      child.destroyForcibly(); // SIGKILL: no shutdown hook runs
      assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(ServerProcesses.isServerFor(pgPid, "postgres", pgdata)).as("orphaned postmaster").isTrue();
      assertThat(ServerProcesses.isServerFor(redisPid, "redis-server", redisDir)).as("orphaned redis").isTrue();

      try (EmbeddedPostgres postgres = EmbeddedPostgres.start(pgDir);
           EmbeddedRedis redis = EmbeddedRedis.start(redisDir)) {
        assertThat(ServerProcesses.isRunning(pgPid)).isFalse();
        assertThat(ServerProcesses.isRunning(redisPid)).isFalse();
        assertThat(Jdbc.queryString(postgres.url(), "SELECT name FROM survivors")).isEqualTo("child");
        assertThat(Resp.call(redis.port(), "GET", "survivor")).isEqualTo("child");
      }
    } finally {
      child.destroyForcibly();
      stopIfStillRunning(pgPid, "postgres", pgdata);
      stopIfStillRunning(redisPid, "redis-server", redisDir);
    }
  }

  @Test
  void twoJvmsStartingAtOnceExtractTheBinariesOnceAndBothRun() throws Exception {
    Path pgBinaries = tmp.resolve("pg-binaries");
    Path redisBinaries = tmp.resolve("redis-binaries");
    // fresh, empty caches, so that both JVMs really race to fill them
    List<String> options = List.of("-Dot.epg.working-dir=" + pgBinaries, "-Dhookrelay.embedded.cache=" + redisBinaries);
    Process first = ChildJvm.start(tmp.resolve("first.log"), options,
        tmp.resolve("first/postgres").toString(), tmp.resolve("first/redis").toString(), "--exit");
    Process second = ChildJvm.start(tmp.resolve("second.log"), options,
        tmp.resolve("second/postgres").toString(), tmp.resolve("second/redis").toString(), "--exit");
    try {
      assertThat(first.waitFor(CHILD_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(second.waitFor(CHILD_TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();
      assertThat(first.exitValue()).as(ChildJvm.tail(tmp.resolve("first.log"))).isZero();
      assertThat(second.exitValue()).as(ChildJvm.tail(tmp.resolve("second.log"))).isZero();
    } finally {
      first.destroyForcibly();
      second.destroyForcibly();
    }
    try (Stream<Path> files = Files.list(redisBinaries)) {
      List<Path> redisFiles = files.toList();
      assertThat(redisFiles).hasSize(1);
      assertThat(Files.isExecutable(redisFiles.get(0))).isTrue();
    }
    try (Stream<Path> dirs = Files.list(pgBinaries)) {
      List<Path> pgDirs = dirs.filter(Files::isDirectory).toList();
      assertThat(pgDirs).hasSize(1);
      assertThat(Files.isExecutable(pgDirs.get(0).resolve("bin/postgres"))).isTrue();
    }
  }

  private static void stopIfStillRunning(long pid, String program, Path dir) throws IOException {
    if (pid > 0 && ServerProcesses.isServerFor(pid, program, dir)) {
      ServerProcesses.stop(pid, "KILL", "leftover " + program);
    }
  }
}
