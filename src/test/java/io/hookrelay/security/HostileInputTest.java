package io.hookrelay.security;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.hookrelay.ingest.JsonLimits;
import io.hookrelay.testing.TestNode;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Hostile and malformed input gets a 4xx that names the problem; secrets never leak into answers, logs or metrics. */
class HostileInputTest {
  private static final String SECRET = "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]);
  private static TestNode node;
  private static ListAppender<ILoggingEvent> logs;
  private static String subscriptionId;
  private final HttpClient http = HttpClient.newHttpClient();

  @BeforeAll
  static void start() {
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(logs);
    node = TestNode.start();
    subscriptionId = node.subscribe("http://127.0.0.1:9/hook", new JsonObject().put("secret", SECRET)).getString("id");
  }

  @AfterAll
  static void stop() {
    node.close();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(logs);
  }

  @Test
  void secretsAppearOnlyInTheCreateAndRotateAnswers() {
    String rotated = node.post("/subscriptions/" + subscriptionId + "/rotate-secret", null).json().getString("secret");
    String patched = "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[] {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24});
    assertThat(node.patch("/subscriptions/" + subscriptionId, new JsonObject().put("secret", patched)).body())
        .doesNotContain(patched);

    String everything = node.get("/subscriptions").body() + node.get("/subscriptions/" + subscriptionId).body()
        + node.get("/audit?limit=1000").body() + node.get("/metrics").body();
    StringBuilder logText = new StringBuilder();
    logs.list.forEach(e -> logText.append(e.getFormattedMessage()).append('\n'));
    for (String secret : new String[] {SECRET, rotated, patched}) {
      assertThat(everything).doesNotContain(secret);
      assertThat(logText.toString()).doesNotContain(secret);
    }
  }

  @Test
  void theApiKeyIsNeverLogged() {
    node.get("/subscriptions");
    node.send("GET", "/subscriptions", null, Map.of("Authorization", "Bearer wrong-key-0123456789"));
    logs.list.forEach(e -> assertThat(e.getFormattedMessage()).doesNotContain(TestNode.API_KEY));
  }

  @Test
  void invalidUtf8IsABadRequest() throws Exception {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    body.write("{\"name\": \"".getBytes());
    body.write(new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF});
    body.write("\"}".getBytes());
    HttpResponse<String> r = raw("/ingest/" + subscriptionId, body.toByteArray(), "application/json");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(new JsonObject(r.body()).getString("error")).isEqualTo("invalid_json");
  }

  @Test
  void deeplyNestedJsonIsRefusedNamingTheLimit() {
    String deep = "[".repeat(JsonLimits.MAX_DEPTH + 1) + "]".repeat(JsonLimits.MAX_DEPTH + 1);
    TestNode.Response r = node.post("/ingest/" + subscriptionId, deep);
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().getString("error")).isEqualTo("json_too_deep");
    assertThat(r.json().getString("detail")).contains(Integer.toString(JsonLimits.MAX_DEPTH));
  }

  /** A raw socket: the server answers and closes before a client library would finish sending. */
  private static String rawExchange(String request) throws Exception {
    URI base = URI.create(node.baseUrl);
    try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      return new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private static JsonObject bodyOf(String exchange) {
    return new JsonObject(exchange.substring(exchange.indexOf("\r\n\r\n") + 4));
  }

  @Test
  void anOversizedHeaderIsRefusedWith431AndAnErrorBody() throws Exception {
    String answer = rawExchange("GET /subscriptions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TestNode.API_KEY
        + "\r\nX-Padding: " + "a".repeat(32 * 1024) + "\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.1 431");
    assertThat(answer.toLowerCase()).contains("content-type: application/json");
    assertThat(bodyOf(answer).getString("error")).isEqualTo("headers_too_large");
    assertThat(bodyOf(answer).getString("detail")).contains("16 KiB");
  }

  @Test
  void anOverlongRequestLineIsRefusedWith414AndAnErrorBody() throws Exception {
    String answer = rawExchange("GET /subscriptions?x=" + "a".repeat(8 * 1024) + " HTTP/1.1\r\nHost: x\r\n\r\n");
    assertThat(answer).startsWith("HTTP/1.0 414"); // the version is part of the line it could not read
    assertThat(bodyOf(answer).getString("error")).isEqualTo("uri_too_long");
    assertThat(bodyOf(answer).getString("detail")).contains("4096 bytes");
  }

  @Test
  void hugeNumbersAndWrongTypesAreValidationErrors() {
    for (JsonObject body : new JsonObject[] {
        new JsonObject().put("target_url", "https://example.com/h").put("rate_limit_per_s", 1e308),
        new JsonObject().put("target_url", "https://example.com/h").put("max_in_flight", Long.MAX_VALUE),
        new JsonObject().put("target_url", 12345),
        new JsonObject().put("target_url", "https://example.com/h").put("events", "order.created"),
        new JsonObject().put("target_url", "https://example.com/h").put("description", 42)}) {
      TestNode.Response r = node.post("/subscriptions", body);
      assertThat(r.status()).as(body.encode()).isEqualTo(422);
      assertThat(r.json().getString("detail")).isNotBlank();
    }
  }

  @Test
  void emptyBodiesAndWrongContentTypesAreRefused() throws Exception {
    assertThat(raw("/subscriptions", new byte[0], "application/json").statusCode()).isEqualTo(400);
    assertThat(raw("/subscriptions", "target_url=x".getBytes(), "application/x-www-form-urlencoded").statusCode())
        .isEqualTo(415);
    assertThat(raw("/events", "{}".getBytes(), "text/plain").statusCode()).isEqualTo(415);
  }

  @Test
  void nulCharactersInTextFieldsAreValidationErrorsNotServerErrors() {
    TestNode.Response created = node.post("/subscriptions",
        new JsonObject().put("target_url", "https://example.com/h").put("description", "a\u0000b"));
    assertThat(created.status()).isEqualTo(422);
    assertThat(created.json().getString("detail")).contains("NUL");
    TestNode.Response event = node.post("/events",
        new JsonObject().put("event_type", "order.\u0000").put("payload", new JsonObject()));
    assertThat(event.status()).isEqualTo(422);
    assertThat(node.get("/deliveries?event_type=a%00b").status()).isEqualTo(400);
    // Inside a payload a NUL is just JSON: stored as the bytes received.
    assertThat(node.post("/ingest/" + subscriptionId, "{\"text\": \"a\\u0000b\"}").status()).isEqualTo(202);
  }

  @Test
  void aPostWithoutABodyIsABadRequest() throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(node.baseUrl + "/events"))
        .header("Authorization", "Bearer " + TestNode.API_KEY)
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(400);
  }

  @Test
  void malformedIdsAreNotFoundOnEveryIdRoute() {
    for (String path : new String[] {"/subscriptions/not-a-uuid", "/status/1234", "/subscriptions/%00/attempts"}) {
      assertThat(node.get(path).status()).as(path).isEqualTo(404);
    }
    assertThat(node.post("/ingest/zzz", new JsonObject()).status()).isEqualTo(404);
  }

  private HttpResponse<String> raw(String path, byte[] body, String contentType) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(node.baseUrl + path))
        .header("Authorization", "Bearer " + TestNode.API_KEY)
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
