package io.hookrelay.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A receiver for ordered delivery: payloads carry {"key": k, "n": n}, n counting from 1 in ingest order per key. It
 * fails a share of requests at random (500) and resets some connections, and checks what ordering promises: an
 * attempt of webhook n arrives only after every webhook before it in its key was received successfully, and each
 * key's first successful receipts come in increasing order. Duplicates of webhooks already received are counted.
 */
public final class OrderingReceiver implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final double failShare;
  private final double resetShare;
  private final Map<String, List<Integer>> firstSuccesses = new ConcurrentHashMap<>();
  private final Map<String, Integer> highestInOrder = new ConcurrentHashMap<>();
  private final List<Violation> violations = java.util.Collections.synchronizedList(new ArrayList<>());
  private final AtomicInteger duplicates = new AtomicInteger();
  private final AtomicInteger requests = new AtomicInteger();
  private HttpServer server;

  private OrderingReceiver(double failShare, double resetShare) {
    this.failShare = failShare;
    this.resetShare = resetShare;
  }

  /** Fails {@code failShare} of requests with a 500 and resets {@code resetShare} of connections, at random. */
  public static OrderingReceiver start(double failShare, double resetShare) {
    OrderingReceiver r = new OrderingReceiver(failShare, resetShare);
    try {
      r.server = r.vertx.createHttpServer().requestHandler(r::handle).listen(0, "127.0.0.1")
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      r.close();
      throw new IllegalStateException(e);
    }
    return r;
  }

  private void handle(HttpServerRequest request) {
    request.body().onSuccess(body -> {
      requests.incrementAndGet();
      JsonObject payload = body.toJsonObject();
      String key = payload.getString("key");
      int n = payload.getInteger("n");
      synchronized (this) {
        int received = highestInOrder.getOrDefault(key, 0);
        if (n > received + 1) { // an attempt of n before n - 1 was received
          violations.add(new Violation(key, n, received));
        }
      }
      double draw = ThreadLocalRandom.current().nextDouble();
      if (draw < resetShare) {
        request.connection().close();
        return;
      }
      if (draw < resetShare + failShare) {
        request.response().setStatusCode(500).end();
        return;
      }
      synchronized (this) {
        List<Integer> seen = firstSuccesses.computeIfAbsent(key, k -> new ArrayList<>());
        if (seen.contains(n)) {
          duplicates.incrementAndGet();
        } else {
          seen.add(n);
          highestInOrder.merge(key, n, Math::max);
        }
      }
      request.response().setStatusCode(204).end();
    });
  }

  public String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/ordered";
  }

  /** An attempt of webhook {@code n} of {@code key} while the highest received before it was {@code received}. */
  public record Violation(String key, int n, int received) {
    /** Whether every webhook skipped over (received + 1 to n - 1) failed for good, which 'skip' allows. */
    boolean excusedBy(java.util.Set<String> failedForGood) {
      for (int m = received + 1; m < n; m++) {
        if (!failedForGood.contains(key + "/" + m)) {
          return false;
        }
      }
      return true;
    }
  }

  /** Attempts that arrived before an earlier webhook of their key had been received. */
  public List<Violation> violations() {
    return List.copyOf(violations);
  }

  /** The same, less those that only skipped webhooks that failed for good (named "key/n"). */
  public List<Violation> violationsExcept(java.util.Set<String> failedForGood) {
    return violations().stream().filter(v -> !v.excusedBy(failedForGood)).toList();
  }

  /** Successful receipts of a webhook already received. */
  public int duplicates() {
    return duplicates.get();
  }

  public int requests() {
    return requests.get();
  }

  /** Keys whose first successful receipts are not exactly 1, 2, …, {@code perKey}. */
  public List<String> keysNotReceivedInOrder(List<String> keys, int perKey) {
    return keysNotReceivedInOrderExcept(keys, perKey, java.util.Set.of());
  }

  /** The same, where webhooks that failed for good (named "key/n") may be missing from the sequence. */
  public synchronized List<String> keysNotReceivedInOrderExcept(List<String> keys, int perKey,
      java.util.Set<String> failedForGood) {
    List<String> bad = new ArrayList<>();
    for (String key : keys) {
      List<Integer> seen = firstSuccesses.getOrDefault(key, List.of());
      List<Integer> expected = new ArrayList<>();
      for (int n = 1; n <= perKey; n++) {
        if (!failedForGood.contains(key + "/" + n)) {
          expected.add(n);
        }
      }
      boolean inOrder = seen.equals(expected);
      if (!inOrder) {
        bad.add(key + " " + (seen.size() > 12 ? seen.subList(0, 12) + "…(" + seen.size() + ")" : seen));
      }
    }
    return bad;
  }

  /** Waits until every key has received {@code perKey} webhooks. */
  public void awaitAll(List<String> keys, int perKey, Duration timeout) {
    Await.until(timeout, "every key to receive " + perKey + " webhooks", () -> {
      synchronized (this) {
        return keys.stream().allMatch(k -> firstSuccesses.getOrDefault(k, List.of()).size() >= perKey);
      }
    });
  }

  public synchronized int received() {
    return firstSuccesses.values().stream().mapToInt(List::size).sum();
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
