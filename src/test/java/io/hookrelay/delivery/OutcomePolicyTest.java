package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.delivery.OutcomePolicy.Answer;
import io.hookrelay.delivery.OutcomePolicy.Breaker;
import io.hookrelay.delivery.OutcomePolicy.Decision;
import io.hookrelay.store.SubscriptionPolicy;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every way an attempt can end, and what it means: the table below is the specification of delivery outcomes.
 * Schedule 10 s, 30 s, 60 s; at most 5 attempts; the jitter's draw is 0.5 (no jitter) unless a row says otherwise.
 */
class OutcomePolicyTest {
  private static final RetryPolicy POLICY = new RetryPolicy(
      List.of(Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)), 5);
  private static final long NOW = Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
  private static final String IN_20_S = DateTimeFormatter.RFC_1123_DATE_TIME.format(
      Instant.ofEpochMilli(NOW + 20_000).atOffset(ZoneOffset.UTC));

  /** attempt, answer, draw → status, outcome, delay (null: none), gone, error, breaker. */
  record Row(String why, int attempt, Answer answer, double draw, String status, String outcome, Long delayMs,
      boolean gone, String error, Breaker breaker) {
    @Override
    public String toString() {
      return why;
    }
  }

  static List<Row> table() {
    return List.of(
        new Row("200 succeeds", 1, Answer.http(200, null), 0.5, "succeeded", "Success", null, false, null, Breaker.RESET),
        new Row("any 2xx succeeds", 3, Answer.http(204, null), 0.5, "succeeded", "Success", null, false, null, Breaker.RESET),
        new Row("a success on the last attempt succeeds", 5, Answer.http(299, null), 0.5, "succeeded", "Success", null, false, null, Breaker.RESET),
        new Row("500 on attempt 1 waits the first step", 1, Answer.http(500, null), 0.5, "retrying", "Failed Attempt", 10_000L, false, "HTTP 500", Breaker.NONE),
        new Row("500 on attempt 2 waits the second step", 2, Answer.http(500, null), 0.5, "retrying", "Failed Attempt", 30_000L, false, "HTTP 500", Breaker.NONE),
        new Row("past the schedule the last step repeats", 4, Answer.http(502, null), 0.5, "retrying", "Failed Attempt", 60_000L, false, "HTTP 502", Breaker.NONE),
        new Row("the lowest draw waits 80 % of the step", 1, Answer.http(500, null), 0.0, "retrying", "Failed Attempt", 8_000L, false, "HTTP 500", Breaker.NONE),
        new Row("the highest draw waits nearly 120 %", 1, Answer.http(500, null), 0.999_999, "retrying", "Failed Attempt", 12_000L, false, "HTTP 500", Breaker.NONE),
        new Row("3xx is a failure: redirects are not followed", 1, Answer.http(302, null), 0.5, "retrying", "Failed Attempt", 10_000L, false, "HTTP 302", Breaker.NONE),
        new Row("4xx is retried like 5xx", 1, Answer.http(400, null), 0.5, "retrying", "Failed Attempt", 10_000L, false, "HTTP 400", Breaker.NONE),
        new Row("429 with Retry-After in seconds waits as asked", 1, Answer.http(429, "20"), 0.5, "retrying", "Failed Attempt", 20_000L, false, "HTTP 429", Breaker.NONE),
        new Row("503 with Retry-After as an HTTP date waits until then", 1, Answer.http(503, IN_20_S), 0.5, "retrying", "Failed Attempt", 20_000L, false, "HTTP 503", Breaker.NONE),
        new Row("Retry-After is capped at the largest step", 1, Answer.http(429, "3600"), 0.5, "retrying", "Failed Attempt", 60_000L, false, "HTTP 429", Breaker.NONE),
        new Row("Retry-After that is not a delay is ignored", 1, Answer.http(429, "soon"), 0.5, "retrying", "Failed Attempt", 10_000L, false, "HTTP 429", Breaker.NONE),
        new Row("Retry-After on a 500 is ignored", 1, Answer.http(500, "1"), 0.5, "retrying", "Failed Attempt", 10_000L, false, "HTTP 500", Breaker.NONE),
        new Row("a failure on the last attempt is final", 5, Answer.http(500, null), 0.5, "failed", "Failure", null, false, "HTTP 500", Breaker.COUNT),
        new Row("429 on the last attempt is final too", 5, Answer.http(429, "1"), 0.5, "failed", "Failure", null, false, "HTTP 429", Breaker.COUNT),
        new Row("410 Gone is final at once and disables", 1, Answer.http(410, null), 0.5, "failed", "Failure", null, true, "HTTP 410", Breaker.COUNT),
        new Row("no answer is retried with the reason", 1, Answer.noAnswer("timeout: 5000 ms"), 0.5, "retrying", "Failed Attempt", 10_000L, false, "timeout: 5000 ms", Breaker.NONE),
        new Row("no answer on the last attempt is final", 5, Answer.noAnswer("connection refused: x"), 0.5, "failed", "Failure", null, false, "connection refused: x", Breaker.COUNT),
        new Row("a refused target is retried: its DNS may change back", 1, Answer.noAnswer("target refused: x"), 0.5, "retrying", "Failed Attempt", 10_000L, false, "target refused: x", Breaker.NONE));
  }

  /** Subscriptions' own policies, over the node's above: a schedule of 1 s, 2 s; 2 attempts; or both. */
  private static final SubscriptionPolicy OWN_SCHEDULE = new SubscriptionPolicy(
      List.of(Duration.ofSeconds(1), Duration.ofSeconds(2)), null, null, Map.of());
  private static final SubscriptionPolicy OWN_ATTEMPTS = new SubscriptionPolicy(null, 2, null, Map.of());
  private static final SubscriptionPolicy OWN_BOTH = new SubscriptionPolicy(List.of(Duration.ofMinutes(5)), 8, null,
      Map.of());
  /** Headers and a timeout change the request, not the judgement. */
  private static final SubscriptionPolicy OWN_REQUEST_ONLY = new SubscriptionPolicy(null, null, Duration.ofSeconds(3),
      Map.of("authorization", "Bearer x"));

  record OwnRow(String why, SubscriptionPolicy own, int attempt, Answer answer, String status, Long delayMs) {
    @Override
    public String toString() {
      return why;
    }
  }

  static List<OwnRow> perSubscription() {
    return List.of(
        new OwnRow("its own schedule sets the first wait", OWN_SCHEDULE, 1, Answer.http(500, null), "retrying", 1_000L),
        new OwnRow("its own schedule's last step repeats", OWN_SCHEDULE, 4, Answer.http(500, null), "retrying", 2_000L),
        new OwnRow("its own schedule keeps the node's attempts", OWN_SCHEDULE, 5, Answer.http(500, null), "failed", null),
        new OwnRow("Retry-After is capped at its own largest step", OWN_SCHEDULE, 1, Answer.http(429, "60"), "retrying", 2_000L),
        new OwnRow("its own attempts end it sooner", OWN_ATTEMPTS, 2, Answer.http(500, null), "failed", null),
        new OwnRow("its own attempts keep the node's schedule", OWN_ATTEMPTS, 1, Answer.http(500, null), "retrying", 10_000L),
        new OwnRow("its own attempts can go past the node's", OWN_BOTH, 5, Answer.http(500, null), "retrying", 300_000L),
        new OwnRow("and end at its own number", OWN_BOTH, 8, Answer.noAnswer("timeout: x"), "failed", null),
        new OwnRow("a success is a success under any policy", OWN_ATTEMPTS, 2, Answer.http(200, null), "succeeded", null),
        new OwnRow("410 is final under any policy", OWN_BOTH, 1, Answer.http(410, null), "failed", null),
        new OwnRow("headers and a timeout leave the node's judgement", OWN_REQUEST_ONLY, 1, Answer.http(500, null), "retrying", 10_000L),
        new OwnRow("no overrides at all is the node's policy", SubscriptionPolicy.NODE_DEFAULTS, 5, Answer.http(500, null), "failed", null));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("perSubscription")
  void aSubscriptionsOwnPolicyIsJudgedAsTheTableSays(OwnRow row) {
    Decision d = OutcomePolicy.decide(row.attempt(), row.answer(), POLICY.overriddenBy(row.own()), 0.5, NOW);
    assertThat(d.newStatus()).isEqualTo(row.status());
    assertThat(d.retryDelayMs()).isEqualTo(row.delayMs());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("table")
  void eachAnswerIsJudgedAsTheTableSays(Row row) {
    Decision d = OutcomePolicy.decide(row.attempt(), row.answer(), POLICY, row.draw(), NOW);
    assertThat(d.newStatus()).isEqualTo(row.status());
    assertThat(d.outcome()).isEqualTo(row.outcome());
    assertThat(d.retryDelayMs()).isEqualTo(row.delayMs());
    assertThat(d.retrying()).isEqualTo(row.delayMs() != null);
    assertThat(d.gone()).isEqualTo(row.gone());
    assertThat(d.lastError()).isEqualTo(row.error());
    assertThat(d.breaker()).isEqualTo(row.breaker());
  }
}
