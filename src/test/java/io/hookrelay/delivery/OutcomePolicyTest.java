package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.delivery.OutcomePolicy.Answer;
import io.hookrelay.delivery.OutcomePolicy.Breaker;
import io.hookrelay.delivery.OutcomePolicy.Decision;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
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
