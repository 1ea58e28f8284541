package io.hookrelay.sink;

import io.hookrelay.delivery.Signer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The test receiver: answers webhook POSTs on any path the way {@link SinkOptions} says, and counts what arrived.
 *
 * <p>{@code GET /stats} and {@code GET /received/{webhook_id}} expose the counts; they ignore --status, --fail-rate
 * and --latency-ms so a k6 script or a test can always read them.
 */
public final class SinkServer {
  /** Same window Standard Webhooks recommends to receivers against replays. */
  public static final long SIGNATURE_TOLERANCE_SECONDS = 300;

  private static final String RECEIVED_PREFIX = "/received/";

  private final Vertx vertx;
  private final SinkOptions options;
  private final LongAdder received = new LongAdder();
  private final LongAdder validSignatures = new LongAdder();
  private final LongAdder invalidSignatures = new LongAdder();
  private final LongAdder duplicates = new LongAdder();
  // one small entry per webhook-id, never evicted: a few million ids cost a few hundred MB, enough for tests and benchmarks
  private final ConcurrentHashMap<String, Seen> seen = new ConcurrentHashMap<>();
  private volatile HttpServer server;
  private volatile long reportTimer = -1;

  /** Counts at one moment; {@code verifying} says whether a secret was given to check signatures with. */
  public record Stats(long received, long validSignatures, long invalidSignatures, long duplicates, long distinct,
      boolean verifying) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("received", received)
          .put("valid_signatures", validSignatures)
          .put("invalid_signatures", invalidSignatures)
          .put("duplicates", duplicates)
          .put("distinct", distinct);
    }

    /** Without a secret nothing is checked: "valid=0" would read like a failure, so it says "unverified". */
    public String line() {
      String signatures = verifying ? "valid=" + validSignatures + " invalid=" + invalidSignatures
          : "unverified (no --secret)";
      return "sink: received=" + received + " " + signatures + " duplicates=" + duplicates + " distinct=" + distinct;
    }
  }

  /** What the sink knows of one webhook-id: how often it came and when it first did (for delivery lag). */
  public record Received(String webhookId, long count, long firstReceivedAtMs) {
    public JsonObject toJson() {
      return new JsonObject()
          .put("webhook_id", webhookId)
          .put("count", count)
          .put("first_received_at_ms", firstReceivedAtMs);
    }
  }

  private static final class Seen {
    final long firstReceivedAtMs;
    final AtomicLong count = new AtomicLong();

    Seen(long firstReceivedAtMs) {
      this.firstReceivedAtMs = firstReceivedAtMs;
    }
  }

  private SinkServer(Vertx vertx, SinkOptions options) {
    this.vertx = vertx;
    this.options = options;
  }

  /** Listens on the options' host and port; the future fails when the port is taken. */
  public static Future<SinkServer> start(Vertx vertx, SinkOptions options) {
    SinkServer sink = new SinkServer(vertx, options);
    io.vertx.core.http.HttpServerOptions serverOptions = new io.vertx.core.http.HttpServerOptions();
    if (options.tlsCert() != null) {
      // HTTPS, with HTTP/2 offered first by ALPN: what a modern webhook receiver looks like
      serverOptions.setSsl(true).setUseAlpn(true)
          .setAlpnVersions(java.util.List.of(io.vertx.core.http.HttpVersion.HTTP_2, io.vertx.core.http.HttpVersion.HTTP_1_1))
          .setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions().setCertPath(options.tlsCert())
              .setKeyPath(options.tlsKey()));
    }
    return vertx.createHttpServer(serverOptions)
        .requestHandler(sink::handle)
        .listen(options.port(), options.host())
        .map(server -> {
          sink.server = server;
          if (!options.quiet()) {
            sink.startReporting();
          }
          return sink;
        });
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return server.actualPort();
  }

  public SinkOptions options() {
    return options;
  }

  public Stats stats() {
    return new Stats(received.sum(), validSignatures.sum(), invalidSignatures.sum(), duplicates.sum(), seen.size(),
        options.secret() != null);
  }

  public Optional<Received> received(String webhookId) {
    Seen s = seen.get(webhookId);
    return s == null ? Optional.empty() : Optional.of(new Received(webhookId, s.count.get(), s.firstReceivedAtMs));
  }

  public Future<Void> close() {
    if (reportTimer >= 0) {
      vertx.cancelTimer(reportTimer);
    }
    return server == null ? Future.succeededFuture() : server.close();
  }

  private void handle(HttpServerRequest request) {
    if (request.method() == HttpMethod.POST) {
      long arrivedAtMs = System.currentTimeMillis();
      request.body()
          .onSuccess(body -> {
            record(request, body, arrivedAtMs);
            answerWebhook(request.response());
          })
          .onFailure(err -> {
            if (!request.response().ended() && !request.response().closed()) {
              request.response().setStatusCode(400).end();
            }
          });
      return;
    }
    if (request.method() == HttpMethod.GET) {
      String path = request.path();
      if (path.equals("/stats") || path.equals("/stats/")) {
        json(request.response(), 200, stats().toJson());
        return;
      }
      if (path.startsWith(RECEIVED_PREFIX)) {
        String id = URLDecoder.decode(stripSlash(path.substring(RECEIVED_PREFIX.length())), StandardCharsets.UTF_8);
        received(id).ifPresentOrElse(
            r -> json(request.response(), 200, r.toJson()),
            () -> json(request.response(), 404, new JsonObject().put("error", "not_found")
                .put("detail", "no request with webhook-id '" + id + "' has arrived")));
        return;
      }
      json(request.response(), 404, new JsonObject().put("error", "not_found")
          .put("detail", "GET serves /stats and /received/{webhook_id}; webhooks are POSTed to any path"));
      return;
    }
    request.response().setStatusCode(405).putHeader(HttpHeaders.ALLOW, "GET, POST").end();
  }

  private void record(HttpServerRequest request, Buffer body, long arrivedAtMs) {
    received.increment();
    String webhookId = request.getHeader("webhook-id");
    if (options.secret() != null) {
      boolean valid = Signer.verify(options.secret(), webhookId, request.getHeader("webhook-timestamp"),
          body.getBytes(), request.getHeader("webhook-signature"), arrivedAtMs / 1000, SIGNATURE_TOLERANCE_SECONDS);
      (valid ? validSignatures : invalidSignatures).increment();
    }
    if (webhookId != null) {
      Seen s = seen.computeIfAbsent(webhookId, id -> new Seen(arrivedAtMs));
      if (s.count.incrementAndGet() > 1) {
        duplicates.increment();
      }
    }
  }

  private void answerWebhook(HttpServerResponse response) {
    double failRate = options.failRate();
    int status = failRate > 0 && ThreadLocalRandom.current().nextDouble() < failRate ? 500 : options.status();
    if (options.latencyMs() > 0) {
      // a timer, not a sleep: the event loop keeps serving other requests meanwhile
      vertx.setTimer(options.latencyMs(), id -> answer(response, status));
    } else {
      answer(response, status);
    }
  }

  private void answer(HttpServerResponse response, int status) {
    if (response.closed()) {
      return; // the sender gave up (its timeout) before our latency elapsed
    }
    response.setStatusCode(status);
    if ((status < 200 || status > 299) && options.retryAfterSeconds() != null) {
      response.putHeader(HttpHeaders.RETRY_AFTER, Integer.toString(options.retryAfterSeconds()));
    }
    response.end();
  }

  private void startReporting() {
    Stats[] last = {stats()};
    reportTimer = vertx.setPeriodic(1000, id -> {
      Stats now = stats();
      if (!now.equals(last[0])) {
        last[0] = now;
        System.out.println(now.line());
      }
    });
  }

  private static void json(HttpServerResponse response, int status, JsonObject body) {
    response.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "application/json").end(body.encode());
  }

  private static String stripSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
