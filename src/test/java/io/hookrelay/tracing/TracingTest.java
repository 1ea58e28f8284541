package io.hookrelay.tracing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hookrelay.config.ConfigException;
import io.hookrelay.testing.Await;
import io.hookrelay.testing.MemorySpans;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import io.hookrelay.testing.TestReceiver.Answer;
import io.hookrelay.testing.TestReceiver.Received;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Traces of webhooks on real nodes, exported into memory ({@code OTEL_TRACES_EXPORTER=memory}, see
 * {@link MemorySpans}): one trace per webhook, the ingest request's server span with each attempt's span under it
 * and each request's client span under that, across nodes and restarts; the traceparent receivers get when asked
 * for; and the OTLP/HTTP exporter posting to a real endpoint.
 */
class TracingTest {
  private static final Duration DEADLINE = Duration.ofSeconds(30);

  private final List<AutoCloseable> closing = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
  }

  /** What turns tracing on for a node of this test: an endpoint (never reached) and the in-memory exporter. */
  private static Map<String, String> traced(boolean propagate) {
    return Map.of(
        "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9",
        "OTEL_TRACES_EXPORTER", "memory",
        "OTEL_BSP_SCHEDULE_DELAY", "20",
        "OTEL_SERVICE_NAME", "hookrelay-test",
        "HOOKRELAY_PROPAGATE_TRACE_CONTEXT", Boolean.toString(propagate));
  }

  @Test
  void aWebhookIsOneTraceTheIngestSpanWithEachAttemptAndItsRequestUnderIt() {
    TestNode node = node(traced(true));
    TestReceiver receiver = receiver(n -> Answer.status(n == 1 ? 500 : 200));
    String subscriptionId = node.subscribe(receiver.url(), null).getString("id");

    String webhookId = node.ingest(subscriptionId, new JsonObject().put("order", 1));
    node.awaitStatus(webhookId, DEADLINE, "succeeded");

    List<SpanData> trace = awaitTrace(webhookId, 2);
    SpanData ingest = only(trace, SpanKind.SERVER);
    assertThat(trace).hasSize(5);
    assertThat(ingest.getName()).isEqualTo("POST /ingest/{subscription_id}");
    assertThat(ingest.getParentSpanContext().isValid()).isFalse();
    assertThat(ingest.getAttributes().get(Tracing.WEBHOOK_ID)).isEqualTo(webhookId);
    assertThat(ingest.getAttributes().get(Tracing.SUBSCRIPTION_ID)).isEqualTo(subscriptionId);
    assertThat(ingest.getAttributes().get(Tracing.HTTP_STATUS)).isEqualTo(202L);
    assertThat(ingest.getResource().getAttribute(io.opentelemetry.api.common.AttributeKey.stringKey("service.name")))
        .isEqualTo("hookrelay-test");

    List<SpanData> attempts = attempts(trace);
    assertThat(attempts).extracting(SpanData::getParentSpanId).containsOnly(ingest.getSpanId());
    assertThat(attempts).extracting(a -> a.getAttributes().get(Tracing.ATTEMPT_NUMBER)).containsExactly(1L, 2L);
    assertThat(attempts).extracting(a -> a.getAttributes().get(Tracing.OUTCOME))
        .containsExactly("Failed Attempt", "Success");
    assertThat(attempts).extracting(a -> a.getAttributes().get(Tracing.HTTP_STATUS)).containsExactly(500L, 200L);
    assertThat(attempts).extracting(a -> a.getStatus().getStatusCode()).containsExactly(StatusCode.ERROR, StatusCode.UNSET);
    assertThat(attempts).extracting(a -> a.getAttributes().get(Tracing.WEBHOOK_ID)).containsOnly(webhookId);

    List<SpanData> requests = List.of(clientOf(trace, attempts.get(0)), clientOf(trace, attempts.get(1)));
    assertThat(requests).extracting(SpanData::getName).containsOnly("POST");
    assertThat(requests).extracting(r -> r.getAttributes().get(Tracing.HTTP_STATUS)).containsExactly(500L, 200L);
    assertThat(requests).extracting(r -> r.getAttributes().get(Tracing.URL_FULL)).containsOnly(receiver.url());

    // Each request carried its own client span's context to the receiver.
    List<Received> received = receiver.received();
    assertThat(received).hasSize(2);
    for (int i = 0; i < 2; i++) {
      assertThat(received.get(i).header("traceparent"))
          .isEqualTo("00-" + ingest.getTraceId() + "-" + requests.get(i).getSpanId() + "-"
              + requests.get(i).getSpanContext().getTraceFlags().asHex());
      assertThat(requests.get(i).getSpanContext().isSampled()).isTrue();
    }
  }

  @Test
  void withoutTheOptionReceiversGetNoTraceparentAndAnAttemptWithoutAnswerRecordsTheError() {
    TestNode node = node(traced(false));
    TestReceiver receiver = receiver(n -> n == 1 ? Answer.resetConnection() : Answer.status(200));
    String subscriptionId = node.subscribe(receiver.url(), null).getString("id");

    String webhookId = node.ingest(subscriptionId, new JsonObject().put("order", 2));
    JsonObject status = node.awaitStatus(webhookId, DEADLINE, "succeeded");

    List<SpanData> trace = awaitTrace(webhookId, 2);
    List<SpanData> attempts = attempts(trace);
    String recordedError = status.getJsonArray("recent_attempts").stream().map(JsonObject.class::cast)
        .filter(a -> a.getInteger("attempt_number") == 1).findFirst().orElseThrow().getString("error");
    SpanData first = attempts.get(0);
    assertThat(first.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(first.getStatus().getDescription()).isEqualTo(recordedError);
    assertThat(first.getAttributes().get(Tracing.HTTP_STATUS)).isNull();
    SpanData request = clientOf(trace, first);
    assertThat(request.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
    assertThat(request.getStatus().getDescription()).isEqualTo(recordedError);
    assertThat(request.getEvents()).extracting(e -> e.getName()).contains("exception");
    assertThat(attempts.get(1).getAttributes().get(Tracing.OUTCOME)).isEqualTo("Success");

    Await.until(DEADLINE, "two requests at the receiver", () -> receiver.received().size() >= 2);
    assertThat(receiver.received()).extracting(r -> r.header("traceparent")).containsOnlyNulls();
    assertThat(receiver.received()).extracting(r -> r.header("webhook-id")).containsOnly(webhookId);
  }

  @Test
  void attemptsJoinTheProducersTraceWhenAnotherNodeDeliversAfterTheIngestingNodeStopped() {
    Map<String, String> env = TestNode.defaults();
    env.putAll(traced(false));
    env.put("HOOKRELAY_ROLES", "api");
    TestNode api = TestNode.startWith(env);
    TestReceiver receiver = receiver(n -> Answer.status(204));
    String subscriptionId = api.subscribe(receiver.url(), null).getString("id");
    String producerTrace = UUID.randomUUID().toString().replace("-", "");
    String producerSpan = producerTrace.substring(0, 16);

    TestNode.Response accepted = api.post("/ingest/" + subscriptionId, new JsonObject().put("order", 3),
        Map.of("traceparent", "00-" + producerTrace + "-" + producerSpan + "-01"));
    assertThat(accepted.status()).isEqualTo(202);
    String webhookId = accepted.json().getString("webhook_id");
    api.close(); // nothing was attempted: this node has no delivery role

    Map<String, String> deliveryEnv = new HashMap<>(env);
    deliveryEnv.put("HOOKRELAY_ROLES", "delivery");
    nodeWith(deliveryEnv);
    receiver.awaitCount(1, DEADLINE);

    List<SpanData> trace = awaitTrace(webhookId, 1);
    SpanData ingest = only(trace, SpanKind.SERVER);
    assertThat(ingest.getTraceId()).isEqualTo(producerTrace);
    assertThat(ingest.getParentSpanId()).isEqualTo(producerSpan);
    SpanData attempt = attempts(trace).get(0);
    assertThat(attempt.getParentSpanId()).isEqualTo(ingest.getSpanId());
    assertThat(attempt.getAttributes().get(Tracing.OUTCOME)).isEqualTo("Success");
    assertThat(clientOf(trace, attempt).getAttributes().get(Tracing.HTTP_STATUS)).isEqualTo(204L);
  }

  @Test
  void withoutAnEndpointTracingIsOffAndStartsNoSpans() {
    Tracing off = Tracing.start(Map.of("OTEL_SERVICE_NAME", "x", "OTEL_TRACES_EXPORTER", "memory"), true);
    assertThat(off).isSameAs(Tracing.OFF);
    assertThat(off.enabled()).isFalse();
    assertThat(off.startAttempt(null, UUID.randomUUID(), UUID.randomUUID(), 1, null)).isNull();
    Tracing disabled = Tracing.start(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9",
        "OTEL_SDK_DISABLED", "true"), false);
    assertThat(disabled).isSameAs(Tracing.OFF);
  }

  @Test
  void aBadOtelValueStopsStartUpWithOneLineNamingIt() {
    assertThatThrownBy(() -> Tracing.start(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "not a url"), false))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("OTEL_* variables: ")
        .hasMessageContaining("not a url");
  }

  @Test
  void theOtlpExporterPostsSpansToTheConfiguredEndpoint() throws Exception {
    Vertx vertx = Vertx.vertx();
    closing.add(vertx::close);
    record Post(String path, String contentType, byte[] body) {}
    List<Post> posts = new CopyOnWriteArrayList<>();
    HttpServer collector = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(body -> {
      posts.add(new Post(req.path(), req.getHeader("content-type"), body.getBytes()));
      req.response().putHeader("content-type", "application/x-protobuf").end(); // an empty ExportTraceServiceResponse
    })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    Tracing tracing = Tracing.start(Map.of(
        "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.actualPort(),
        "OTEL_SERVICE_NAME", "hookrelay-otlp-check",
        "OTEL_BSP_SCHEDULE_DELAY", "20"), false);
    closing.add(tracing::close);
    UUID webhookId = UUID.randomUUID();

    Tracing.Attempt attempt = tracing.startAttempt(null, webhookId, UUID.randomUUID(), 1, "order.created");
    attempt.startRequest("POST", "http://example.test/hook").answered(200);
    attempt.end("Success", 200, null);

    Await.until(DEADLINE, "a POST of the attempt's spans to the collector", () -> posts.stream()
        .anyMatch(p -> contains(p.body(), webhookId.toString())));
    Post post = posts.stream().filter(p -> contains(p.body(), webhookId.toString())).findFirst().orElseThrow();
    assertThat(post.path()).isEqualTo("/v1/traces");
    assertThat(post.contentType()).isEqualTo("application/x-protobuf");
    // Protobuf keeps strings as UTF-8 bytes: the span name and the service name are there as written.
    assertThat(contains(post.body(), "webhook attempt")).isTrue();
    assertThat(contains(post.body(), "hookrelay-otlp-check")).isTrue();
  }

  // --- support ---

  private TestNode node(Map<String, String> overrides) {
    TestNode node = TestNode.start(overrides);
    closing.add(node);
    return node;
  }

  /** A node with exactly these variables (a restart, or another role on the same database and Redis). */
  private TestNode nodeWith(Map<String, String> env) {
    TestNode node = TestNode.startWith(env);
    closing.add(node);
    return node;
  }

  private TestReceiver receiver(java.util.function.Function<Integer, Answer> script) {
    TestReceiver receiver = TestReceiver.start(script);
    closing.add(receiver);
    return receiver;
  }

  /** The trace of a webhook once its ingest span and {@code attempts} attempts with their requests are exported. */
  private static List<SpanData> awaitTrace(String webhookId, int attempts) {
    return Await.value(DEADLINE, "the ingest span and " + attempts + " attempts of " + webhookId, () -> {
      SpanData ingest = MemorySpans.all().stream().filter(s -> s.getKind() == SpanKind.SERVER
          && webhookId.equals(s.getAttributes().get(Tracing.WEBHOOK_ID))).findFirst().orElse(null);
      if (ingest == null) {
        return List.<SpanData>of();
      }
      return MemorySpans.all().stream().filter(s -> s.getTraceId().equals(ingest.getTraceId())).toList();
    }, trace -> trace.stream().filter(s -> s.getKind() == SpanKind.CONSUMER).count() == attempts
        && trace.stream().filter(s -> s.getKind() == SpanKind.CLIENT).count() == attempts);
  }

  private static SpanData only(List<SpanData> trace, SpanKind kind) {
    List<SpanData> of = trace.stream().filter(s -> s.getKind() == kind).toList();
    assertThat(of).hasSize(1);
    return of.get(0);
  }

  /** The attempt spans, by attempt number. */
  private static List<SpanData> attempts(List<SpanData> trace) {
    return trace.stream().filter(s -> s.getKind() == SpanKind.CONSUMER)
        .peek(s -> assertThat(s.getName()).isEqualTo("webhook attempt"))
        .sorted(Comparator.comparing(s -> s.getAttributes().get(Tracing.ATTEMPT_NUMBER))).toList();
  }

  /** The one client span whose parent is the attempt. */
  private static SpanData clientOf(List<SpanData> trace, SpanData attempt) {
    List<SpanData> children = trace.stream().filter(s -> s.getParentSpanId().equals(attempt.getSpanId())).toList();
    assertThat(children).hasSize(1);
    assertThat(children.get(0).getKind()).isEqualTo(SpanKind.CLIENT);
    return children.get(0);
  }

  private static boolean contains(byte[] haystack, String needle) {
    return new String(haystack, StandardCharsets.ISO_8859_1)
        .contains(new String(needle.getBytes(StandardCharsets.UTF_8), StandardCharsets.ISO_8859_1));
  }
}
