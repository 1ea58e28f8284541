package io.hookrelay.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A small HTTP CONNECT proxy for tests: reads the request line and headers, checks Proxy-Authorization when told to,
 * answers 200 and pipes bytes both ways. Anything but CONNECT gets a 501. Records every request line it saw.
 */
public final class ConnectProxy implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final List<String> requestLines = new CopyOnWriteArrayList<>();
  private final String requiredAuthorization;
  private NetServer server;
  private NetClient client;

  private ConnectProxy(String requiredAuthorization) {
    this.requiredAuthorization = requiredAuthorization;
  }

  /** A proxy that lets anyone through; or, with a Proxy-Authorization value, only requests carrying it. */
  public static ConnectProxy start(String requiredAuthorization) {
    ConnectProxy p = new ConnectProxy(requiredAuthorization);
    p.client = p.vertx.createNetClient();
    try {
      p.server = p.vertx.createNetServer().connectHandler(p::handle).listen(0, "127.0.0.1")
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return p;
  }

  private void handle(NetSocket socket) {
    Buffer head = Buffer.buffer();
    socket.handler(chunk -> {
      head.appendBuffer(chunk);
      String text = head.toString(StandardCharsets.ISO_8859_1);
      int end = text.indexOf("\r\n\r\n");
      if (end < 0) {
        return;
      }
      socket.handler(null);
      socket.pause();
      String[] lines = text.substring(0, end).split("\r\n");
      requestLines.add(lines[0]);
      String authorization = null;
      for (String line : lines) {
        if (line.toLowerCase(Locale.ROOT).startsWith("proxy-authorization:")) {
          authorization = line.substring(line.indexOf(':') + 1).trim();
        }
      }
      if (!lines[0].startsWith("CONNECT ")) {
        socket.end(Buffer.buffer("HTTP/1.1 501 Not Implemented\r\ncontent-length: 0\r\n\r\n"));
        return;
      }
      if (requiredAuthorization != null && !requiredAuthorization.equals(authorization)) {
        socket.end(Buffer.buffer("HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n"));
        return;
      }
      String target = lines[0].split(" ")[1];
      int colon = target.lastIndexOf(':');
      client.connect(Integer.parseInt(target.substring(colon + 1)), target.substring(0, colon))
          .onSuccess(upstream -> socket.write(Buffer.buffer("HTTP/1.1 200 Connection established\r\n\r\n"))
              .onComplete(v -> {
                upstream.pipeTo(socket);
                socket.pipeTo(upstream);
              }))
          .onFailure(err -> socket.end(Buffer.buffer("HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n")));
    });
  }

  /** http://127.0.0.1:port, with the credentials when given. */
  public String url(String userInfo) {
    return "http://" + (userInfo == null ? "" : userInfo + "@") + "127.0.0.1:" + server.actualPort();
  }

  public List<String> requestLines() {
    return List.copyOf(requestLines);
  }

  @Override
  public void close() {
    vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
  }
}
