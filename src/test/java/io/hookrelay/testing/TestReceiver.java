package io.hookrelay.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A real HTTP receiver for delivery tests: records every request it gets and answers as the test's script says
 * (a status, a delay, a header, no answer at all, or a reset connection).
 */
public final class TestReceiver implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger count = new AtomicInteger();
  private final Function<Integer, Answer> script;
  private HttpServer server;

  /** What the receiver does with request number n (1-based). */
  public record Answer(int status, long delayMs, Map<String, String> headers, boolean hangs, boolean resets) {
    public static Answer status(int status) {
      return new Answer(status, 0, Map.of(), false, false);
    }

    public static Answer withHeader(int status, String name, String value) {
      return new Answer(status, 0, Map.of(name, value), false, false);
    }

    public static Answer delayed(int status, long delayMs) {
      return new Answer(status, delayMs, Map.of(), false, false);
    }

    public static Answer hangUp() {
      return new Answer(0, 0, Map.of(), true, false);
    }

    public static Answer resetConnection() {
      return new Answer(0, 0, Map.of(), false, true);
    }
  }

  /** A request as it arrived. */
  public record Received(int number, String path, Map<String, String> headers, byte[] body, long atMillis) {
    public String header(String name) {
      return headers.get(name.toLowerCase());
    }

    public String bodyText() {
      return new String(body, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private TestReceiver(Function<Integer, Answer> script) {
    this.script = script;
  }

  public static TestReceiver start(Function<Integer, Answer> script) {
    TestReceiver r = new TestReceiver(script);
    try {
      r.server = r.vertx.createHttpServer().requestHandler(r::handle).listen(0, "127.0.0.1")
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return r;
  }

  /** A receiver that answers every request with this status. */
  public static TestReceiver answering(int status) {
    return start(n -> Answer.status(status));
  }

  private void handle(HttpServerRequest request) {
    request.body().onSuccess(body -> {
      int n = count.incrementAndGet();
      Map<String, String> headers = new java.util.HashMap<>();
      request.headers().forEach(e -> headers.put(e.getKey().toLowerCase(), e.getValue()));
      received.add(new Received(n, request.path(), headers, body.getBytes(), System.currentTimeMillis()));
      Answer a = script.apply(n);
      if (a.hangs()) {
        return;
      }
      if (a.resets()) {
        request.connection().close();
        return;
      }
      Runnable answer = () -> {
        a.headers().forEach((k, v) -> request.response().putHeader(k, v));
        request.response().setStatusCode(a.status()).end("answer " + n);
      };
      if (a.delayMs() > 0) {
        vertx.setTimer(a.delayMs(), id -> answer.run());
      } else {
        answer.run();
      }
    });
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/hook";
  }

  public List<Received> received() {
    return List.copyOf(received);
  }

  public int count() {
    return count.get();
  }

  public void awaitCount(int n, Duration timeout) {
    Await.until(timeout, n + " requests at " + url() + " (got " + count.get() + ")", () -> count.get() >= n);
  }

  @Override
  public void close() {
    vertx.close();
  }
}
