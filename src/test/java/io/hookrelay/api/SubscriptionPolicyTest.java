package io.hookrelay.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import io.hookrelay.testing.TestReceiver.Answer;
import io.hookrelay.testing.TestReceiver.Received;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A subscription's own delivery policy: retry_schedule, max_attempts and timeout override the node's (validated with
 * its rules), static headers go with every request and are never answered whole, and a change reaches the next
 * attempt of a delivery already waiting. The node: schedule 100ms..400ms, 5 attempts, timeout 2s, visibility 5s.
 */
class SubscriptionPolicyTest {
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private static final String TARGET = "https://hooks.example.com/in";
  private static final String TOKEN = "Bearer first-token-0123456789";

  private static TestNode node;

  @BeforeAll
  static void start() {
    node = TestNode.start();
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static JsonObject create(JsonObject extra) {
    return node.subscribe(TARGET, extra);
  }

  private static void assertError(TestNode.Response r, String... detailMentions) {
    assertThat(r.status()).as(r.toString()).isEqualTo(422);
    assertThat(r.json().getString("error")).isEqualTo("validation_failed");
    assertThat(r.json().getString("detail")).contains(detailMentions);
  }

  // --- the API ---

  @Test
  void aSubscriptionWithoutAPolicyShowsTheNodesDefaultsAsNullAndNoHeaders() {
    JsonObject s = create(null);
    assertThat(s.containsKey("retry_schedule")).isTrue();
    assertThat(s.getValue("retry_schedule")).isNull();
    assertThat(s.getValue("max_attempts")).isNull();
    assertThat(s.getValue("timeout")).isNull();
    assertThat(s.getJsonObject("headers")).isEqualTo(new JsonObject());
  }

  @Test
  void thePolicyIsAnsweredAsGivenAndHeaderValuesOnlyMasked() {
    JsonObject s = create(new JsonObject()
        .put("retry_schedule", new JsonArray().add("1s").add("90s").add("5m"))
        .put("max_attempts", 3)
        .put("timeout", "3s")
        .put("headers", new JsonObject().put("Authorization", TOKEN).put("X-Short", "abc")));
    for (JsonObject view : List.of(s, node.get("/subscriptions/" + s.getString("id")).json())) {
      assertThat(view.getJsonArray("retry_schedule")).isEqualTo(new JsonArray().add("1s").add("90s").add("5m"));
      assertThat(view.getInteger("max_attempts")).isEqualTo(3);
      assertThat(view.getString("timeout")).isEqualTo("3s");
      // names in lower case; a long value shows its last four characters, a short one nothing
      assertThat(view.getJsonObject("headers")).isEqualTo(new JsonObject()
          .put("authorization", "********6789").put("x-short", "********"));
    }
    assertThat(node.get("/subscriptions?limit=1000").body()).doesNotContain("first-token").contains("********6789");
    assertThat(node.get("/audit?limit=1000").body()).doesNotContain("first-token");
  }

  static Stream<Arguments> invalidPolicies() {
    return Stream.of(
        Arguments.of(new JsonObject().put("retry_schedule", new JsonArray()), "retry_schedule", "1 to 100"),
        Arguments.of(new JsonObject().put("retry_schedule", new JsonArray().add("soon")), "retry_schedule", "'soon'"),
        Arguments.of(new JsonObject().put("retry_schedule", "10s,30s"), "retry_schedule", "list"),
        Arguments.of(new JsonObject().put("retry_schedule", new JsonArray().add(10)), "retry_schedule", "durations"),
        Arguments.of(new JsonObject().put("retry_schedule", new JsonArray().add("31d")), "retry_schedule", "at most 30d"),
        Arguments.of(new JsonObject().put("max_attempts", 0), "max_attempts", "1 to 100"),
        Arguments.of(new JsonObject().put("max_attempts", 101), "max_attempts", "1 to 100"),
        Arguments.of(new JsonObject().put("max_attempts", 2.5), "max_attempts", "whole number"),
        Arguments.of(new JsonObject().put("max_attempts", "3"), "max_attempts", "whole number"),
        Arguments.of(new JsonObject().put("timeout", "0ms"), "timeout", "between 1ms and 10m"),
        Arguments.of(new JsonObject().put("timeout", "11m"), "timeout", "between 1ms and 10m"),
        Arguments.of(new JsonObject().put("timeout", "fast"), "timeout", "a duration like"),
        Arguments.of(new JsonObject().put("timeout", 3000), "timeout", "a duration like"),
        // the node's visibility timeout is 5s: a longer delivery would be claimed again while in flight
        Arguments.of(new JsonObject().put("timeout", "4500ms"), "timeout", "visibility timeout (5s)"));
  }

  @ParameterizedTest
  @MethodSource("invalidPolicies")
  void aPolicyOutsideTheConfigsRulesIs422NamingTheFieldAndRule(JsonObject policy, String field, String rule) {
    assertError(node.post("/subscriptions", policy.copy().put("target_url", TARGET)), field, rule);
    String id = create(null).getString("id");
    assertError(node.patch("/subscriptions/" + id, policy), field, rule);
  }

  @ParameterizedTest
  @ValueSource(strings = {"Webhook-Id", "webhook-signature", "WEBHOOK-ANYTHING", "Content-Type", "content-length",
      "Host", "User-Agent", "X-Event-Type", "x-webhook-attempt", "traceparent", "Transfer-Encoding", "Connection"})
  void aHeaderNameThatHookrelaySetsIsRefusedByName(String name) {
    JsonObject body = new JsonObject().put("target_url", TARGET)
        .put("headers", new JsonObject().put("X-Fine", "ok").put(name, "x"));
    assertError(node.post("/subscriptions", body), "headers: " + name + ":", "names that hookrelay sets");
  }

  @Test
  void aRetryStepTooLongToPrintIsA422NotAnError() {
    // found by Schemathesis: a step of billions of days overflowed while the refusal was being written
    TestNode.Response r = node.post("/subscriptions", new JsonObject().put("target_url", "http://127.0.0.1:9/x")
        .put("retry_schedule", new JsonArray().add("642268417586d")));
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().getString("detail")).startsWith("retry_schedule must be").contains("at most 30d");
  }

  @Test
  void aTimeoutTooLongToPrintIsA422NotAnError() {
    // found by Schemathesis: 66734372228050759 minutes overflowed while the refusal was being written
    for (String timeout : List.of("66734372228050759m", "9999999999d", "99999999999999999999ms")) {
      TestNode.Response r = node.post("/subscriptions", new JsonObject().put("target_url", "http://127.0.0.1:9/x")
          .put("timeout", timeout));
      assertThat(r.status()).as(timeout).isEqualTo(422);
      assertThat(r.json().getString("detail")).as(timeout).startsWith("timeout must be");
    }
  }

  @Test
  void everyRefusedNameIsNamedAtOnce() {
    JsonObject body = new JsonObject().put("target_url", TARGET)
        .put("headers", new JsonObject().put("Webhook-Id", "x").put("Host", "y"));
    assertError(node.post("/subscriptions", body), "Host, Webhook-Id");
  }

  static Stream<Arguments> invalidHeaders() {
    JsonObject many = new JsonObject();
    for (int i = 0; i < 21; i++) {
      many.put("x-h" + i, "v");
    }
    return Stream.of(
        Arguments.of(new JsonObject().put("bad name", "v"), List.of("'bad name' is not a header name")),
        Arguments.of(new JsonObject().put("x:y", "v"), List.of("'x:y' is not a header name")),
        Arguments.of(new JsonObject().put("", "v"), List.of("is not a header name")),
        Arguments.of(new JsonObject().put("x-" + "a".repeat(127), "v"), List.of("1 to 128")),
        Arguments.of(new JsonObject().put("X-Inject", "a\r\nX-Evil: 1"), List.of("'X-Inject'", "no CR, LF")),
        Arguments.of(new JsonObject().put("X-Nul", "a\u0000b"), List.of("'X-Nul'", "control characters")),
        Arguments.of(new JsonObject().put("X-Empty", ""), List.of("'X-Empty'", "1 to 4096")),
        Arguments.of(new JsonObject().put("X-Long", "v".repeat(4097)), List.of("'X-Long'", "1 to 4096")),
        Arguments.of(new JsonObject().put("X-Number", 5), List.of("'X-Number'", "must be a string")),
        Arguments.of(new JsonObject().put("X-Null", (Object) null), List.of("'X-Null'", "must be a string")),
        Arguments.of(new JsonObject().put("X-Twice", "a").put("x-twice", "b"), List.of("given twice")),
        Arguments.of(many, List.of("at most 20")));
  }

  @ParameterizedTest
  @MethodSource("invalidHeaders")
  void anInvalidHeaderIs422NamingItAndTheRule(JsonObject headers, List<String> mentions) {
    TestNode.Response r = node.post("/subscriptions", new JsonObject().put("target_url", TARGET).put("headers", headers));
    assertError(r, mentions.toArray(String[]::new));
    assertThat(r.json().getString("detail")).startsWith("headers");
  }

  @Test
  void headersThatAreNotAnObjectAre422() {
    assertError(node.post("/subscriptions", new JsonObject().put("target_url", TARGET).put("headers",
        new JsonArray().add("Authorization: x"))), "headers must be an object");
  }

  @Test
  void aPatchMergesHeadersAndNullRemovesOneOrAll() {
    String id = create(new JsonObject().put("headers", new JsonObject().put("X-A", "1").put("X-B", "2"))).getString("id");

    JsonObject merged = node.patch("/subscriptions/" + id, new JsonObject()
        .put("headers", new JsonObject().put("x-b", (Object) null).put("X-C", "3").put("X-A", "4"))).json();
    assertThat(merged.getJsonObject("headers").fieldNames()).containsExactlyInAnyOrder("x-a", "x-c");
    assertThat(node.count("SELECT count(*) FROM subscriptions WHERE id = '" + id
        + "' AND headers = '{\"x-a\": \"4\", \"x-c\": \"3\"}'::jsonb")).isEqualTo(1);

    JsonObject other = node.patch("/subscriptions/" + id, new JsonObject().put("description", "no header change")).json();
    assertThat(other.getJsonObject("headers").fieldNames()).containsExactlyInAnyOrder("x-a", "x-c");

    JsonObject cleared = node.patch("/subscriptions/" + id, new JsonObject().putNull("headers")).json();
    assertThat(cleared.getJsonObject("headers")).isEqualTo(new JsonObject());
  }

  @Test
  void aPatchThatWouldMakeMoreThan20HeadersIs422AndChangesNothing() {
    JsonObject twenty = new JsonObject();
    for (int i = 0; i < 20; i++) {
      twenty.put("x-h" + i, "v");
    }
    String id = create(new JsonObject().put("headers", twenty)).getString("id");
    TestNode.Response r = node.patch("/subscriptions/" + id, new JsonObject().put("description", "changed")
        .put("headers", new JsonObject().put("x-one-more", "v")));
    assertError(r, "headers may name at most 20");
    JsonObject unchanged = node.get("/subscriptions/" + id).json();
    assertThat(unchanged.getJsonObject("headers").size()).isEqualTo(20);
    assertThat(unchanged.getValue("description")).isNull();
    // replacing one of them is no new header
    assertThat(node.patch("/subscriptions/" + id, new JsonObject().put("headers", new JsonObject().put("X-H0", "w")))
        .status()).isEqualTo(200);
  }

  @Test
  void aPatchSetsAndResetsThePolicyFieldByField() {
    String id = create(new JsonObject().put("max_attempts", 7).put("timeout", "1s")).getString("id");
    JsonObject changed = node.patch("/subscriptions/" + id, new JsonObject()
        .put("retry_schedule", new JsonArray().add("2s")).putNull("max_attempts")).json();
    assertThat(changed.getJsonArray("retry_schedule")).isEqualTo(new JsonArray().add("2s"));
    assertThat(changed.getValue("max_attempts")).isNull();
    assertThat(changed.getString("timeout")).isEqualTo("1s");
  }

  // --- delivery ---

  @Test
  void theSubscriptionsScheduleAndAttemptsGovernItsRetries() {
    try (TestReceiver receiver = TestReceiver.answering(500)) {
      String id = node.subscribe(receiver.url(), new JsonObject()
          .put("retry_schedule", new JsonArray().add("1s")).put("max_attempts", 2)).getString("id");
      String webhook = node.ingest(id, new JsonObject().put("n", 1));

      JsonObject status = node.awaitStatus(webhook, DEADLINE, "failed");
      assertThat(status.getInteger("total_attempts")).isEqualTo(2); // the node would make 5
      List<Received> got = receiver.received();
      assertThat(got).hasSize(2);
      // the node's first step is 100 ms; the subscription's is 1 s, less 20 % jitter at most
      assertThat(got.get(1).atMillis() - got.get(0).atMillis()).isGreaterThanOrEqualTo(780);
    }
  }

  @Test
  void headersAndTimeoutGoWithEveryRequestAndAChangeReachesTheNextAttemptOfAWaitingDelivery() {
    // Every answer takes 1 s: within the node's timeout (2 s), beyond the subscription's first one (300 ms).
    try (TestReceiver receiver = TestReceiver.start(n -> Answer.delayed(200, 1000))) {
      String id = node.subscribe(receiver.url(), new JsonObject()
          .put("timeout", "300ms").put("retry_schedule", new JsonArray().add("3s")).put("max_attempts", 3)
          .put("headers", new JsonObject().put("Authorization", TOKEN).put("X-Tenant", "acme"))).getString("id");
      String webhook = node.ingest(id, new JsonObject().put("n", 2));

      JsonObject retrying = node.awaitStatus(webhook, DEADLINE, "retrying");
      assertThat(retrying.getJsonArray("recent_attempts").getJsonObject(0).getString("error")).startsWith("timeout");
      // Changed while the delivery waits (at least 2.4 s) for its second attempt.
      assertThat(node.patch("/subscriptions/" + id, new JsonObject().put("timeout", "3s")
          .put("headers", new JsonObject().put("Authorization", "Bearer second-token").putNull("X-Tenant"))).status())
          .isEqualTo(200);

      JsonObject done = node.awaitStatus(webhook, DEADLINE, "succeeded", "failed");
      assertThat(done.getString("status")).isEqualTo("succeeded");
      assertThat(done.getInteger("total_attempts")).isEqualTo(2);
      List<Received> got = receiver.received();
      assertThat(got).hasSize(2);
      assertThat(got.get(0).header("authorization")).isEqualTo(TOKEN);
      assertThat(got.get(0).header("x-tenant")).isEqualTo("acme");
      assertThat(got.get(1).header("x-webhook-attempt")).isEqualTo("2");
      assertThat(got.get(1).header("authorization")).isEqualTo("Bearer second-token");
      assertThat(got.get(1).header("x-tenant")).isNull();
      // hookrelay's own headers are there as always
      assertThat(got.get(1).header("webhook-signature")).startsWith("v1,");
      assertThat(got.get(1).header("content-type")).isEqualTo("application/json");
    }
  }
}
