package io.hookrelay.security;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.TestCertificates;
import io.hookrelay.testing.TestCertificates.Issued;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TlsReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTPS through a whole node (ingest → attempt on record), on the production path: private targets refused but
 * 127.0.0.0/8 allowed by subnet, the test name mapped to loopback by the delivery hosts file, the test CA trusted by
 * the CA file; and client certificates set, shown and removed through the API.
 */
class TlsDeliveryEndToEndTest {
  private static final String NAME = "receiver.hookrelay.test";
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static Issued ca;
  private static Issued clientCa;
  private static TestNode node;

  @BeforeAll
  static void setUp() throws Exception {
    ca = TestCertificates.authority("hookrelay test CA");
    clientCa = TestCertificates.authority("subscriber's client CA");
    Path hosts = Files.createTempFile("hookrelay-hosts", "");
    Files.writeString(hosts, "127.0.0.1 " + NAME + "\n");
    node = TestNode.start(Map.of(
        "HOOKRELAY_ALLOW_PRIVATE_TARGETS", "false",
        "HOOKRELAY_ALLOWED_TARGET_SUBNETS", "127.0.0.0/8",
        "HOOKRELAY_DELIVERY_HOSTS_FILE", hosts.toString(),
        "HOOKRELAY_DELIVERY_CA_FILE", ca.writePem().toString(),
        "HOOKRELAY_MAX_ATTEMPTS", "2",
        // The first handshake of each delivery instance builds its TLS context; on a busy test machine that can
        // take longer than the test default of 2s.
        "HOOKRELAY_DELIVERY_TIMEOUT", "5s",
        "HOOKRELAY_VISIBILITY_TIMEOUT", "10s"));
  }

  @AfterAll
  static void tearDown() {
    node.close();
  }

  @Test
  void aWebhookToATargetWithAValidCertificateIsDeliveredAndItsStatusRecorded() {
    try (TlsReceiver receiver = TlsReceiver.start(TestCertificates.leaf(ca, NAME))) {
      String id = node.subscribe(receiver.url(NAME), null).getString("id");
      JsonObject status = node.awaitStatus(node.ingest(id, new JsonObject().put("n", 1)), WAIT, "succeeded");

      assertThat(status.getInteger("last_status_code")).isEqualTo(200);
      assertThat(receiver.seen()).singleElement().extracting(TlsReceiver.Seen::serverName).isEqualTo(NAME);
    }
  }

  @Test
  void anExpiredCertificateIsRetriedAsAFailureWithTheTlsReasonOnRecord() {
    Issued expired = TestCertificates.leaf(ca, List.of(NAME), List.of(), Instant.now().minus(Duration.ofDays(9)),
        Instant.now().minus(Duration.ofDays(2)));
    try (TlsReceiver receiver = TlsReceiver.start(expired)) {
      String id = node.subscribe(receiver.url(NAME), null).getString("id");
      JsonObject status = node.awaitStatus(node.ingest(id, new JsonObject().put("n", 1)), WAIT, "failed");

      assertThat(status.getInteger("total_attempts")).isEqualTo(2);
      assertThat(status.getString("last_error")).startsWith("tls: certificate expired");
      JsonArray attempts = status.getJsonArray("recent_attempts");
      assertThat(attempts).hasSize(2);
      attempts.forEach(a -> assertThat(((JsonObject) a).getInteger("status_code")).isNull());
      assertThat(receiver.count()).isZero();
    }
  }

  @Test
  void aClientCertificateSetThroughTheApiIsPresentedAndItsKeyNeverShown() {
    Issued client = TestCertificates.leaf(clientCa, "relay-client.example");
    try (TlsReceiver receiver = TlsReceiver.requiringClientCertificate(TestCertificates.leaf(ca, NAME), clientCa)) {
      JsonObject created = node.subscribe(receiver.url(NAME), new JsonObject().put("client_certificate",
          new JsonObject().put("cert", client.certPem()).put("key", client.keyPem())));
      String id = created.getString("id");

      JsonObject shown = created.getJsonObject("client_certificate");
      assertThat(shown.fieldNames()).containsExactlyInAnyOrder("subject", "fingerprint_sha256", "not_after");
      assertThat(shown.getString("subject")).isEqualTo("CN=relay-client.example");
      assertThat(node.get("/subscriptions/" + id).body()).doesNotContain("PRIVATE KEY").doesNotContain("BEGIN");
      node.awaitStatus(node.ingest(id, new JsonObject().put("n", 1)), WAIT, "succeeded");
      assertThat(receiver.seen().get(0).clientSubject()).isEqualTo("CN=relay-client.example");

      TestNode.Response removed = node.patch("/subscriptions/" + id, new JsonObject().putNull("client_certificate"));
      assertThat(removed.json().getValue("client_certificate")).isNull();
      JsonObject refused = node.awaitStatus(node.ingest(id, new JsonObject().put("n", 2)), WAIT, "failed");
      assertThat(refused.getString("last_error")).startsWith("tls: ");
      assertThat(receiver.count()).isEqualTo(1);
    }
  }

  @Test
  void aClientCertificateIsRotatedByPatchingANewPair() {
    Issued first = TestCertificates.leaf(clientCa, "first.example");
    Issued second = TestCertificates.leaf(clientCa, "second.example");
    JsonObject created = node.subscribe("https://" + NAME + ":9/hook", new JsonObject().put("client_certificate",
        new JsonObject().put("cert", first.certPem()).put("key", first.keyPem())));
    TestNode.Response rotated = node.patch("/subscriptions/" + created.getString("id"), new JsonObject()
        .put("client_certificate", new JsonObject().put("cert", second.certPem()).put("key", second.keyPem())));

    assertThat(rotated.status()).isEqualTo(200);
    assertThat(rotated.json().getJsonObject("client_certificate").getString("subject")).isEqualTo("CN=second.example");
    assertThat(rotated.json().getJsonObject("client_certificate").getString("fingerprint_sha256"))
        .isNotEqualTo(created.getJsonObject("client_certificate").getString("fingerprint_sha256"));
  }

  @Test
  void aClientCertificateThatCannotBeUsedIsA422NamingTheField() {
    Issued client = TestCertificates.leaf(clientCa, "relay-client.example");
    Issued other = TestCertificates.leaf(clientCa, "other.example");
    Issued expired = TestCertificates.leaf(clientCa, List.of("old.example"), List.of(),
        Instant.now().minus(Duration.ofDays(9)), Instant.now().minus(Duration.ofDays(2)));
    assertRefused(new JsonObject().put("cert", "not a pem").put("key", client.keyPem()), "client_certificate.cert");
    assertRefused(new JsonObject().put("cert", client.certPem()).put("key", "nope"), "client_certificate.key");
    assertRefused(new JsonObject().put("cert", client.certPem()).put("key", other.keyPem()),
        "client_certificate.key does not belong");
    assertRefused(new JsonObject().put("cert", expired.certPem()).put("key", expired.keyPem()),
        "client_certificate.cert expired");
    assertRefused(new JsonObject().put("cert", client.certPem()).put("key", client.keyPem()).put("password", "x"),
        "client_certificate.password is not a known field");
    assertRefused(new JsonObject().put("cert", client.certPem()), "client_certificate.key is required");
  }

  private static void assertRefused(JsonObject pair, String detail) {
    TestNode.Response r = node.post("/subscriptions", new JsonObject().put("target_url", "https://" + NAME + "/h")
        .put("client_certificate", pair));
    assertThat(r.status()).as(r.toString()).isEqualTo(422);
    assertThat(r.json().getString("error")).isEqualTo("validation_failed");
    assertThat(r.json().getString("detail")).contains(detail);
  }
}
