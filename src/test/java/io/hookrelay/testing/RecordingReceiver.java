package io.hookrelay.testing;

import io.hookrelay.testing.TestReceiver.Answer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A receiver for reliability tests that keeps what a chaos run needs rather than every request: which webhook-ids
 * arrived and how often, when each first arrived, and how many requests were open at once (the most it ever saw).
 * Answers by a script over the arrival number, like {@link TestReceiver}.
 */
public final class RecordingReceiver implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final Function<Arrival, Answer> script;
  private final AtomicInteger requests = new AtomicInteger();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicInteger maxOpen = new AtomicInteger();
  private final Map<String, AtomicInteger> arrivals = new ConcurrentHashMap<>();
  private final Map<String, Long> firstArrival = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> successes = new ConcurrentHashMap<>();
  private final List<Long> arrivalTimes = java.util.Collections.synchronizedList(new ArrayList<>());
  private HttpServer server;

  /** A request as the script sees it: its number (1-based), webhook-id and X-Webhook-Attempt. */
  public record Arrival(int number, String webhookId, int attempt) {
    /** Half of the webhooks, chosen by id, so that a script's choice is stable across a webhook's attempts. */
    public boolean oddHalf() {
      return webhookId != null && (webhookId.hashCode() & 1) == 1;
    }
  }

  private RecordingReceiver(Function<Arrival, Answer> script) {
    this.script = script;
  }

  /** A receiver on a free port; {@code script} decides the answer to request number n (1-based). */
  public static RecordingReceiver start(Function<Integer, Answer> script) {
    return scripted(a -> script.apply(a.number()));
  }

  /** A receiver on a free port whose answer depends on the webhook and its attempt number. */
  public static RecordingReceiver scripted(Function<Arrival, Answer> script) {
    RecordingReceiver r = new RecordingReceiver(script);
    try {
      r.server = r.vertx.createHttpServer().requestHandler(r::handle).listen(0, "127.0.0.1")
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      r.close();
      throw new IllegalStateException(e);
    }
    return r;
  }

  public static RecordingReceiver answering(int status) {
    return start(n -> Answer.status(status));
  }

  private void handle(HttpServerRequest request) {
    long now = System.currentTimeMillis();
    int n = requests.incrementAndGet();
    int nowOpen = open.incrementAndGet();
    maxOpen.accumulateAndGet(nowOpen, Math::max);
    AtomicBoolean closed = new AtomicBoolean();
    Runnable done = () -> {
      if (closed.compareAndSet(false, true)) {
        open.decrementAndGet();
      }
    };
    request.response().closeHandler(v -> done.run());
    request.response().endHandler(v -> done.run());
    request.connection().closeHandler(v -> done.run());
    String webhookId = request.getHeader("webhook-id");
    arrivalTimes.add(now);
    if (webhookId != null) {
      arrivals.computeIfAbsent(webhookId, k -> new AtomicInteger()).incrementAndGet();
      firstArrival.putIfAbsent(webhookId, now);
    }
    String attempt = request.getHeader("x-webhook-attempt");
    Answer a = script.apply(new Arrival(n, webhookId, attempt == null ? 0 : Integer.parseInt(attempt)));
    request.body().onSuccess(body -> {
      if (a.hangs()) {
        return;
      }
      if (a.resets()) {
        request.connection().close();
        return;
      }
      Runnable answer = () -> {
        if (a.status() >= 200 && a.status() < 300 && webhookId != null) {
          successes.computeIfAbsent(webhookId, k -> new AtomicInteger()).incrementAndGet();
        }
        a.headers().forEach((k, v) -> request.response().putHeader(k, v));
        request.response().setStatusCode(a.status()).end();
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

  public int port() {
    return server.actualPort();
  }

  /** Every request that arrived, answered or not. */
  public int requests() {
    return requests.get();
  }

  /** Distinct webhook-ids that arrived at least once. */
  public Set<String> delivered() {
    return Set.copyOf(arrivals.keySet());
  }

  /** Webhook-ids answered with a 2xx at least once. */
  public Set<String> succeeded() {
    return Set.copyOf(successes.keySet());
  }

  /** 2xx answers beyond the first of each webhook-id: deliveries made twice. */
  public int duplicateSuccesses() {
    return successes.values().stream().mapToInt(c -> c.get() - 1).sum();
  }

  /** Arrivals beyond the first of each webhook-id. */
  public int duplicates() {
    return arrivals.values().stream().mapToInt(c -> c.get() - 1).sum();
  }

  public Long firstArrival(String webhookId) {
    return firstArrival.get(webhookId);
  }

  public List<Long> arrivalTimes() {
    synchronized (arrivalTimes) {
      return List.copyOf(arrivalTimes);
    }
  }

  /** The most requests this receiver ever had open at the same time. */
  public int maxOpen() {
    return maxOpen.get();
  }

  public void awaitDelivered(java.util.Collection<String> webhookIds, Duration timeout) {
    Await.until(timeout, webhookIds.size() + " webhooks at " + url() + " (missing "
        + missing(webhookIds).size() + ")", () -> missing(webhookIds).isEmpty());
  }

  public Set<String> missing(java.util.Collection<String> webhookIds) {
    Set<String> missing = new java.util.HashSet<>(webhookIds);
    missing.removeAll(arrivals.keySet());
    return missing;
  }

  @Override
  public void close() {
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // closing a test receiver is best effort
    }
  }
}
