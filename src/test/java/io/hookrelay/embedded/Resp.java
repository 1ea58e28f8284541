package io.hookrelay.embedded;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Just enough of the Redis protocol over a raw socket to SET, GET and CONFIG GET in tests. */
final class Resp {

  private Resp() {
  }

  /** Sends one command; returns its reply as text (arrays joined by spaces, nil as null). */
  static String call(int port, String... args) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", port)) {
      socket.setSoTimeout(10_000);
      StringBuilder request = new StringBuilder("*").append(args.length).append("\r\n");
      for (String arg : args) {
        request.append('$').append(arg.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(arg).append("\r\n");
      }
      OutputStream out = socket.getOutputStream();
      out.write(request.toString().getBytes(StandardCharsets.UTF_8));
      out.flush();
      return read(new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8)));
    }
  }

  private static String read(BufferedReader in) throws IOException {
    String line = in.readLine();
    if (line == null) {
      throw new IOException("connection closed before a reply");
    }
    String rest = line.substring(1);
    switch (line.charAt(0)) {
      case '+':
      case ':':
        return rest;
      case '-':
        throw new IOException("Redis error: " + rest);
      case '$':
        return Integer.parseInt(rest) < 0 ? null : in.readLine(); // test values hold no line breaks
      case '*':
        List<String> items = new ArrayList<>();
        for (int i = Integer.parseInt(rest); i > 0; i--) {
          items.add(read(in));
        }
        return String.join(" ", items);
      default:
        throw new IOException("unexpected reply " + line);
    }
  }
}
