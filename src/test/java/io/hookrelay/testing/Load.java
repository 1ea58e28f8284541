package io.hookrelay.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A producer for reliability tests: POSTs webhooks to a node from a few threads, in the background, and keeps what
 * the node answered: the webhook ids acknowledged with 202 (and when each was sent), and a count per status, with
 * connection failures counted apart. Each request gets its own body, so every webhook is a distinct message.
 */
public final class Load implements AutoCloseable {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2))
      .executor(Executors.newFixedThreadPool(4)).build();
  private final ExecutorService senders;
  private final int threads;
  private final Map<String, Long> acknowledged = new ConcurrentHashMap<>();
  private final Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
  private final AtomicInteger connectionFailures = new AtomicInteger();
  private final AtomicInteger sent = new AtomicInteger();
  private CountDownLatch finished = new CountDownLatch(0);

  public Load(int threads) {
    this.threads = threads;
    this.senders = Executors.newFixedThreadPool(threads);
  }

  /**
   * Starts sending {@code count} webhooks in the background to the ingest URL {@code target.apply(i)} (a full URL,
   * e.g. a node's /ingest/{id}), at most {@code perSecond} a second when that is above 0.
   */
  public Load send(int count, IntFunction<String> target, String apiKey, double perSecond) {
    finished = new CountDownLatch(threads);
    AtomicInteger next = new AtomicInteger();
    long start = System.nanoTime();
    for (int t = 0; t < threads; t++) {
      senders.execute(() -> {
        try {
          for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
            if (perSecond > 0) {
              pace(start + (long) (i / perSecond * 1e9));
            }
            sendOne(target.apply(i), apiKey, i);
          }
        } finally {
          finished.countDown();
        }
      });
    }
    return this;
  }

  private static void pace(long dueNanos) {
    long wait = dueNanos - System.nanoTime();
    if (wait > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(wait); // the producer's clock, not a wait on the system under test
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void sendOne(String url, String apiKey, int i) {
    sent.incrementAndGet();
    long sentAt = System.currentTimeMillis();
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15))
        .header("Authorization", "Bearer " + apiKey)
        .header("Content-Type", "application/json")
        .header("X-Event-Type", "load.test")
        .POST(HttpRequest.BodyPublishers.ofString("{\"n\":" + i + ",\"nonce\":\"" + java.util.UUID.randomUUID() + "\"}"))
        .build();
    try {
      HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
      statuses.computeIfAbsent(response.statusCode(), k -> new AtomicInteger()).incrementAndGet();
      if (response.statusCode() == 202) {
        acknowledged.put(new io.vertx.core.json.JsonObject(response.body()).getString("webhook_id"), sentAt);
      }
    } catch (java.io.IOException e) {
      connectionFailures.incrementAndGet(); // the node was down or went down mid-request: not acknowledged
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Waits until every webhook of the last {@link #send} has had its answer. */
  public Load await(Duration timeout) {
    try {
      if (!finished.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new AssertionError("load did not finish within " + timeout + " (sent " + sent.get() + ")");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
    return this;
  }

  public int sent() {
    return sent.get();
  }

  /** Webhook ids the node answered 202 for. */
  public Set<String> acknowledged() {
    return Set.copyOf(acknowledged.keySet());
  }

  /** When the request that got this webhook id was sent (epoch ms). */
  public long sentAt(String webhookId) {
    return acknowledged.get(webhookId);
  }

  public int count(int status) {
    AtomicInteger n = statuses.get(status);
    return n == null ? 0 : n.get();
  }

  public int connectionFailures() {
    return connectionFailures.get();
  }

  /** The answers by status, for messages. */
  public String summary() {
    return "statuses " + statuses + ", connection failures " + connectionFailures.get();
  }

  /** The answers that were neither 202 nor 503 (which would be bugs under chaos). */
  public List<Integer> unexpectedStatuses() {
    return statuses.keySet().stream().filter(s -> s != 202 && s != 503).toList();
  }

  @Override
  public void close() {
    senders.shutdownNow();
    http.executor().ifPresent(e -> ((ExecutorService) e).shutdownNow());
  }
}
