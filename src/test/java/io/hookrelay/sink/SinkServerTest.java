package io.hookrelay.sink;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.delivery.Signer;
import io.hookrelay.delivery.SigningKey;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(VertxExtension.class)
@Timeout(value = 20, timeUnit = TimeUnit.SECONDS)
class SinkServerTest {
  private static final String HOST = "127.0.0.1";
  private static final String BODY = "{\"order\": 42}";

  private Vertx vertx;
  // a field, not a local: Vert.x 5 may collect an unreferenced WebClient and close its pool mid-test
  private WebClient client;

  @BeforeEach
  void setUp(Vertx vertx) {
    this.vertx = vertx;
    this.client = WebClient.create(vertx);
  }

  @Test
  void counts_requests_and_detects_duplicate_webhook_ids(VertxTestContext ctx) {
    start("--port", "0", "--quiet")
        .compose(sink -> post(sink, "msg_a", BODY)
            .compose(r -> post(sink, "msg_a", BODY))
            .compose(r -> post(sink, "msg_b", BODY))
            .compose(r -> post(sink, null, BODY))
            .compose(r -> get(sink, "/stats")))
        .onComplete(ctx.succeeding(stats -> ctx.verify(() -> {
          assertThat(stats.statusCode()).isEqualTo(200);
          assertThat(stats.bodyAsJsonObject()).isEqualTo(new JsonObject()
              .put("received", 4).put("valid_signatures", 0).put("invalid_signatures", 0)
              .put("duplicates", 1).put("distinct", 2));
          ctx.completeNow();
        })));
  }

  @Test
  void without_a_secret_the_report_line_says_unverified_rather_than_valid_0(VertxTestContext ctx) {
    start("--port", "0", "--quiet")
        .compose(sink -> post(sink, "msg_a", BODY).map(r -> sink))
        .onComplete(ctx.succeeding(sink -> ctx.verify(() -> {
          assertThat(sink.stats().line())
              .isEqualTo("sink: received=1 unverified (no --secret) duplicates=0 distinct=1");
          ctx.completeNow();
        })));
  }

  @Test
  void with_a_secret_the_report_line_counts_valid_and_invalid_signatures(VertxTestContext ctx) {
    start("--port", "0", "--quiet", "--secret", Signer.generateSecret())
        .compose(sink -> post(sink, "msg_a", BODY).map(r -> sink))
        .onComplete(ctx.succeeding(sink -> ctx.verify(() -> {
          assertThat(sink.stats().line()).isEqualTo("sink: received=1 valid=0 invalid=1 duplicates=0 distinct=1");
          ctx.completeNow();
        })));
  }

  @Test
  void received_reports_count_and_first_arrival_of_a_webhook_id(VertxTestContext ctx) {
    long before = System.currentTimeMillis();
    start("--port", "0", "--quiet")
        .compose(sink -> post(sink, "msg_a", BODY)
            .compose(r -> post(sink, "msg_a", BODY))
            .compose(r -> Future.all(get(sink, "/received/msg_a"), get(sink, "/received/msg_unknown"))))
        .onComplete(ctx.succeeding(both -> ctx.verify(() -> {
          HttpResponse<Buffer> known = both.resultAt(0);
          HttpResponse<Buffer> unknown = both.resultAt(1);
          assertThat(known.statusCode()).isEqualTo(200);
          JsonObject json = known.bodyAsJsonObject();
          assertThat(json.getString("webhook_id")).isEqualTo("msg_a");
          assertThat(json.getLong("count")).isEqualTo(2);
          assertThat(json.getLong("first_received_at_ms")).isBetween(before, System.currentTimeMillis());
          assertThat(unknown.statusCode()).isEqualTo(404);
          ctx.completeNow();
        })));
  }

  @Test
  void a_signed_request_verifies_and_unsigned_or_tampered_ones_count_as_invalid(VertxTestContext ctx) {
    String secret = Signer.generateSecret();
    checkSignatures(ctx, secret, secret);
  }

  @Test
  void a_whpk_public_key_verifies_v1a_signatures(VertxTestContext ctx) {
    Signer.KeyPair pair = Signer.generateKeyPair();
    checkSignatures(ctx, pair.privateKey(), pair.publicKey());
  }

  /** Signs with {@code signingSecret}, starts a sink verifying with {@code sinkSecret}: one valid, two invalid. */
  private void checkSignatures(VertxTestContext ctx, String signingSecret, String sinkSecret) {
    long now = System.currentTimeMillis() / 1000;
    byte[] body = BODY.getBytes(StandardCharsets.UTF_8);
    String signature = Signer.signatureHeader(List.of(SigningKey.parse(signingSecret)), "msg_signed", now, body);
    MultiMap signed = MultiMap.caseInsensitiveMultiMap()
        .add("webhook-timestamp", Long.toString(now))
        .add("webhook-signature", signature);

    start("--port", "0", "--quiet", "--secret", sinkSecret)
        .compose(sink -> post(sink, "msg_signed", BODY, signed)
            .compose(r -> post(sink, "msg_unsigned", BODY))
            .compose(r -> post(sink, "msg_signed", "{\"order\": 43}", signed))
            .map(r -> sink.stats()))
        .onComplete(ctx.succeeding(stats -> ctx.verify(() -> {
          assertThat(stats.received()).isEqualTo(3);
          assertThat(stats.validSignatures()).isEqualTo(1);
          assertThat(stats.invalidSignatures()).isEqualTo(2);
          ctx.completeNow();
        })));
  }

  @Test
  void status_option_answers_every_webhook_with_that_code_but_stats_stay_readable(VertxTestContext ctx) {
    start("--port", "0", "--quiet", "--status", "410")
        .compose(sink -> Future.all(post(sink, "msg_a", BODY), get(sink, "/stats")))
        .onComplete(ctx.succeeding(both -> ctx.verify(() -> {
          HttpResponse<Buffer> webhook = both.resultAt(0);
          HttpResponse<Buffer> stats = both.resultAt(1);
          assertThat(webhook.statusCode()).isEqualTo(410);
          assertThat(webhook.getHeader("Retry-After")).isNull();
          assertThat(stats.statusCode()).isEqualTo(200);
          ctx.completeNow();
        })));
  }

  @Test
  void retry_after_option_adds_the_header_to_failed_answers(VertxTestContext ctx) {
    start("--port", "0", "--quiet", "--status", "429", "--retry-after", "7")
        .compose(sink -> post(sink, "msg_a", BODY))
        .onComplete(ctx.succeeding(response -> ctx.verify(() -> {
          assertThat(response.statusCode()).isEqualTo(429);
          assertThat(response.getHeader("Retry-After")).isEqualTo("7");
          ctx.completeNow();
        })));
  }

  @Test
  void fail_rate_one_answers_500_to_every_webhook_and_still_counts_it(VertxTestContext ctx) {
    start("--port", "0", "--quiet", "--fail-rate", "1.0")
        .compose(sink -> Future.all(post(sink, "msg_a", BODY), post(sink, "msg_b", BODY))
            .map(all -> {
              assertThat(all.<HttpResponse<Buffer>>resultAt(0).statusCode()).isEqualTo(500);
              assertThat(all.<HttpResponse<Buffer>>resultAt(1).statusCode()).isEqualTo(500);
              return sink.stats();
            }))
        .onComplete(ctx.succeeding(stats -> ctx.verify(() -> {
          assertThat(stats.received()).isEqualTo(2);
          assertThat(stats.distinct()).isEqualTo(2);
          ctx.completeNow();
        })));
  }

  @Test
  void latency_option_delays_the_answer(VertxTestContext ctx) {
    long latencyMs = 300;
    start("--port", "0", "--quiet", "--latency-ms", Long.toString(latencyMs))
        .compose(sink -> {
          long startedNanos = System.nanoTime();
          return post(sink, "msg_a", BODY)
              .map(r -> {
                assertThat(r.statusCode()).isEqualTo(200);
                return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
              });
        })
        .onComplete(ctx.succeeding(elapsedMs -> ctx.verify(() -> {
          assertThat(elapsedMs).isGreaterThanOrEqualTo(latencyMs);
          ctx.completeNow();
        })));
  }

  @Test
  void a_taken_port_fails_the_start(VertxTestContext ctx) {
    start("--port", "0", "--quiet")
        .compose(first -> start("--port", Integer.toString(first.port()), "--quiet"))
        .onComplete(ctx.failingThenComplete());
  }

  @Test
  void with_a_certificate_it_serves_https_in_http2_and_http11(VertxTestContext ctx) {
    io.hookrelay.testing.TestCertificates.Issued ca = io.hookrelay.testing.TestCertificates.authority("sink test CA");
    io.hookrelay.testing.TestCertificates.Issued leaf = io.hookrelay.testing.TestCertificates.leaf(ca, "localhost");
    java.nio.file.Path cert = leaf.writePem();
    java.nio.file.Path key = cert.resolveSibling(cert.getFileName() + ".key");
    try {
      java.nio.file.Files.writeString(key, leaf.keyPem());
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
    WebClient h2 = WebClient.create(vertx, new io.vertx.ext.web.client.WebClientOptions().setSsl(true)
        .setUseAlpn(true).setProtocolVersion(io.vertx.core.http.HttpVersion.HTTP_2).setTrustOptions(ca.trustOptions()));
    WebClient h1 = WebClient.create(vertx, new io.vertx.ext.web.client.WebClientOptions().setSsl(true)
        .setTrustOptions(ca.trustOptions()));
    start("--port", "0", "--quiet", "--tls-cert", cert.toString(), "--tls-key", key.toString())
        .compose(sink -> h2.post(sink.port(), "localhost", "/hook").putHeader("webhook-id", "msg_tls")
            .sendBuffer(Buffer.buffer(BODY))
            .compose(r2 -> h1.get(sink.port(), "localhost", "/stats").send()
                .map(stats -> java.util.List.of(r2, stats))))
        .onComplete(ctx.succeeding(answers -> ctx.verify(() -> {
          assertThat(answers.get(0).statusCode()).isEqualTo(200);
          assertThat(answers.get(0).version()).isEqualTo(io.vertx.core.http.HttpVersion.HTTP_2);
          assertThat(answers.get(1).version()).isEqualTo(io.vertx.core.http.HttpVersion.HTTP_1_1);
          assertThat(answers.get(1).bodyAsJsonObject().getInteger("received")).isEqualTo(1);
          ctx.completeNow();
        })));
  }

  private Future<SinkServer> start(String... args) {
    return SinkServer.start(vertx, SinkOptions.parse(args));
  }

  private Future<HttpResponse<Buffer>> post(SinkServer sink, String webhookId, String body) {
    return post(sink, webhookId, body, MultiMap.caseInsensitiveMultiMap());
  }

  private Future<HttpResponse<Buffer>> post(SinkServer sink, String webhookId, String body, MultiMap headers) {
    var request = client.post(sink.port(), HOST, "/hooks/orders")
        .putHeader("content-type", "application/json")
        .putHeaders(headers);
    if (webhookId != null) {
      request.putHeader("webhook-id", webhookId);
    }
    return request.sendBuffer(Buffer.buffer(body));
  }

  private Future<HttpResponse<Buffer>> get(SinkServer sink, String path) {
    return client.get(sink.port(), HOST, path).send();
  }
}
