package io.hookrelay.embedded;

import java.nio.file.Path;

/**
 * The owning JVM in the tests that need a second one: starts both embedded servers on the given
 * directories, writes one row and one key, prints READY, then exits ({@code --exit}) or waits to
 * be killed.
 */
public final class EmbeddedServersChild {

  public static void main(String[] args) throws Exception {
    boolean exit = args.length > 2 && "--exit".equals(args[2]);
    try (EmbeddedPostgres postgres = EmbeddedPostgres.start(Path.of(args[0]));
         EmbeddedRedis redis = EmbeddedRedis.start(Path.of(args[1]))) {
      Jdbc.execute(postgres.url(), "CREATE TABLE IF NOT EXISTS survivors (name text PRIMARY KEY)");
      Jdbc.execute(postgres.url(), "INSERT INTO survivors VALUES ('child') ON CONFLICT DO NOTHING");
      Resp.call(redis.port(), "SET", "survivor", "child");
      System.out.println("READY");
      System.out.flush();
      if (!exit) {
        Thread.currentThread().join(); // until the test kills this JVM
      }
    }
  }
}
