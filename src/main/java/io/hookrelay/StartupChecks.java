package io.hookrelay;

import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.embedded.EmbeddedPostgres;
import io.hookrelay.embedded.EmbeddedRedis;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** What is checked before anything starts, so that a start that cannot succeed fails at once with one line. */
final class StartupChecks {
  private StartupChecks() {}

  /**
   * Binds the HTTP port for a moment. Taken, the node would otherwise start its embedded servers and verticles and
   * only then fail, with a hundred lines of unrelated errors.
   */
  static void httpPortFree(HookrelayConfig config) {
    if (config.httpPort() == 0) {
      return;
    }
    try (ServerSocket socket = new ServerSocket()) {
      socket.bind(new InetSocketAddress(config.httpHost(), config.httpPort()));
    } catch (IOException e) {
      throw portInUse(config.httpPort());
    }
  }

  /** Refuses, in one line naming the variables to set, a start that needs embedded servers this jar lacks. */
  static void embeddedServersAvailable(HookrelayConfig config) {
    ClassLoader jar = StartupChecks.class.getClassLoader();
    String postgres = config.embeddedDatabase() ? EmbeddedPostgres.missingBinaries(jar) : null;
    String redis = config.embeddedRedis() ? EmbeddedRedis.missingBinary(jar) : null;
    if (postgres != null && redis != null) {
      throw new StartupRefused("this hookrelay jar has no embedded PostgreSQL and Redis for "
          + System.getProperty("os.name") + "/" + System.getProperty("os.arch") + " (a slim build, or a platform "
          + "without binaries): set HOOKRELAY_DATABASE_URL=postgresql://user:pass@host:5432/db and "
          + "HOOKRELAY_REDIS_URL=redis://host:6379");
    }
    if (postgres != null || redis != null) {
      throw new StartupRefused(postgres != null ? postgres : redis);
    }
  }

  static StartupRefused portInUse(int port) {
    return new StartupRefused("port " + port + " is in use (set HOOKRELAY_HTTP_PORT)");
  }
}
