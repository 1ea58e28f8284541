package io.hookrelay;

import io.hookrelay.config.HookrelayConfig;
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

  static StartupRefused portInUse(int port) {
    return new StartupRefused("port " + port + " is in use (set HOOKRELAY_HTTP_PORT)");
  }
}
