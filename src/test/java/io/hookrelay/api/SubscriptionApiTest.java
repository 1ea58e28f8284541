package io.hookrelay.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.delivery.Signer;
import io.hookrelay.testing.Await;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import io.hookrelay.testing.TestServers;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The subscriptions API: create, list, get, patch, delete, rotate-secret; validation, secrecy, auth, trailing slashes. */
class SubscriptionApiTest {
  private static final String TARGET = "https://hooks.example.com/in";
  private static final String UNKNOWN_ID = "00000000-0000-7000-8000-000000000000";

  private static TestNode node;
  /** A node that refuses private targets, as a production node does by default. */
  private static TestNode strict;
  private static TestReceiver receiver;

  @BeforeAll
  static void start() {
    node = TestNode.start();
    strict = TestNode.start(Map.of("HOOKRELAY_ALLOW_PRIVATE_TARGETS", "false", "HOOKRELAY_ROLES", "api"));
    receiver = TestReceiver.answering(200);
  }

  @AfterAll
  static void stop() {
    receiver.close();
    strict.close();
    node.close();
  }

  private static JsonObject create(JsonObject body) {
    TestNode.Response r = node.post("/subscriptions", body);
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    return r.json();
  }

  private static void assertError(TestNode.Response r, int status, String code, String detailMentions) {
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    JsonObject error = r.json();
    assertThat(error.getString("error")).isEqualTo(code);
    assertThat(error.getString("detail")).contains(detailMentions);
  }

  // --- create ---

  @Test
  void createAnswers201WithAGeneratedWhsecSecret() {
    TestNode.Response r = node.post("/subscriptions", new JsonObject().put("target_url", TARGET)
        .put("events", new JsonArray().add("order.*")).put("description", "orders"));

    assertThat(r.status()).isEqualTo(201);
    JsonObject s = r.json();
    assertThat(UUID.fromString(s.getString("id"))).isNotNull();
    assertThat(s.getString("target_url")).isEqualTo(TARGET);
    assertThat(s.getJsonArray("events")).containsExactly("order.*");
    assertThat(s.getString("description")).isEqualTo("orders");
    assertThat(s.getString("status")).isEqualTo("enabled");
    assertThat(s.getString("secret")).startsWith("whsec_");
    assertThat(Signer.secretBytes(s.getString("secret")).length).isBetween(24, 64);
    assertThat(r.header("location")).isEqualTo("/subscriptions/" + s.getString("id"));
  }

  @Test
  void createKeepsAValidGivenSecret() {
    String secret = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);
    JsonObject s = create(new JsonObject().put("target_url", TARGET).put("secret", secret));
    assertThat(s.getString("secret")).isEqualTo(secret);
  }

  @Test
  void createRefusesAWhsecSecretThatIsTooShort() {
    String secret = "whsec_" + Base64.getEncoder().encodeToString(new byte[8]);
    assertError(node.post("/subscriptions", new JsonObject().put("target_url", TARGET).put("secret", secret)),
        422, "validation_failed", "secret");
  }

  @Test
  void createRefusesASecretThatIsNotAString() {
    assertError(node.post("/subscriptions", new JsonObject().put("target_url", TARGET).put("secret", 42)),
        422, "validation_failed", "secret");
  }

  @Test
  void createRefusesAMissingTargetUrl() {
    assertError(node.post("/subscriptions", new JsonObject().put("description", "no url")),
        422, "validation_failed", "target_url is required");
  }

  @Test
  void createRefusesATargetUrlThatIsNotAUrl() {
    assertError(node.post("/subscriptions", new JsonObject().put("target_url", "http://exa mple.com/")),
        422, "validation_failed", "target_url");
    assertError(node.post("/subscriptions", new JsonObject().put("target_url", "not a url at all")),
        422, "validation_failed", "target_url");
  }

  @Test
  void createRefusesATargetUrlThatIsNotHttp() {
    assertError(node.post("/subscriptions", new JsonObject().put("target_url", "ftp://example.com/hook")),
        422, "validation_failed", "http or https");
    assertError(node.post("/subscriptions", new JsonObject().put("target_url", "file:///etc/passwd")),
        422, "validation_failed", "target_url");
  }

  @Test
  void createRefusesABodyThatIsNotJson() {
    assertError(node.send("POST", "/subscriptions", "{not json", Map.of()), 400, "invalid_json", "JSON");
  }

  @Test
  void privateLoopbackLinkLocalAndLocalhostTargetsAreRefusedWhenPrivateTargetsAreNotAllowed() {
    for (String url : List.of("http://127.0.0.1:9000/hook", "http://localhost/hook", "http://10.1.2.3/hook",
        "http://192.168.0.10/hook", "http://172.16.5.4/hook", "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook", "http://[fe80::1]/hook", "http://2130706433/hook", "http://0.0.0.0/hook")) {
      TestNode.Response r = strict.post("/subscriptions", new JsonObject().put("target_url", url));
      assertThat(r.status()).as(url + " → " + r).isEqualTo(422);
      assertThat(r.json().getString("detail")).contains("HOOKRELAY_ALLOWED_TARGET_SUBNETS");
    }
  }

  @Test
  void publicTargetsAreAcceptedWhenPrivateTargetsAreNotAllowed() {
    TestNode.Response r = strict.post("/subscriptions", new JsonObject().put("target_url", TARGET));
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
  }

  @Test
  void patchRefusesAPrivateTargetWhenPrivateTargetsAreNotAllowed() {
    String id = strict.post("/subscriptions", new JsonObject().put("target_url", TARGET)).json().getString("id");
    TestNode.Response r = strict.patch("/subscriptions/" + id, new JsonObject().put("target_url", "http://10.0.0.1/"));
    assertThat(r.status()).as(r.toString()).isEqualTo(422);
  }

  @Test
  void createRefusesMoreThanTheMaximumNumberOfEventFilters() {
    JsonArray events = new JsonArray();
    for (int i = 0; i <= SubscriptionRoutes.MAX_EVENT_FILTERS; i++) {
      events.add("event." + i);
    }
    assertError(node.post("/subscriptions", new JsonObject().put("target_url", TARGET).put("events", events)),
        422, "validation_failed", "events may list at most " + SubscriptionRoutes.MAX_EVENT_FILTERS);
  }

  @Test
  void createRefusesEventFiltersWithBadCharacters() {
    for (Object bad : List.of("order created", "order.*.paid", "", "order/*", 12)) {
      TestNode.Response r = node.post("/subscriptions", new JsonObject().put("target_url", TARGET)
          .put("events", new JsonArray().add(bad)));
      assertThat(r.status()).as(bad + " → " + r).isEqualTo(422);
      assertThat(r.json().getString("detail")).contains("events");
    }
  }

  @Test
  void createRefusesEventsThatAreNotAList() {
    assertError(node.post("/subscriptions", new JsonObject().put("target_url", TARGET).put("events", "order.*")),
        422, "validation_failed", "events must be a list");
  }

  // --- list, get ---

  @Test
  void listPagesWithSkipAndLimit() {
    JsonObject a = create(new JsonObject().put("target_url", TARGET).put("description", "page"));
    JsonObject b = create(new JsonObject().put("target_url", TARGET).put("description", "page"));
    List<String> all = ids(node.get("/subscriptions?limit=1000").array());
    int index = all.indexOf(a.getString("id"));
    assertThat(all.get(index + 1)).isEqualTo(b.getString("id"));

    TestNode.Response page = node.get("/subscriptions?skip=" + index + "&limit=2");
    assertThat(page.status()).isEqualTo(200);
    assertThat(ids(page.array())).containsExactly(a.getString("id"), b.getString("id"));
    assertThat(ids(node.get("/subscriptions?skip=" + (index + 1) + "&limit=1").array()))
        .containsExactly(b.getString("id"));
  }

  @Test
  void listRefusesAZeroLimitAndANegativeSkip() {
    assertError(node.get("/subscriptions?limit=0"), 400, "invalid_parameter", "limit");
    assertError(node.get("/subscriptions?skip=-1"), 400, "invalid_parameter", "skip");
    assertError(node.get("/subscriptions?limit=ten"), 400, "invalid_parameter", "limit");
  }

  @Test
  void getAnswersTheSubscription() {
    JsonObject s = create(new JsonObject().put("target_url", TARGET).put("rate_limit_per_s", 7));
    TestNode.Response r = node.get("/subscriptions/" + s.getString("id"));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("id")).isEqualTo(s.getString("id"));
    assertThat(r.json().getString("target_url")).isEqualTo(TARGET);
    assertThat(r.json().getInteger("rate_limit_per_s")).isEqualTo(7);
  }

  @Test
  void anUnknownIdIs404OnEverySubscriptionRoute() {
    assertError(node.get("/subscriptions/" + UNKNOWN_ID), 404, "not_found", UNKNOWN_ID);
    assertError(node.patch("/subscriptions/" + UNKNOWN_ID, new JsonObject().put("description", "x")),
        404, "not_found", UNKNOWN_ID);
    assertError(node.delete("/subscriptions/" + UNKNOWN_ID), 404, "not_found", UNKNOWN_ID);
    assertError(node.post("/subscriptions/" + UNKNOWN_ID + "/rotate-secret", null), 404, "not_found", UNKNOWN_ID);
  }

  @Test
  void aMalformedIdIs404() {
    assertError(node.get("/subscriptions/not-a-uuid"), 404, "not_found", "not-a-uuid");
    assertError(node.delete("/subscriptions/123"), 404, "not_found", "123");
  }

  // --- patch ---

  @Test
  void patchChangesTargetEventsAndDescription() {
    String id = create(new JsonObject().put("target_url", TARGET).put("description", "before")).getString("id");
    TestNode.Response r = node.patch("/subscriptions/" + id, new JsonObject()
        .put("target_url", "https://other.example.com/hook")
        .put("events", new JsonArray().add("invoice.paid").add("order.*"))
        .put("description", "after"));

    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    JsonObject got = node.get("/subscriptions/" + id).json();
    assertThat(got.getString("target_url")).isEqualTo("https://other.example.com/hook");
    assertThat(got.getJsonArray("events")).containsExactly("invoice.paid", "order.*");
    assertThat(got.getString("description")).isEqualTo("after");
  }

  @Test
  void patchLeavesFieldsItDoesNotNameAlone() {
    String id = create(new JsonObject().put("target_url", TARGET).put("description", "kept")
        .put("events", new JsonArray().add("a.b")).put("rate_limit_per_s", 3)).getString("id");
    node.patch("/subscriptions/" + id, new JsonObject().put("target_url", "https://moved.example.com/"));

    JsonObject got = node.get("/subscriptions/" + id).json();
    assertThat(got.getString("description")).isEqualTo("kept");
    assertThat(got.getJsonArray("events")).containsExactly("a.b");
    assertThat(got.getInteger("rate_limit_per_s")).isEqualTo(3);
  }

  @Test
  void patchSetsAndClearsTheRateLimit() {
    String id = create(new JsonObject().put("target_url", TARGET)).getString("id");
    assertThat(node.patch("/subscriptions/" + id, new JsonObject().put("rate_limit_per_s", 5)).json()
        .getInteger("rate_limit_per_s")).isEqualTo(5);

    TestNode.Response cleared = node.patch("/subscriptions/" + id, new JsonObject().putNull("rate_limit_per_s"));
    assertThat(cleared.status()).isEqualTo(200);
    assertThat(node.get("/subscriptions/" + id).json().getValue("rate_limit_per_s")).isNull();
  }

  @Test
  void patchRefusesABadRateLimit() {
    String id = create(new JsonObject().put("target_url", TARGET)).getString("id");
    assertError(node.patch("/subscriptions/" + id, new JsonObject().put("rate_limit_per_s", 0)),
        422, "validation_failed", "rate_limit_per_s");
    assertError(node.patch("/subscriptions/" + id, new JsonObject().put("rate_limit_per_s", 1.5)),
        422, "validation_failed", "rate_limit_per_s");
  }

  @Test
  void patchDisablesAndEnables() {
    String id = create(new JsonObject().put("target_url", TARGET)).getString("id");
    TestNode.Response disabled = node.patch("/subscriptions/" + id, new JsonObject().put("status", "disabled"));
    assertThat(disabled.json().getString("status")).isEqualTo("disabled");
    assertThat(node.get("/subscriptions/" + id).json().getString("status")).isEqualTo("disabled");

    TestNode.Response enabled = node.patch("/subscriptions/" + id, new JsonObject().put("status", "enabled"));
    assertThat(enabled.status()).isEqualTo(200);
    assertThat(enabled.json().getString("status")).isEqualTo("enabled");
    assertThat(node.get("/subscriptions/" + id).json().getString("status")).isEqualTo("enabled");
  }

  @Test
  void patchRefusesAnUnknownStatus() {
    String id = create(new JsonObject().put("target_url", TARGET)).getString("id");
    assertError(node.patch("/subscriptions/" + id, new JsonObject().put("status", "paused")),
        422, "validation_failed", "status");
  }

  @Test
  void patchRefusesABadTargetUrlAndBadEvents() {
    String id = create(new JsonObject().put("target_url", TARGET)).getString("id");
    assertError(node.patch("/subscriptions/" + id, new JsonObject().put("target_url", "gopher://x/")),
        422, "validation_failed", "target_url");
    assertError(node.patch("/subscriptions/" + id, new JsonObject().put("events", new JsonArray().add("a b"))),
        422, "validation_failed", "events");
    assertThat(node.get("/subscriptions/" + id).json().getString("target_url")).isEqualTo(TARGET);
  }

  @Test
  void createRefusesUnknownAndReadOnlyFieldsNamingEach() {
    TestNode.Response r = node.post("/subscriptions", new JsonObject().put("target_url", TARGET)
        .put("event", new JsonArray().add("order.*")).put("id", UNKNOWN_ID));
    assertError(r, 422, "validation_failed", "unknown field(s) event");
    assertThat(r.json().getString("detail")).contains("read-only field(s) id");
  }

  @Test
  void patchRefusesUnknownFieldsAndChangesNothing() {
    JsonObject s = create(new JsonObject().put("target_url", TARGET).put("events", new JsonArray().add("a.b")));
    String id = s.getString("id");
    TestNode.Response r = node.patch("/subscriptions/" + id, new JsonObject()
        .put("target", "https://moved.example.com/").put("event", new JsonArray().add("c.d")));

    assertError(r, 422, "validation_failed", "unknown field(s) event, target");
    JsonObject got = node.get("/subscriptions/" + id).json();
    assertThat(got.getString("target_url")).isEqualTo(TARGET);
    assertThat(got.getString("updated_at")).isEqualTo(s.getString("updated_at"));
  }

  @Test
  void patchRefusesReadOnlyFields() {
    String id = create(new JsonObject().put("target_url", TARGET)).getString("id");
    assertError(node.patch("/subscriptions/" + id, new JsonObject().put("id", UNKNOWN_ID)),
        422, "validation_failed", "read-only field(s) id");
    assertError(node.patch("/subscriptions/" + id, new JsonObject().put("created_at", "2020-01-01T00:00:00Z")),
        422, "validation_failed", "read-only field(s) created_at");
  }

  @Test
  void patchRefusesANullTargetUrl() {
    String id = create(new JsonObject().put("target_url", TARGET)).getString("id");
    assertError(node.patch("/subscriptions/" + id, new JsonObject().putNull("target_url")),
        422, "validation_failed", "target_url cannot be null");
  }

  @Test
  void aPatchThatChangesNothingLeavesUpdatedAtAndTheAuditLogAlone() {
    JsonObject s = create(new JsonObject().put("target_url", TARGET).put("description", "same"));
    String id = s.getString("id");
    long auditRows = node.count("SELECT count(*) FROM audit_log WHERE subscription_id = '" + id + "'");

    TestNode.Response same = node.patch("/subscriptions/" + id, new JsonObject().put("target_url", TARGET)
        .put("description", "same").put("status", "enabled"));
    TestNode.Response empty = node.patch("/subscriptions/" + id, new JsonObject());

    assertThat(same.status()).as(same.toString()).isEqualTo(200);
    assertThat(empty.status()).as(empty.toString()).isEqualTo(200);
    assertThat(same.json().getString("updated_at")).isEqualTo(s.getString("updated_at"));
    assertThat(node.get("/subscriptions/" + id).json().getString("updated_at")).isEqualTo(s.getString("updated_at"));
    assertThat(node.count("SELECT count(*) FROM audit_log WHERE subscription_id = '" + id + "'")).isEqualTo(auditRows);
  }

  @Test
  void aPatchThatChangesSomethingMovesUpdatedAtAndIsAudited() {
    JsonObject s = create(new JsonObject().put("target_url", TARGET).put("description", "before"));
    String id = s.getString("id");
    long auditRows = node.count("SELECT count(*) FROM audit_log WHERE subscription_id = '" + id + "'");

    TestNode.Response r = node.patch("/subscriptions/" + id, new JsonObject().put("description", "after"));

    assertThat(r.json().getString("updated_at")).isNotEqualTo(s.getString("updated_at"));
    assertThat(node.count("SELECT count(*) FROM audit_log WHERE subscription_id = '" + id + "'"))
        .isEqualTo(auditRows + 1);
  }

  @Test
  void aSubscriptionDisabledFromTheDashboardSaysSo() {
    String viaApi = create(new JsonObject().put("target_url", TARGET)).getString("id");
    String viaDashboard = create(new JsonObject().put("target_url", TARGET)).getString("id");
    node.patch("/subscriptions/" + viaApi, new JsonObject().put("status", "disabled"));
    node.send("PATCH", "/subscriptions/" + viaDashboard, new JsonObject().put("status", "disabled").encode(),
        Map.of("Content-Type", "application/json", "X-Hookrelay-Actor", "dashboard"));

    assertThat(node.get("/subscriptions/" + viaApi).json().getString("disabled_reason"))
        .isEqualTo("disabled through the API");
    assertThat(node.get("/subscriptions/" + viaDashboard).json().getString("disabled_reason"))
        .isEqualTo("disabled from the dashboard");
    assertThat(node.count("SELECT count(*) FROM audit_log WHERE subscription_id = '" + viaDashboard
        + "' AND action = 'subscription_updated' AND details->>'actor' = 'dashboard'")).isEqualTo(1);
  }

  // --- delete ---

  @Test
  void deleteAnswers204AndTheSubscriptionIsGone() {
    String id = create(new JsonObject().put("target_url", TARGET)).getString("id");
    TestNode.Response r = node.delete("/subscriptions/" + id);
    assertThat(r.status()).isEqualTo(204);
    assertThat(r.body()).isEmpty();
    assertThat(node.get("/subscriptions/" + id).status()).isEqualTo(404);
    assertThat(node.delete("/subscriptions/" + id).status()).isEqualTo(404);
  }

  @Test
  void deletingASubscriptionDeletesItsDeliveriesAndTheirAttempts() throws Exception {
    String id = create(new JsonObject().put("target_url", TARGET)).getString("id");
    // Disabled, so that no attempt of the node's own is recorded while the subscription is being deleted: one
    // recorded in that instant may outlive it until retention (docs/delivery.md), which this test is not about.
    assertThat(node.patch("/subscriptions/" + id, new JsonObject().put("status", "disabled")).status()).isEqualTo(200);
    TestNode.Response ingested = node.post("/ingest/" + id, new JsonObject().put("n", 1));
    assertThat(ingested.status()).isEqualTo(202);
    String webhook = ingested.json().getString("webhook_id");
    Await.until(Duration.ofSeconds(30), "the delivery held, not attempted", () -> node.count(
        "SELECT count(*) FROM deliveries WHERE id = '" + webhook + "' AND status = 'held'") == 1);
    try (Connection c = TestServers.jdbc(node.databaseUrl); Statement s = c.createStatement()) {
      s.execute("INSERT INTO attempts (delivery_id, subscription_id, target_url, attempt_number, started_at, "
          + "duration_ms, outcome, status_code) VALUES ('" + webhook + "', '" + id + "', '" + TARGET
          + "', 1, now(), 5, 'Failed Attempt', 500)");
    }

    assertThat(node.delete("/subscriptions/" + id).status()).isEqualTo(204);

    assertThat(node.count("SELECT count(*) FROM deliveries WHERE subscription_id = '" + id + "'")).isZero();
    assertThat(node.count("SELECT count(*) FROM deliveries_open WHERE delivery_id = '" + webhook + "'")).isZero();
    assertThat(node.count("SELECT count(*) FROM attempts WHERE subscription_id = '" + id + "'")).isZero();
  }

  // --- secrecy ---

  @Test
  void theSecretNeverAppearsInListGetOrPatchAnswers() {
    JsonObject s = create(new JsonObject().put("target_url", TARGET));
    String id = s.getString("id");
    String secret = s.getString("secret");
    String given = "whsec_" + Base64.getEncoder().encodeToString("0123456789abcdef0123456789abcdef".getBytes());

    List<TestNode.Response> answers = List.of(
        node.get("/subscriptions?limit=1000"),
        node.get("/subscriptions/" + id),
        node.patch("/subscriptions/" + id, new JsonObject().put("description", "d")),
        node.patch("/subscriptions/" + id, new JsonObject().put("secret", given)),
        node.get("/subscriptions/" + id));
    for (TestNode.Response r : answers) {
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.body()).doesNotContain(secret).doesNotContain(given).doesNotContain("whsec_")
          .doesNotContain("\"secret\"").doesNotContain("previous_secret\"");
    }
  }

  // --- rotate-secret ---

  @Test
  void rotateSecretAnswersANewSecretAndKeepsTheOldOneForTheOverlap() {
    JsonObject s = create(new JsonObject().put("target_url", TARGET));
    String id = s.getString("id");
    String old = s.getString("secret");

    TestNode.Response r = node.post("/subscriptions/" + id + "/rotate-secret", null);

    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    String fresh = r.json().getString("secret");
    assertThat(fresh).startsWith("whsec_").isNotEqualTo(old);
    assertThat(r.json().getString("previous_secret_expires_at")).isNotBlank();
    assertThat(node.count("SELECT count(*) FROM subscriptions WHERE id = '" + id + "' AND secret = '" + fresh
        + "' AND previous_secret = '" + old + "' AND previous_secret_expires_at > now() + interval '23 hours'"))
        .isEqualTo(1);
  }

  @Test
  void rotateSecretKeepsAValidGivenSecretAndRefusesAnInvalidOne() {
    String id = create(new JsonObject().put("target_url", TARGET)).getString("id");
    String given = "whsec_" + Base64.getEncoder().encodeToString(new byte[40]);

    TestNode.Response r = node.post("/subscriptions/" + id + "/rotate-secret", new JsonObject().put("secret", given));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("secret")).isEqualTo(given);

    assertError(node.post("/subscriptions/" + id + "/rotate-secret", new JsonObject().put("secret", "whsec_!!")),
        422, "validation_failed", "secret");
  }

  @Test
  void afterARotationDeliveriesAreSignedWithBothSecrets() {
    JsonObject s = node.subscribe(receiver.url(), null);
    String id = s.getString("id");
    String old = s.getString("secret");
    String fresh = node.post("/subscriptions/" + id + "/rotate-secret", null).json().getString("secret");
    int before = receiver.count();

    String webhookId = node.ingest(id, new JsonObject().put("rotated", true));

    node.awaitStatus(webhookId, Duration.ofSeconds(30), "succeeded");
    TestReceiver.Received got = receiver.received().stream()
        .filter(x -> webhookId.equals(x.header("webhook-id"))).findFirst().orElseThrow();
    assertThat(got.number()).isGreaterThan(before);
    long now = System.currentTimeMillis() / 1000;
    for (String secret : List.of(old, fresh)) {
      assertThat(Signer.verify(secret, webhookId, got.header("webhook-timestamp"), got.body(),
          got.header("webhook-signature"), now, 300)).as("signed with " + secret).isTrue();
    }
  }

  // --- signature schemes ---

  private static JsonObject createV1a() {
    return create(new JsonObject().put("target_url", TARGET).put("signature_scheme", "v1a"));
  }

  /** Whether the stored secret starts with the prefix ("whsk_" for an ed25519 private key, "whsec_" for HMAC). */
  private static boolean storedSecretStartsWith(String id, String prefix) {
    return node.count("SELECT count(*) FROM subscriptions WHERE id = '" + id + "' AND starts_with(secret, '" + prefix
        + "')") == 1;
  }

  @Test
  void createDefaultsToV1WithNoPublicKey() {
    JsonObject s = create(new JsonObject().put("target_url", TARGET));

    assertThat(s.getString("signature_scheme")).isEqualTo("v1");
    assertThat(s.containsKey("public_key")).isTrue();
    assertThat(s.getString("public_key")).isNull();
    assertThat(s.getString("secret")).startsWith("whsec_");
  }

  @Test
  void createWithV1aAnswersAWhpkPublicKeyAndNoSecret() {
    JsonObject s = createV1a();
    String id = s.getString("id");

    assertThat(s.getString("signature_scheme")).isEqualTo("v1a");
    assertThat(s.getString("public_key")).startsWith("whpk_");
    assertThat(Signer.isValidPublicKey(s.getString("public_key"))).isTrue();
    assertThat(s.containsKey("secret")).isFalse();
    assertThat(s.encode()).doesNotContain("whsk_");
    assertThat(storedSecretStartsWith(id, "whsk_")).isTrue();
    assertThat(node.count("SELECT count(*) FROM subscriptions WHERE id = '" + id + "' AND signature_scheme = 'v1a' "
        + "AND public_key = '" + s.getString("public_key") + "'")).isEqualTo(1);
  }

  @Test
  void theV1aPrivateKeyNeverAppearsInAnyAnswerButThePublicKeyShowsOnGet() {
    JsonObject s = createV1a();
    String id = s.getString("id");

    TestNode.Response get = node.get("/subscriptions/" + id);
    assertThat(get.json().getString("public_key")).isEqualTo(s.getString("public_key"));
    List<TestNode.Response> answers = List.of(
        get,
        node.get("/subscriptions?limit=1000"),
        node.patch("/subscriptions/" + id, new JsonObject().put("description", "d")),
        node.patch("/subscriptions/" + id, new JsonObject().put("signature_scheme", "v1a")),
        node.post("/subscriptions/" + id + "/rotate-secret", null),
        node.post("/subscriptions/" + id + "/enable", null),
        node.get("/subscriptions/" + id));
    for (TestNode.Response r : answers) {
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      assertThat(r.body()).doesNotContain("whsk_").doesNotContain("\"secret\"").doesNotContain("previous_secret\"");
    }
  }

  @Test
  void rotateSecretOnV1aAnswersANewPublicKeyAndKeepsTheOldPrivateKeyForTheOverlap() {
    JsonObject s = createV1a();
    String id = s.getString("id");

    TestNode.Response r = node.post("/subscriptions/" + id + "/rotate-secret", null);

    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().getString("public_key")).startsWith("whpk_").isNotEqualTo(s.getString("public_key"));
    assertThat(r.json().getString("signature_scheme")).isEqualTo("v1a");
    assertThat(r.json().containsKey("secret")).isFalse();
    assertThat(r.json().getString("previous_secret_expires_at")).isNotBlank();
    assertThat(node.count("SELECT count(*) FROM subscriptions WHERE id = '" + id + "' AND secret LIKE 'whsk\\_%' "
        + "AND previous_secret LIKE 'whsk\\_%' AND previous_secret <> secret "
        + "AND public_key = '" + r.json().getString("public_key") + "'")).isEqualTo(1);
  }

  @Test
  void aV1aSubscriptionTakesNoSecretOnCreatePatchOrRotate() {
    String given = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);
    assertError(node.post("/subscriptions", new JsonObject().put("target_url", TARGET)
        .put("signature_scheme", "v1a").put("secret", given)), 422, "validation_failed", "secret");
    String id = createV1a().getString("id");

    assertError(node.patch("/subscriptions/" + id, new JsonObject().put("secret", given)),
        422, "validation_failed", "secret cannot be given");
    assertError(node.post("/subscriptions/" + id + "/rotate-secret", new JsonObject().put("secret", given)),
        422, "validation_failed", "secret cannot be given");
    assertThat(storedSecretStartsWith(id, "whsk_")).isTrue();
  }

  @Test
  void anEd25519KeyIsNotAcceptedAsASecret() {
    String privateKey = "whsk_" + Base64.getEncoder().encodeToString(new byte[32]);
    assertError(node.post("/subscriptions", new JsonObject().put("target_url", TARGET).put("secret", privateKey)),
        422, "validation_failed", "secret");
  }

  @Test
  void anUnknownSignatureSchemeIs422NamingTheFieldAndTheAllowedValues() {
    String id = create(new JsonObject().put("target_url", TARGET)).getString("id");
    for (Object bad : List.of("v2", "V1A", "", 1)) {
      assertError(node.post("/subscriptions", new JsonObject().put("target_url", TARGET).put("signature_scheme", bad)),
          422, "validation_failed", "signature_scheme must be 'v1'");
      assertError(node.patch("/subscriptions/" + id, new JsonObject().put("signature_scheme", bad)),
          422, "validation_failed", "'v1a'");
    }
  }

  @Test
  void patchSwitchesTheSchemeWithANewKeyAndTheOldKeyOverlaps() {
    JsonObject s = create(new JsonObject().put("target_url", TARGET));
    String id = s.getString("id");
    String oldSecret = s.getString("secret");

    TestNode.Response toV1a = node.patch("/subscriptions/" + id, new JsonObject().put("signature_scheme", "v1a"));
    assertThat(toV1a.status()).as(toV1a.toString()).isEqualTo(200);
    assertThat(toV1a.json().getString("signature_scheme")).isEqualTo("v1a");
    assertThat(toV1a.json().getString("public_key")).startsWith("whpk_");
    assertThat(toV1a.body()).doesNotContain("whsk_").doesNotContain("\"secret\"");
    assertThat(node.count("SELECT count(*) FROM subscriptions WHERE id = '" + id + "' AND secret LIKE 'whsk\\_%' "
        + "AND previous_secret = '" + oldSecret + "' AND previous_secret_expires_at > now()")).isEqualTo(1);

    TestNode.Response back = node.patch("/subscriptions/" + id, new JsonObject().put("signature_scheme", "v1"));
    assertThat(back.status()).as(back.toString()).isEqualTo(200);
    assertThat(back.json().getString("signature_scheme")).isEqualTo("v1");
    assertThat(back.json().getString("public_key")).isNull();
    assertThat(back.json().getString("secret")).startsWith("whsec_").isNotEqualTo(oldSecret);
    assertThat(storedSecretStartsWith(id, "whsec_")).isTrue();
  }

  @Test
  void patchWithTheCurrentSchemeChangesNoKey() {
    JsonObject s = createV1a();
    String id = s.getString("id");

    TestNode.Response r = node.patch("/subscriptions/" + id, new JsonObject().put("signature_scheme", "v1a"));

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("public_key")).isEqualTo(s.getString("public_key"));
    assertThat(node.count("SELECT count(*) FROM subscriptions WHERE id = '" + id + "' AND previous_secret IS NULL"))
        .isEqualTo(1);
  }

  @Test
  void patchToV1WithAGivenSecretKeepsIt() {
    String id = createV1a().getString("id");
    String given = "whsec_" + Base64.getEncoder().encodeToString(new byte[32]);

    TestNode.Response r = node.patch("/subscriptions/" + id,
        new JsonObject().put("signature_scheme", "v1").put("secret", given));

    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().getString("signature_scheme")).isEqualTo("v1");
    assertThat(r.body()).doesNotContain(given);
    assertThat(node.count("SELECT count(*) FROM subscriptions WHERE id = '" + id + "' AND secret = '" + given
        + "' AND public_key IS NULL AND previous_secret LIKE 'whsk\\_%'")).isEqualTo(1);
  }

  // --- trailing slashes ---

  @Test
  void everyRouteAcceptsATrailingSlash() {
    TestNode.Response created = node.post("/subscriptions/", new JsonObject().put("target_url", receiver.url()));
    assertThat(created.status()).as(created.toString()).isEqualTo(201);
    String id = created.json().getString("id");

    assertThat(node.get("/subscriptions/").status()).isEqualTo(200);
    assertThat(node.get("/subscriptions/" + id + "/").status()).isEqualTo(200);
    assertThat(node.patch("/subscriptions/" + id + "/", new JsonObject().put("description", "slash")).status())
        .isEqualTo(200);
    assertThat(node.post("/subscriptions/" + id + "/rotate-secret/", null).status()).isEqualTo(200);
    assertThat(node.get("/subscriptions/" + id + "/attempts/").status()).isEqualTo(200);
    TestNode.Response ingested = node.post("/ingest/" + id + "/", new JsonObject().put("slash", true));
    assertThat(ingested.status()).as(ingested.toString()).isEqualTo(202);
    String webhookId = ingested.json().getString("webhook_id");
    assertThat(node.get("/status/" + webhookId + "/").status()).isEqualTo(200);
    node.awaitStatus(webhookId, Duration.ofSeconds(30), "succeeded"); // not deleted under its delivery
    assertThat(node.get("/audit/").status()).isEqualTo(200);
    assertThat(node.send("GET", "/health/", null, withAuthorization(null)).status()).isEqualTo(200);
    assertThat(node.delete("/subscriptions/" + id + "/").status()).isEqualTo(204);
  }

  @Test
  void anUnknownRouteIs404AndAnUnsupportedMethodIs405AsJson() {
    assertError(node.get("/nothing-here"), 404, "not_found", "/nothing-here");
    assertError(node.send("PUT", "/subscriptions/" + UNKNOWN_ID, "{}", Map.of()), 405, "method_not_allowed", "PUT");
  }

  // --- auth ---

  /** Every route that needs the API key, with a real id where it takes one. */
  private static List<String[]> protectedRoutes() {
    String id = UNKNOWN_ID;
    return List.of(
        new String[] {"POST", "/subscriptions"},
        new String[] {"GET", "/subscriptions"},
        new String[] {"GET", "/subscriptions/" + id},
        new String[] {"PATCH", "/subscriptions/" + id},
        new String[] {"DELETE", "/subscriptions/" + id},
        new String[] {"POST", "/subscriptions/" + id + "/rotate-secret"},
        new String[] {"POST", "/subscriptions/" + id + "/enable"},
        new String[] {"POST", "/subscriptions/" + id + "/recover?since=2026-01-01T00:00:00Z"},
        new String[] {"GET", "/subscriptions/" + id + "/attempts"},
        new String[] {"POST", "/ingest/" + id},
        new String[] {"POST", "/events"},
        new String[] {"GET", "/status/" + id},
        new String[] {"POST", "/status/" + id + "/retry"},
        new String[] {"GET", "/audit"},
        // the key is checked before routing, so a route added later is protected too
        new String[] {"GET", "/no-such-route"});
  }

  @Test
  void everyProtectedRouteAnswers401WithoutAKey() {
    assertEveryProtectedRouteRefuses(null);
  }

  @Test
  void everyProtectedRouteAnswers401WithAWrongKey() {
    assertEveryProtectedRouteRefuses("Bearer " + TestNode.API_KEY + "x");
  }

  @Test
  void everyProtectedRouteAnswers401ForANonBearerScheme() {
    assertEveryProtectedRouteRefuses("Basic " + Base64.getEncoder().encodeToString(("u:" + TestNode.API_KEY).getBytes()));
    assertEveryProtectedRouteRefuses(TestNode.API_KEY);
  }

  private static void assertEveryProtectedRouteRefuses(String authorization) {
    Map<String, String> headers = withAuthorization(authorization);
    for (String[] route : protectedRoutes()) {
      TestNode.Response r = node.send(route[0], route[1], route[0].equals("GET") ? null : "{}", headers);
      assertThat(r.status()).as(route[0] + " " + route[1] + " → " + r).isEqualTo(401);
      assertThat(r.json().getString("error")).isEqualTo("unauthorized");
      assertThat(r.header("www-authenticate")).isEqualTo("Bearer");
    }
  }

  @Test
  void healthAnswers200WithoutAKey() {
    TestNode.Response r = node.send("GET", "/health", null, withAuthorization(null));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("status")).isEqualTo("ok");
  }

  @Test
  void readyAnswers200WithoutAKeyWhenPostgresqlAndRedisAnswer() {
    TestNode.Response r = node.send("GET", "/ready", null, withAuthorization(null));
    assertThat(r.status()).as(r.toString()).isEqualTo(200);
    assertThat(r.json().getString("postgres")).isEqualTo("ok");
    assertThat(r.json().getString("redis")).isEqualTo("ok");
  }

  @Test
  void theRightKeyIsAcceptedWhateverTheCaseOfBearer() {
    assertThat(node.send("GET", "/subscriptions", null, Map.of("Authorization", "bearer " + TestNode.API_KEY))
        .status()).isEqualTo(200);
  }

  /** Headers replacing the default Authorization; null sends none at all. */
  private static Map<String, String> withAuthorization(String value) {
    Map<String, String> headers = new java.util.HashMap<>();
    headers.put("Authorization", value);
    return headers;
  }

  private static List<String> ids(JsonArray array) {
    return array.stream().map(o -> ((JsonObject) o).getString("id")).toList();
  }
}
