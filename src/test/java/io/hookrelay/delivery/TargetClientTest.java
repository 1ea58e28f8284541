package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.config.ConfigLoader;
import io.hookrelay.delivery.TargetClient.Response;
import io.hookrelay.store.DeliveryRepository.Claimed;
import io.hookrelay.store.Subscription;
import io.hookrelay.testing.Fixtures;
import io.hookrelay.testing.TestReceiver;
import io.hookrelay.testing.TestReceiver.Answer;
import io.hookrelay.testing.TestReceiver.Received;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One request to a target, against real local receivers: what it sends, what it keeps, and how it names failures. */
class TargetClientTest {
  private static final String SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  private static final OffsetDateTime STARTED = OffsetDateTime.of(2026, 1, 2, 3, 4, 5, 0, ZoneOffset.UTC);
  private static Vertx vertx;
  private static TargetClient permissive;
  private static TargetClient strict;

  @BeforeAll
  static void setUp() {
    vertx = Vertx.vertx();
    permissive = new TargetClient(vertx, ConfigLoader.load(Map.of("HOOKRELAY_ALLOW_PRIVATE_TARGETS", "true",
        "HOOKRELAY_DELIVERY_TIMEOUT", "500ms")));
    strict = new TargetClient(vertx, ConfigLoader.load(Map.of()));
  }

  @AfterAll
  static void tearDown() {
    vertx.close();
  }

  @Test
  void thePayloadGoesByteForByteWithTheSignatureAndTheWebhookHeaders() {
    try (TestReceiver receiver = TestReceiver.answering(204)) {
      String payload = "{ \"order\" : 42,\n \"note\": \"ünïcode\" }";
      Claimed claimed = claimed(payload, "order.created", 2);
      Response response = send(permissive, subscription(receiver.url()), claimed, 3);

      assertThat(response.answer().statusCode()).isEqualTo(204);
      Received r = receiver.received().get(0);
      assertThat(r.bodyText()).isEqualTo(payload);
      assertThat(r.header("content-type")).isEqualTo("application/json");
      assertThat(r.header("user-agent")).startsWith("hookrelay/");
      assertThat(r.header("webhook-id")).isEqualTo(claimed.id().toString());
      assertThat(r.header("webhook-timestamp")).isEqualTo(Long.toString(STARTED.toEpochSecond()));
      assertThat(r.header("x-webhook-attempt")).isEqualTo("3");
      assertThat(r.header("x-event-type")).isEqualTo("order.created");
      assertThat(Signer.verify(SECRET, r.header("webhook-id"), r.header("webhook-timestamp"), r.body(),
          r.header("webhook-signature"), STARTED.toEpochSecond(), 300)).isTrue();
    }
  }

  @Test
  void aWebhookWithoutAnEventTypeCarriesNoEventTypeHeader() {
    try (TestReceiver receiver = TestReceiver.answering(200)) {
      send(permissive, subscription(receiver.url()), claimed("{}", null, 0), 1);
      assertThat(receiver.received().get(0).headers()).doesNotContainKey("x-event-type");
    }
  }

  @Test
  void theStatusAndRetryAfterOfTheAnswerComeBack() {
    try (TestReceiver receiver = TestReceiver.start(n -> Answer.withHeader(429, "Retry-After", "7"))) {
      Response response = send(permissive, subscription(receiver.url()), claimed("{}", null, 0), 1);
      assertThat(response.answer().statusCode()).isEqualTo(429);
      assertThat(response.answer().retryAfter()).isEqualTo("7");
      assertThat(response.body()).isEqualTo("answer 1");
    }
  }

  @Test
  void onlyTheFirstFourKilobytesOfTheResponseBodyAreKept() throws Exception {
    String big = "x".repeat(100_000);
    var server = vertx.createHttpServer().requestHandler(req -> req.response().end(big)).listen(0, "127.0.0.1")
        .toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    try {
      Response response = send(permissive, subscription("http://127.0.0.1:" + server.actualPort() + "/"),
          claimed("{}", null, 0), 1);
      assertThat(response.answer().statusCode()).isEqualTo(200);
      assertThat(response.body()).hasSize(TargetClient.RESPONSE_BODY_LIMIT);
    } finally {
      server.close();
    }
  }

  @Test
  void aRedirectIsAnAnswerAndIsNotFollowed() {
    try (TestReceiver target = TestReceiver.answering(200);
         TestReceiver redirecting = TestReceiver.start(n -> Answer.withHeader(307, "Location", target.url()))) {
      Response response = send(permissive, subscription(redirecting.url()), claimed("{}", null, 0), 1);
      assertThat(response.answer().statusCode()).isEqualTo(307);
      assertThat(target.count()).isZero();
    }
  }

  @Test
  void aReceiverThatDoesNotAnswerInTimeIsATimeout() {
    try (TestReceiver receiver = TestReceiver.start(n -> Answer.hangUp())) {
      Response response = send(permissive, subscription(receiver.url()), claimed("{}", null, 0), 1);
      assertThat(response.answer().statusCode()).isNull();
      assertThat(response.answer().error()).startsWith("timeout: ");
    }
  }

  @Test
  void aClosedPortIsAConnectionRefused() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Response response = send(permissive, subscription("http://127.0.0.1:" + port + "/"), claimed("{}", null, 0), 1);
    assertThat(response.answer().error()).startsWith("connection refused: ");
  }

  @Test
  void aConnectionResetMidRequestIsNamedSo() {
    try (TestReceiver receiver = TestReceiver.start(n -> Answer.resetConnection())) {
      Response response = send(permissive, subscription(receiver.url()), claimed("{}", null, 0), 1);
      assertThat(response.answer().error()).startsWith("connection reset: ");
    }
  }

  @Test
  void onTheProductionPathATargetResolvingToAPrivateAddressIsRefusedBeforeConnecting() {
    try (TestReceiver receiver = TestReceiver.answering(200)) {
      String viaName = receiver.url().replace("127.0.0.1", "localhost");
      Response response = send(strict, subscription(viaName), claimed("{}", null, 0), 1);
      assertThat(response.answer().error()).isEqualTo("target refused: localhost resolves to a private address");
      assertThat(receiver.count()).isZero();
    }
  }

  @Test
  void anUnknownHostIsADnsFailure() {
    Response response = send(strict, subscription("http://no-such-host.invalid/hook"), claimed("{}", null, 0), 1);
    assertThat(response.answer().error()).startsWith("dns: unknown host ");
  }

  private static Response send(TargetClient client, Subscription s, Claimed claimed, int attempt) {
    try {
      return client.send(s, claimed, attempt, STARTED).toCompletionStage().toCompletableFuture()
          .get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static Claimed claimed(String payload, String eventType, int attemptCount) {
    return Fixtures.claimed(UUID.randomUUID(), UUID.randomUUID(), attemptCount, eventType, STARTED,
        Buffer.buffer(payload.getBytes(StandardCharsets.UTF_8)));
  }

  private static Subscription subscription(String url) {
    return Fixtures.subscription(url, SECRET, 32, null);
  }
}
