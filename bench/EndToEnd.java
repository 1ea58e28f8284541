import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * End-to-end figure for a local node and sink: ingests N webhooks (at most C in flight, optionally paced to R per
 * second), notes when each 202 arrived, waits until the sink has them all, then reads each one's first arrival from
 * the sink's GET /received/{webhook_id}. Prints deliveries per second and the 202-to-delivery lag percentiles.
 * JDK only: {@code java bench/EndToEnd.java <api-base> <api-key> <sink-base> <count> <concurrency> [rate-per-s]}.
 */
public class EndToEnd {
  private static final Pattern ID = Pattern.compile("\"(?:id|webhook_id)\"\\s*:\\s*\"([^\"]+)\"");
  private static final Pattern RECEIVED = Pattern.compile("\"received\"\\s*:\\s*(\\d+)");
  private static final Pattern FIRST = Pattern.compile("\"first_received_at_ms\"\\s*:\\s*(\\d+)");

  public static void main(String[] args) throws Exception {
    String api = args[0];
    String key = args[1];
    String sink = args[2];
    int count = Integer.parseInt(args[3]);
    int concurrency = Integer.parseInt(args[4]);
    double rate = args.length > 5 ? Double.parseDouble(args[5]) : 0;
    HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();

    String sub = http.send(HttpRequest.newBuilder(URI.create(api + "/subscriptions"))
            .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"target_url\":\"" + sink + "/hook\"}")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    String subscriptionId = first(ID, sub);
    long receivedBefore = received(http, sink);

    ConcurrentHashMap<String, Long> acceptedAt = new ConcurrentHashMap<>();
    AtomicInteger rejected = new AtomicInteger();
    Semaphore slots = new Semaphore(concurrency);
    List<CompletableFuture<?>> all = new ArrayList<>(count);
    long start = System.currentTimeMillis();
    for (int i = 0; i < count; i++) {
      if (rate > 0) {
        long due = start + (long) (i * 1000 / rate);
        long wait = due - System.currentTimeMillis();
        if (wait > 0) {
          Thread.sleep(wait);
        }
      }
      slots.acquire();
      HttpRequest req = HttpRequest.newBuilder(URI.create(api + "/ingest/" + subscriptionId))
          .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
          .header("X-Event-Type", "bench.event")
          .POST(HttpRequest.BodyPublishers.ofString("{\"n\":" + i + ",\"amount\":99.99,\"customer\":\"bench@example.com\"}"))
          .build();
      all.add(http.sendAsync(req, HttpResponse.BodyHandlers.ofString()).whenComplete((r, err) -> {
        long at = System.currentTimeMillis();
        slots.release();
        if (err == null && r.statusCode() == 202) {
          acceptedAt.put(first(ID, r.body()), at);
        } else {
          rejected.incrementAndGet();
        }
      }));
    }
    CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).join();
    long ingestMs = System.currentTimeMillis() - start;
    System.out.printf("ingested %d (rejected %d) in %d ms: %.0f/s%n", acceptedAt.size(), rejected.get(), ingestMs,
        acceptedAt.size() * 1000.0 / ingestMs);

    long deadline = System.currentTimeMillis() + 600_000;
    while (received(http, sink) - receivedBefore < acceptedAt.size() && System.currentTimeMillis() < deadline) {
      Thread.sleep(200);
    }

    long[] lags = new long[acceptedAt.size()];
    long[] arrivals = new long[acceptedAt.size()];
    AtomicInteger n = new AtomicInteger();
    Semaphore lookups = new Semaphore(32);
    List<CompletableFuture<?>> reads = new ArrayList<>();
    for (var e : acceptedAt.entrySet()) {
      lookups.acquire();
      reads.add(http.sendAsync(HttpRequest.newBuilder(URI.create(sink + "/received/" + e.getKey())).build(),
          HttpResponse.BodyHandlers.ofString()).whenComplete((r, err) -> {
            lookups.release();
            if (err == null && r.statusCode() == 200) {
              long firstAt = Long.parseLong(first(FIRST, r.body()));
              int i = n.getAndIncrement();
              arrivals[i] = firstAt;
              lags[i] = firstAt - e.getValue();
            }
          }));
    }
    CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).join();
    int got = n.get();
    long[] l = Arrays.copyOf(lags, got);
    long[] a = Arrays.copyOf(arrivals, got);
    Arrays.sort(l);
    Arrays.sort(a);
    long span = a[got - 1] - start;
    System.out.printf("delivered %d/%d; last delivery %d ms after the first ingest: %.0f deliveries/s%n", got,
        acceptedAt.size(), span, got * 1000.0 / span);
    System.out.printf("202-to-delivery lag ms: min %d, median %d, p90 %d, p99 %d, max %d%n", l[0], pct(l, 50),
        pct(l, 90), pct(l, 99), l[got - 1]);
  }

  private static long pct(long[] sorted, int p) {
    return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
  }

  private static long received(HttpClient http, String sink) throws Exception {
    String body = http.send(HttpRequest.newBuilder(URI.create(sink + "/stats")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    return Long.parseLong(first(RECEIVED, body));
  }

  private static String first(Pattern p, String text) {
    Matcher m = p.matcher(text);
    if (!m.find()) {
      throw new IllegalStateException("no " + p + " in " + text);
    }
    return m.group(1);
  }
}
