package io.hookrelay.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.embedded.EmbeddedRedis;
import io.hookrelay.testing.NodeProcess;
import io.hookrelay.testing.OrderingReceiver;
import io.hookrelay.testing.RedisCommands;
import io.hookrelay.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Chaos: ordered delivery under failure. 50 keys × 200 webhooks go to one ordered subscription whose receiver fails
 * a fifth of the requests and resets some connections, while two delivery nodes share the work; one of them is
 * killed with kill -9 mid-run (or, in the second test, Redis is flushed). For every key, no webhook is attempted
 * before the one ahead of it was received, the first successful receipts come exactly in ingest order, and nothing
 * is lost.
 */
@Tag("chaos")
class OrderingChaosTest {
  private static final int KEYS = 50;
  private static final int PER_KEY = 200;
  private static final Duration DELIVERED_WITHIN = Duration.ofMinutes(4);

  @Test
  void aDeliveryNodeKilledMidRunBreaksNoKeysOrder() throws Exception {
    run("ordering: 2 delivery nodes, one killed -9", null);
  }

  @Test
  void redisFlushedMidRunBreaksNoKeysOrder() throws Exception {
    Path dir = Files.createTempDirectory("hookrelay-ordering-redis");
    EmbeddedRedis redis = EmbeddedRedis.start(dir.resolve("redis"));
    try {
      run("ordering: Redis FLUSHALL mid-run", redis.url());
    } finally {
      redis.close();
    }
  }

  private void run(String scenario, String flushRedisUrl) throws Exception {
    Map<String, String> overrides = new HashMap<>(Map.of("HOOKRELAY_ROLES", "api",
        "HOOKRELAY_MAX_ATTEMPTS", "30", "HOOKRELAY_RETRY_SCHEDULE", "100ms,200ms,300ms"));
    if (flushRedisUrl != null) {
      overrides.put("HOOKRELAY_REDIS_URL", flushRedisUrl);
    }
    List<String> keys = new ArrayList<>();
    for (int k = 0; k < KEYS; k++) {
      keys.add("key-" + k);
    }
    try (TestNode api = TestNode.start(overrides); OrderingReceiver receiver = OrderingReceiver.start(0.2, 0.03)) {
      NodeProcess first = delivery(api, "a");
      NodeProcess second = delivery(api, "b");
      try {
        String subscription = api.subscribe(receiver.url(), new JsonObject().put("ordering", "per_key")
            .put("max_in_flight", 64)).getString("id");
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicInteger sent = new AtomicInteger();
        ExecutorService senders = Executors.newFixedThreadPool(KEYS);
        List<Future<?>> done = new ArrayList<>();
        HttpClient http = HttpClient.newHttpClient();
        for (String key : keys) {
          // one sender per key, each waiting for its 202 before the next: so ingest order is the order of n
          done.add(senders.submit(() -> {
            for (int n = 1; n <= PER_KEY; n++) {
              sent.incrementAndGet();
              acknowledged.add(ingest(http, api, subscription, key, n));
            }
            return null;
          }));
        }
        io.hookrelay.testing.Await.until(Duration.ofSeconds(120), "a third of the webhooks received",
            () -> receiver.received() >= KEYS * PER_KEY / 3);
        String notes;
        if (flushRedisUrl == null) {
          first.kill();
          notes = "delivery node a killed with " + receiver.received() + " received";
        } else {
          RedisCommands.call(flushRedisUrl, "FLUSHALL");
          notes = "Redis flushed with " + receiver.received() + " received";
        }
        for (Future<?> f : done) {
          f.get(3, TimeUnit.MINUTES);
        }
        senders.shutdown();
        receiver.awaitAll(keys, PER_KEY, DELIVERED_WITHIN);

        assertThat(receiver.violations()).as("attempts ahead of their turn").isEmpty();
        assertThat(receiver.keysNotReceivedInOrder(keys, PER_KEY)).as("keys out of order").isEmpty();
        ChaosReport.record(scenario, sent.get(), acknowledged, delivered(api, subscription), receiver.duplicates(),
            KEYS + " keys × " + PER_KEY + ", 20 % failed, 3 % reset; " + notes + "; " + receiver.requests()
                + " requests, " + receiver.duplicates() + " duplicates, 0 order violations");
      } finally {
        first.close();
        second.close();
      }
    }
  }

  /** A delivery-only node JVM on the API node's PostgreSQL, Redis and key prefix. */
  private static NodeProcess delivery(TestNode api, String name) throws Exception {
    Map<String, String> env = new HashMap<>(api.env);
    env.put("HOOKRELAY_ROLES", "delivery");
    env.put("HOOKRELAY_HTTP_PORT", Integer.toString(TestNode.freePort()));
    env.put("HOOKRELAY_DATA_DIR", Files.createTempDirectory("hookrelay-ordering-" + name).toString());
    return NodeProcess.start(env, Path.of("target", "chaos-logs", "ordering-" + name + ".log"), Duration.ofSeconds(120));
  }

  /** The webhooks that succeeded, by the database: what the receiver got, counted once each. */
  private static Set<String> delivered(TestNode api, String subscription) throws Exception {
    Set<String> ids = new java.util.HashSet<>();
    try (var c = io.hookrelay.testing.TestServers.jdbc(api.databaseUrl); var st = c.createStatement();
         var rs = st.executeQuery("SELECT id FROM deliveries WHERE subscription_id = '" + subscription
             + "' AND status = 'succeeded'")) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    return ids;
  }

  private static String ingest(HttpClient http, TestNode api, String subscription, String key, int n)
      throws Exception {
    String body = new JsonObject().put("key", key).put("n", n).encode();
    for (int tries = 0; ; tries++) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api.baseUrl + "/ingest/" + subscription))
          .header("Authorization", "Bearer " + TestNode.API_KEY).header("Content-Type", "application/json")
          .header("X-Ordering-Key", key).timeout(Duration.ofSeconds(30))
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 202) {
        return new JsonObject(r.body()).getString("webhook_id");
      }
      if (tries > 20) {
        throw new AssertionError("ingest " + key + "/" + n + ": " + r.statusCode() + " " + r.body());
      }
      Thread.sleep(100); // a 429 or 503 asks to come back; the order of this key waits with it
    }
  }
}
