package io.hookrelay.testing;

import io.hookrelay.Node;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A whole hookrelay node in the test JVM, on a fresh database, its own Redis key prefix and a free port, with a
 * fast retry schedule; plus a small HTTP client for its API.
 */
public final class TestNode implements AutoCloseable {
  public static final String API_KEY = "test-key-0123456789abcdef";

  public final Node node;
  public final String baseUrl;
  public final String databaseUrl;
  public final String redisUrl;
  public final String redisPrefix;
  public final Map<String, String> env;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private TestNode(Node node, Map<String, String> env) {
    this.node = node;
    this.env = env;
    this.baseUrl = "http://127.0.0.1:" + node.config().httpPort();
    this.databaseUrl = node.config().databaseUrl();
    this.redisUrl = node.config().redisUrl();
    this.redisPrefix = node.config().redisKeyPrefix();
  }

  /** Starts a node; {@code overrides} are HOOKRELAY_* variables that replace the test defaults. */
  public static TestNode start(Map<String, String> overrides) {
    Map<String, String> env = defaults();
    env.putAll(overrides);
    return startWith(env);
  }

  public static TestNode start() {
    return start(Map.of());
  }

  /** The variables a test node starts with: all real servers, nothing embedded, fast retries. */
  public static Map<String, String> defaults() {
    Map<String, String> env = new HashMap<>();
    env.put("HOOKRELAY_DATABASE_URL", TestServers.freshDatabase());
    env.put("HOOKRELAY_REDIS_URL", TestServers.redisUrl());
    env.put("HOOKRELAY_REDIS_KEY_PREFIX", "t" + UUID.randomUUID().toString().substring(0, 8) + ":");
    env.put("HOOKRELAY_HTTP_PORT", Integer.toString(freePort()));
    env.put("HOOKRELAY_HTTP_HOST", "127.0.0.1");
    env.put("HOOKRELAY_API_KEYS", API_KEY);
    env.put("HOOKRELAY_ALLOW_PRIVATE_TARGETS", "true");
    env.put("HOOKRELAY_RETRY_SCHEDULE", "100ms,200ms,300ms,400ms");
    env.put("HOOKRELAY_DELIVERY_TIMEOUT", "2s");
    env.put("HOOKRELAY_VISIBILITY_TIMEOUT", "5s");
    env.put("HOOKRELAY_RECOVERY_INTERVAL", "500ms");
    env.put("HOOKRELAY_RECOVERY_GRACE", "2s");
    env.put("HOOKRELAY_HTTP_INSTANCES", "2");
    env.put("HOOKRELAY_DELIVERY_INSTANCES", "2");
    env.put("HOOKRELAY_DATABASE_POOL_SIZE", "8");
    env.put("HOOKRELAY_SHUTDOWN_TIMEOUT", "5s");
    try {
      env.put("HOOKRELAY_DATA_DIR", Files.createTempDirectory("hookrelay-node").toString());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return env;
  }

  /** Starts a node with exactly these variables (a restart reuses a previous node's {@link #env}). */
  public static TestNode startWith(Map<String, String> env) {
    try {
      return new TestNode(Node.start(env), env);
    } catch (Exception e) {
      throw new IllegalStateException("node did not start", e);
    }
  }

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    node.stop();
  }

  // --- the API, as a client sees it ---

  public Response get(String path) {
    return send("GET", path, null, Map.of());
  }

  public Response post(String path, Object json) {
    return send("POST", path, json == null ? null : json.toString(), Map.of());
  }

  public Response post(String path, Object json, Map<String, String> headers) {
    return send("POST", path, json == null ? null : json.toString(), headers);
  }

  public Response patch(String path, Object json) {
    return send("PATCH", path, json.toString(), Map.of());
  }

  public Response delete(String path) {
    return send("DELETE", path, null, Map.of());
  }

  /** Any request; headers given here replace the defaults (Authorization, Content-Type). */
  public Response send(String method, String path, String body, Map<String, String> headers) {
    Map<String, String> all = new HashMap<>();
    all.put("Authorization", "Bearer " + API_KEY);
    if (body != null) {
      all.put("Content-Type", "application/json");
    }
    all.putAll(headers);
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    all.forEach((k, v) -> {
      if (v != null) {
        b.header(k, v);
      }
    });
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Response(r.statusCode(), r.body(), r.headers().map());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Creates a subscription to {@code targetUrl} (with optional extra fields) and answers its JSON (with secret). */
  public JsonObject subscribe(String targetUrl, JsonObject extra) {
    JsonObject body = new JsonObject().put("target_url", targetUrl);
    if (extra != null) {
      body.mergeIn(extra);
    }
    Response r = post("/subscriptions", body);
    if (r.status() != 201) {
      throw new AssertionError("create subscription: " + r);
    }
    return r.json();
  }

  /** Ingests a payload to one subscription and answers the webhook id. */
  public String ingest(String subscriptionId, JsonObject payload) {
    Response r = post("/ingest/" + subscriptionId, payload);
    if (r.status() != 202) {
      throw new AssertionError("ingest: " + r);
    }
    return r.json().getString("webhook_id");
  }

  public JsonObject status(String webhookId) {
    return get("/status/" + webhookId).json();
  }

  /** Waits until the webhook's status is one of {@code statuses}; answers the status document. */
  public JsonObject awaitStatus(String webhookId, Duration timeout, String... statuses) {
    java.util.List<String> wanted = java.util.List.of(statuses);
    return Await.value(timeout, "webhook " + webhookId + " to reach " + wanted, () -> status(webhookId),
        s -> wanted.contains(s.getString("status")));
  }

  /** One number from SQL on this node's database. */
  public long count(String sql) {
    try (Connection c = TestServers.jdbc(databaseUrl); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
      r.next();
      return r.getLong(1);
    } catch (Exception e) {
      throw new IllegalStateException(sql, e);
    }
  }

  /** An HTTP answer: status, body and headers. */
  public record Response(int status, String body, Map<String, java.util.List<String>> headers) {
    public JsonObject json() {
      return new JsonObject(body);
    }

    public JsonArray array() {
      return new JsonArray(body);
    }

    public String header(String name) {
      return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
          .map(e -> e.getValue().get(0)).findFirst().orElse(null);
    }
  }

  public Path dataDir() {
    return node.config().dataDir();
  }
}
