package io.hookrelay.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedRedisTest {

  @TempDir
  Path tmp;

  @Test
  void aJarWithoutARedisBinaryForThisPlatformSaysWhichVariableToSet() {
    ClassLoader full = EmbeddedRedis.class.getClassLoader();
    ClassLoader slim = new java.net.URLClassLoader(new java.net.URL[0], null);

    assertThat(EmbeddedRedis.missingBinary(full)).isNull();
    assertThat(EmbeddedRedis.missingBinary(slim)).contains("no embedded Redis").contains("HOOKRELAY_REDIS_URL");
  }

  @Test
  void keepsKeysAcrossRestarts() throws Exception {
    Path dataDir = tmp.resolve("redis");
    try (EmbeddedRedis redis = EmbeddedRedis.start(dataDir)) {
      assertThat(Resp.call(redis.port(), "SET", "hr:test", "before restart")).isEqualTo("OK");
    }
    try (EmbeddedRedis redis = EmbeddedRedis.start(dataDir)) {
      assertThat(Resp.call(redis.port(), "GET", "hr:test")).isEqualTo("before restart");
    }
  }

  @Test
  void persistsToAnAppendOnlyFileFsyncedEverySecondAndLogsToItsDataDirectory() throws Exception {
    Path dataDir = tmp.resolve("redis");
    try (EmbeddedRedis redis = EmbeddedRedis.start(dataDir)) {
      assertThat(Resp.call(redis.port(), "CONFIG", "GET", "appendonly")).isEqualTo("appendonly yes");
      assertThat(Resp.call(redis.port(), "CONFIG", "GET", "appendfsync")).isEqualTo("appendfsync everysec");
      assertThat(Resp.call(redis.port(), "CONFIG", "GET", "dir")).isEqualTo("dir " + dataDir.toRealPath());
      assertThat(Resp.call(redis.port(), "CONFIG", "GET", "bind")).isEqualTo("bind 127.0.0.1");
    }
    assertThat(dataDir.resolve("appendonly.aof")).exists();
    assertThat(Files.readString(dataDir.resolve("redis.log"), StandardCharsets.UTF_8)).contains("Ready to accept connections");
  }

  @Test
  void picksAFreePortUnlessOneIsGiven() throws Exception {
    int port = ServerProcesses.freePort();
    try (EmbeddedRedis given = EmbeddedRedis.start(tmp.resolve("given"), port);
         EmbeddedRedis picked = EmbeddedRedis.start(tmp.resolve("picked"))) {
      assertThat(given.port()).isEqualTo(port);
      assertThat(given.url()).isEqualTo("redis://127.0.0.1:" + port);
      assertThat(picked.port()).isPositive().isNotEqualTo(port);
      assertThat(Resp.call(picked.port(), "PING")).isEqualTo("PONG");
    }
  }

  @Test
  void refusesASecondStartOnADataDirectoryInUse() throws Exception {
    Path dataDir = tmp.resolve("redis");
    try (EmbeddedRedis redis = EmbeddedRedis.start(dataDir)) {
      assertThatThrownBy(() -> EmbeddedRedis.start(dataDir))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("already in use by process " + ProcessHandle.current().pid());
      assertThat(Resp.call(redis.port(), "PING")).isEqualTo("PONG");
    }
  }

  @Test
  void failsClearlyWhenTheGivenPortIsTaken() throws Exception {
    try (EmbeddedRedis first = EmbeddedRedis.start(tmp.resolve("first"))) {
      assertThatThrownBy(() -> EmbeddedRedis.start(tmp.resolve("second"), first.port()))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("cannot listen on 127.0.0.1:" + first.port());
    }
  }

  @Test
  void closeWaitsForTheServerToExit() throws Exception {
    Path dataDir = tmp.resolve("redis");
    EmbeddedRedis redis = EmbeddedRedis.start(dataDir);
    long pid = ServerProcesses.readPid(dataDir.resolve("redis.pid")).orElseThrow();
    redis.close();
    assertThat(ServerProcesses.isRunning(pid)).isFalse();
    assertThat(dataDir.resolve("redis.pid")).doesNotExist();
  }
}
