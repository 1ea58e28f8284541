package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.config.ConfigLoader;
import io.hookrelay.delivery.TargetClient.Response;
import io.hookrelay.store.ClientCertificate;
import io.hookrelay.store.DeliveryRepository.Claimed;
import io.hookrelay.store.Subscription;
import io.hookrelay.testing.ConnectProxy;
import io.hookrelay.testing.TestCertificates;
import io.hookrelay.testing.TestCertificates.Issued;
import io.hookrelay.testing.TestReceiver;
import io.hookrelay.testing.TlsReceiver;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTPS to targets on the production path (resolve, check, pin) against real TLS receivers with certificates from a
 * test CA: a name in a hosts file resolves to 127.0.0.1, which is let through by HOOKRELAY_ALLOWED_TARGET_SUBNETS,
 * not by HOOKRELAY_ALLOW_PRIVATE_TARGETS.
 */
class HttpsDeliveryTest {
  static final String NAME = "receiver.hookrelay.test";
  static final String OTHER_NAME = "other.hookrelay.test";
  private static final OffsetDateTime STARTED = OffsetDateTime.now(ZoneOffset.UTC);
  private static Vertx vertx;
  private static Issued ca;
  private static Path caFile;
  private static Path hostsFile;
  private static TargetClient trusting;
  private static TargetClient jdkTrustOnly;

  @BeforeAll
  static void setUp() throws Exception {
    vertx = Vertx.vertx();
    ca = TestCertificates.authority("hookrelay test CA");
    caFile = ca.writePem();
    hostsFile = hostsFile();
    trusting = client(Map.of());
    Map<String, String> noCaFile = new HashMap<>(env());
    noCaFile.remove("HOOKRELAY_DELIVERY_CA_FILE");
    jdkTrustOnly = new TargetClient(vertx, ConfigLoader.load(noCaFile));
  }

  @AfterAll
  static void tearDown() {
    vertx.close();
  }

  /** The names the tests use, all on loopback. */
  static Path hostsFile() throws Exception {
    Path file = Files.createTempFile("hookrelay-hosts", "");
    Files.writeString(file, "127.0.0.1 " + NAME + " " + OTHER_NAME + "\n");
    return file;
  }

  /** The production path with loopback allowed by subnet, the test CA trusted and names from the hosts file. */
  static Map<String, String> env() {
    Map<String, String> env = new HashMap<>();
    env.put("HOOKRELAY_ALLOW_PRIVATE_TARGETS", "false");
    env.put("HOOKRELAY_ALLOWED_TARGET_SUBNETS", "127.0.0.0/8");
    env.put("HOOKRELAY_DELIVERY_HOSTS_FILE", hostsFile.toString());
    env.put("HOOKRELAY_DELIVERY_CA_FILE", caFile.toString());
    env.put("HOOKRELAY_DELIVERY_TIMEOUT", "3s");
    return env;
  }

  private static TargetClient client(Map<String, String> overrides) {
    Map<String, String> env = env();
    env.putAll(overrides);
    return new TargetClient(vertx, ConfigLoader.load(env));
  }

  @Test
  void aValidCertificateForTheTargetsNameIsDelivered() {
    try (TlsReceiver receiver = TlsReceiver.start(TestCertificates.leaf(ca, NAME))) {
      Response response = send(trusting, subscription(receiver.url(NAME), null));

      assertThat(response.answer().statusCode()).isEqualTo(200);
      assertThat(receiver.seen().get(0).host()).isEqualTo(NAME);
    }
  }

  @Test
  void theHandshakeSendsTheTargetsNameAsSniAlthoughTheConnectionIsToTheCheckedAddress() {
    try (TlsReceiver receiver = TlsReceiver.start(TestCertificates.leaf(ca, NAME))) {
      send(trusting, subscription(receiver.url(NAME), null));

      assertThat(receiver.seen()).extracting(TlsReceiver.Seen::serverName).containsExactly(NAME);
    }
  }

  @Test
  void anExpiredCertificateIsATlsFailureNamedSo() {
    Issued expired = TestCertificates.leaf(ca, List.of(NAME), List.of(), Instant.now().minus(Duration.ofDays(10)),
        Instant.now().minus(Duration.ofDays(1)));
    try (TlsReceiver receiver = TlsReceiver.start(expired)) {
      Response response = send(trusting, subscription(receiver.url(NAME), null));
      Response again = send(trusting, subscription(receiver.url(NAME), null));

      assertThat(response.answer().statusCode()).isNull();
      assertThat(response.answer().error()).startsWith("tls: certificate expired");
      assertThat(again.answer().error()).as("a second attempt fails the same way").startsWith("tls: certificate expired");
      assertThat(receiver.count()).isZero();
    }
  }

  @Test
  void aCertificateForAnotherNameIsATlsFailureNamedSo() {
    try (TlsReceiver receiver = TlsReceiver.start(TestCertificates.leaf(ca, OTHER_NAME))) {
      Response response = send(trusting, subscription(receiver.url(NAME), null));

      assertThat(response.answer().error()).startsWith("tls: certificate does not match the host name");
      assertThat(receiver.count()).isZero();
    }
  }

  @Test
  void aCertificateValidOnlyForTheCheckedAddressFailsWhenTheUrlNamesTheHost() {
    Issued forAddress = TestCertificates.leaf(ca, List.of(), List.of("127.0.0.1"),
        Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(1)));
    try (TlsReceiver receiver = TlsReceiver.start(forAddress)) {
      Response response = send(trusting, subscription(receiver.url(NAME), null));

      assertThat(response.answer().error()).startsWith("tls: certificate does not match the host name");
      assertThat(receiver.count()).isZero();
    }
  }

  @Test
  void aCertificateFromAnUnknownAuthorityIsATlsFailureNamedSo() {
    Issued stranger = TestCertificates.authority("somebody else's CA");
    try (TlsReceiver receiver = TlsReceiver.start(TestCertificates.leaf(stranger, NAME))) {
      Response response = send(trusting, subscription(receiver.url(NAME), null));

      assertThat(response.answer().error()).startsWith("tls: certificate signed by an unknown authority");
      assertThat(receiver.count()).isZero();
    }
  }

  @Test
  void aCertificateFromTheTestCaIsTrustedOnlyWhenTheCaFileIsSet() {
    try (TlsReceiver receiver = TlsReceiver.start(TestCertificates.leaf(ca, NAME))) {
      Response without = send(jdkTrustOnly, subscription(receiver.url(NAME), null));
      Response with = send(trusting, subscription(receiver.url(NAME), null));

      assertThat(without.answer().error()).startsWith("tls: certificate signed by an unknown authority");
      assertThat(with.answer().statusCode()).isEqualTo(200);
      assertThat(receiver.count()).isEqualTo(1);
    }
  }

  @Test
  void aTargetRequiringAClientCertificateAcceptsTheSubscriptionsAndRefusesAConnectionWithout() {
    Issued clientCa = TestCertificates.authority("subscriber's client CA");
    Issued clientLeaf = TestCertificates.leaf(clientCa, "hookrelay-client.example");
    ClientCertificate certificate = Pem.clientCertificate(vertx, clientLeaf.certPem(), clientLeaf.keyPem());
    try (TlsReceiver receiver = TlsReceiver.requiringClientCertificate(TestCertificates.leaf(ca, NAME), clientCa)) {
      Response with = send(trusting, subscription(receiver.url(NAME), certificate));
      Response without = send(trusting, subscription(receiver.url(NAME), null));

      assertThat(with.answer().statusCode()).isEqualTo(200);
      assertThat(receiver.seen().get(0).clientSubject()).isEqualTo("CN=hookrelay-client.example");
      assertThat(without.answer().statusCode()).isNull();
      assertThat(without.answer().error()).startsWith("tls: ");
      assertThat(receiver.count()).isEqualTo(1);
    }
  }

  @Test
  void withAProxyTheTargetIsReachedThroughConnectToTheCheckedAddress() {
    try (ConnectProxy proxy = ConnectProxy.start(null);
         TlsReceiver receiver = TlsReceiver.start(TestCertificates.leaf(ca, NAME))) {
      TargetClient proxied = client(Map.of("HOOKRELAY_DELIVERY_PROXY", proxy.url(null)));
      try {
        Response response = send(proxied, subscription(receiver.url(NAME), null));

        assertThat(response.answer().statusCode()).isEqualTo(200);
        assertThat(proxy.requestLines()).containsExactly("CONNECT 127.0.0.1:" + receiver.port() + " HTTP/1.1");
        assertThat(receiver.seen().get(0).serverName()).isEqualTo(NAME);
      } finally {
        proxied.close();
      }
    }
  }

  @Test
  void withAProxyAPlainHttpTargetGoesToTheProxyAsAnAbsoluteUriRequestNamingTheHost() {
    // Vert.x sends plain http through an HTTP proxy in absolute form, not CONNECT: the proxy resolves the name
    // itself (after hookrelay's own check). This test pins that behaviour; docs/security.md says what it means.
    try (ConnectProxy proxy = ConnectProxy.start(null); TestReceiver receiver = TestReceiver.answering(204)) {
      TargetClient proxied = client(Map.of("HOOKRELAY_DELIVERY_PROXY", proxy.url(null)));
      try {
        String url = receiver.url().replace("127.0.0.1", NAME);
        Response response = send(proxied, subscription(url, null));

        assertThat(proxy.requestLines()).containsExactly("POST " + url + " HTTP/1.1");
        assertThat(response.answer().statusCode()).isEqualTo(501); // this test proxy only does CONNECT
        assertThat(receiver.count()).isZero();
      } finally {
        proxied.close();
      }
    }
  }

  @Test
  void theProxyCredentialsGoInProxyAuthorization() {
    String basic = "Basic " + Base64.getEncoder().encodeToString("relay:s3cret".getBytes());
    try (ConnectProxy proxy = ConnectProxy.start(basic);
         TlsReceiver receiver = TlsReceiver.start(TestCertificates.leaf(ca, NAME))) {
      TargetClient authenticated = client(Map.of("HOOKRELAY_DELIVERY_PROXY", proxy.url("relay:s3cret")));
      TargetClient anonymous = client(Map.of("HOOKRELAY_DELIVERY_PROXY", proxy.url(null)));
      try {
        assertThat(send(authenticated, subscription(receiver.url(NAME), null)).answer().statusCode()).isEqualTo(200);
        assertThat(send(anonymous, subscription(receiver.url(NAME), null)).answer().statusCode()).isNull();
        assertThat(receiver.count()).isEqualTo(1);
      } finally {
        authenticated.close();
        anonymous.close();
      }
    }
  }

  @Test
  void withAProxyAPrivateTargetIsStillRefusedBeforeTheProxyHearsOfIt() {
    try (ConnectProxy proxy = ConnectProxy.start(null)) {
      TargetClient proxied = client(Map.of("HOOKRELAY_DELIVERY_PROXY", proxy.url(null),
          "HOOKRELAY_ALLOWED_TARGET_SUBNETS", "10.0.0.0/8"));
      try {
        Response response = send(proxied, subscription("https://" + NAME + ":8443/hook", null));

        assertThat(response.answer().error()).isEqualTo("target refused: " + NAME + " resolves to a private address");
        assertThat(proxy.requestLines()).isEmpty();
      } finally {
        proxied.close();
      }
    }
  }

  @Test
  void withHttp2OnATargetOfferingItByAlpnIsSpokenToInHttp2() {
    TargetClient http2 = client(Map.of("HOOKRELAY_DELIVERY_HTTP2", "true"));
    try (TlsReceiver receiver = TlsReceiver.offeringHttp2(TestCertificates.leaf(ca, NAME))) {
      assertThat(send(http2, subscription(receiver.url(NAME), null)).answer().statusCode()).isEqualTo(200);
      assertThat(send(trusting, subscription(receiver.url(NAME), null)).answer().statusCode()).isEqualTo(200);

      assertThat(receiver.seen()).extracting(TlsReceiver.Seen::version)
          .containsExactly(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1);
      assertThat(receiver.seen().get(0).serverName()).isEqualTo(NAME);
    } finally {
      http2.close();
    }
  }

  @Test
  void withHttp2OnAPlainHttpTargetIsStillSpokenToInHttp11() {
    TargetClient http2 = client(Map.of("HOOKRELAY_DELIVERY_HTTP2", "true"));
    try (TestReceiver receiver = TestReceiver.answering(204)) {
      String viaName = receiver.url().replace("127.0.0.1", NAME);
      assertThat(send(http2, subscription(viaName, null)).answer().statusCode()).isEqualTo(204);
    } finally {
      http2.close();
    }
  }

  static Response send(TargetClient client, Subscription s) {
    try {
      Claimed claimed = io.hookrelay.testing.Fixtures.claimed(UUID.randomUUID(), s.id(), 0, "tls.probe", STARTED,
          Buffer.buffer("{}"));
      return client.send(s, claimed, 1, STARTED).toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  static Subscription subscription(String url, ClientCertificate certificate) {
    return io.hookrelay.testing.Fixtures.subscription(url, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 32, null,
        certificate);
  }
}
