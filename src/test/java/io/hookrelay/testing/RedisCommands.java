package io.hookrelay.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/** One Redis command over a raw socket, for tests that break Redis on purpose (FLUSHALL) or look inside it. */
public final class RedisCommands {
  private RedisCommands() {}

  /** Sends one command to the server of {@code redisUrl}; answers the reply's first line (integers and statuses). */
  public static String call(String redisUrl, String... args) {
    URI uri = URI.create(redisUrl);
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(10_000);
      StringBuilder request = new StringBuilder("*").append(args.length).append("\r\n");
      for (String arg : args) {
        request.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(arg).append("\r\n");
      }
      OutputStream out = socket.getOutputStream();
      out.write(request.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      String line = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8)).readLine();
      if (line == null || line.startsWith("-")) {
        throw new IllegalStateException("redis " + args[0] + ": " + line);
      }
      return line.substring(1);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
