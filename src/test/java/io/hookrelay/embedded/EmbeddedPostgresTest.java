package io.hookrelay.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.pgclient.PgConnectOptions;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedPostgresTest {

  // JUnit creates it 0700, owned by whoever runs the tests (root in CI)
  @TempDir
  Path tmp;

  @Test
  void runsAsTheCurrentUserEvenWhenThatIsRoot() throws Exception {
    Path dataDir = tmp.resolve("postgres");
    try (EmbeddedPostgres postgres = EmbeddedPostgres.start(dataDir)) {
      assertThat(Jdbc.queryString(postgres.url(), "SELECT current_user")).isEqualTo("postgres");
      // the files belong to the user running hookrelay, root included, not to some other account
      String user = System.getProperty("user.name");
      assertThat(Files.getOwner(dataDir.resolve("pgdata/PG_VERSION")).getName()).isEqualTo(user);
      assertThat(Files.getOwner(dataDir.resolve("pgdata/base")).getName()).isEqualTo(user);
    }
  }

  @Test
  void keepsCommittedRowsAcrossRestarts() throws Exception {
    Path dataDir = tmp.resolve("postgres");
    try (EmbeddedPostgres postgres = EmbeddedPostgres.start(dataDir)) {
      Jdbc.execute(postgres.url(), "CREATE TABLE kept (id int PRIMARY KEY, note text)");
      Jdbc.execute(postgres.url(), "INSERT INTO kept VALUES (1, 'before restart')");
    }
    try (EmbeddedPostgres postgres = EmbeddedPostgres.start(dataDir)) {
      assertThat(Jdbc.queryString(postgres.url(), "SELECT note FROM kept WHERE id = 1")).isEqualTo("before restart");
    }
  }

  @Test
  void picksAFreePortUnlessOneIsGiven() throws Exception {
    int port = ServerProcesses.freePort();
    try (EmbeddedPostgres given = EmbeddedPostgres.start(tmp.resolve("given"), port);
         EmbeddedPostgres picked = EmbeddedPostgres.start(tmp.resolve("picked"))) {
      assertThat(given.port()).isEqualTo(port);
      assertThat(given.url()).isEqualTo("postgresql://postgres:postgres@127.0.0.1:" + port + "/postgres");
      assertThat(picked.port()).isPositive().isNotEqualTo(port);
      assertThat(Jdbc.queryString(picked.url(), "SELECT 1")).isEqualTo("1");
    }
  }

  @Test
  void failsClearlyWhenTheGivenPortIsTaken() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      assertThatThrownBy(() -> EmbeddedPostgres.start(tmp.resolve("postgres"), taken.getLocalPort()))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("cannot listen on 127.0.0.1:" + taken.getLocalPort());
    }
    // the refused start released the directory
    try (EmbeddedPostgres postgres = EmbeddedPostgres.start(tmp.resolve("postgres"))) {
      assertThat(Jdbc.queryString(postgres.url(), "SELECT 1")).isEqualTo("1");
    }
  }

  @Test
  void urlIsUnderstoodByTheVertxPgClient() throws Exception {
    try (EmbeddedPostgres postgres = EmbeddedPostgres.start(tmp.resolve("postgres"))) {
      PgConnectOptions options = PgConnectOptions.fromUri(postgres.url());
      assertThat(options.getHost()).isEqualTo("127.0.0.1");
      assertThat(options.getPort()).isEqualTo(postgres.port());
      assertThat(options.getUser()).isEqualTo("postgres");
      assertThat(options.getPassword()).isEqualTo("postgres");
      assertThat(options.getDatabase()).isEqualTo("postgres");
    }
  }

  @Test
  void runsWithDurableDevelopmentSettingsAndLogsToItsDataDirectory() throws Exception {
    Path dataDir = tmp.resolve("postgres");
    try (EmbeddedPostgres postgres = EmbeddedPostgres.start(dataDir)) {
      String url = postgres.url();
      assertThat(Jdbc.queryString(url, "SHOW fsync")).isEqualTo("on");
      assertThat(Jdbc.queryString(url, "SHOW synchronous_commit")).isEqualTo("on");
      assertThat(Jdbc.queryString(url, "SHOW max_connections")).isEqualTo("200");
      assertThat(Jdbc.queryString(url, "SHOW shared_buffers")).isEqualTo("128MB");
      assertThat(Jdbc.queryString(url, "SHOW listen_addresses")).isEqualTo("127.0.0.1");
      assertThat(Jdbc.queryString(url, "SHOW unix_socket_directories")).isEmpty();
      assertThat(Jdbc.queryString(url, "SELECT rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'postgres'"))
          .isEqualTo("t");
    }
    assertThat(Files.readString(dataDir.resolve("postgres.log"), StandardCharsets.UTF_8))
        .contains("database system is ready to accept connections");
  }

  @Test
  void refusesASecondStartOnADataDirectoryInUse() throws Exception {
    Path dataDir = tmp.resolve("postgres");
    try (EmbeddedPostgres postgres = EmbeddedPostgres.start(dataDir)) {
      assertThatThrownBy(() -> EmbeddedPostgres.start(dataDir))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("already in use by process " + ProcessHandle.current().pid());
      assertThat(Jdbc.queryString(postgres.url(), "SELECT 1")).isEqualTo("1");
    }
  }

  @Test
  void runsPostgreSql16() throws Exception {
    try (EmbeddedPostgres postgres = EmbeddedPostgres.start(tmp.resolve("postgres"))) {
      assertThat(Jdbc.queryString(postgres.url(), "SHOW server_version")).startsWith("16.");
    }
  }

  @Test
  void aDataDirectoryMadeByPostgreSql14IsRefusedInOneLineSayingWhatToDo() throws Exception {
    Path dataDir = tmp.resolve("postgres");
    Files.createDirectories(dataDir.resolve("pgdata"));
    Files.writeString(dataDir.resolve("pgdata").resolve("PG_VERSION"), "14\n");
    Files.writeString(dataDir.resolve("pgdata").resolve("postgresql.conf"), "");

    assertThatThrownBy(() -> EmbeddedPostgres.start(dataDir))
        .isInstanceOf(DataDirUnusableException.class)
        .hasMessageContaining("made by PostgreSQL 14").hasMessageContaining("embeds PostgreSQL 16")
        .hasMessageContaining("mv " + dataDir.toAbsolutePath())
        .hasMessageContaining("HOOKRELAY_DATABASE_URL")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    // and the old data is left exactly as it was
    assertThat(Files.readString(dataDir.resolve("pgdata").resolve("PG_VERSION"))).isEqualTo("14\n");
  }

  @Test
  void aJarWithoutPostgreSqlBinariesForThisPlatformSaysWhichVariableToSet() {
    ClassLoader full = EmbeddedPostgres.class.getClassLoader();
    ClassLoader slim = new java.net.URLClassLoader(new java.net.URL[0], null);

    assertThat(EmbeddedPostgres.missingBinaries(full)).isNull();
    assertThat(EmbeddedPostgres.missingBinaries(slim)).contains("no embedded PostgreSQL")
        .contains("HOOKRELAY_DATABASE_URL");
  }

  @Test
  void removesAStalePidFileNamingAnotherLiveProcessAndLeavesThatProcessAlone() throws Exception {
    Path dataDir = tmp.resolve("postgres");
    try (EmbeddedPostgres postgres = EmbeddedPostgres.start(dataDir)) {
      Jdbc.execute(postgres.url(), "CREATE TABLE kept (id int)");
    }
    // a reused pid: PostgreSQL alone would take it for a running postmaster and refuse to start
    Process unrelated = new ProcessBuilder("sleep", "300").start();
    try {
      Files.writeString(dataDir.resolve("pgdata/postmaster.pid"), unrelated.pid() + "\n" + dataDir.resolve("pgdata") + "\n");
      try (EmbeddedPostgres postgres = EmbeddedPostgres.start(dataDir)) {
        assertThat(Jdbc.queryString(postgres.url(), "SELECT count(*) FROM kept")).isEqualTo("0");
      }
      assertThat(unrelated.isAlive()).isTrue();
    } finally {
      unrelated.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void closeWaitsForTheServerToExit() throws Exception {
    Path pgdata = tmp.resolve("postgres/pgdata");
    EmbeddedPostgres postgres = EmbeddedPostgres.start(tmp.resolve("postgres"));
    long pid = ServerProcesses.readPid(pgdata.resolve("postmaster.pid")).orElseThrow();
    postgres.close();
    assertThat(ServerProcesses.isRunning(pid)).isFalse();
    assertThat(pgdata.resolve("postmaster.pid")).doesNotExist();
  }
}
