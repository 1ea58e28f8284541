package io.hookrelay.store;

import io.hookrelay.config.Durations;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A subscription's own delivery policy: a retry schedule, a number of attempts and a timeout that override the node's
 * (null: the node's), and static headers added to every request (names in lower case; values may be credentials).
 */
public record SubscriptionPolicy(List<Duration> retrySchedule, Integer maxAttempts, Duration timeout,
    Map<String, String> headers) {

  /** Everything as the node says, no extra headers. */
  public static final SubscriptionPolicy NODE_DEFAULTS = new SubscriptionPolicy(null, null, null, Map.of());

  /** Values this long or longer show their last four characters when masked; shorter ones show nothing. */
  static final int SHOW_TAIL_FROM = 16;
  static final String MASK = "********";

  public SubscriptionPolicy {
    retrySchedule = retrySchedule == null ? null : List.copyOf(retrySchedule);
    headers = headers == null ? Map.of() : Map.copyOf(headers);
  }

  /**
   * How an API answer shows a header value: never whole, as the signing secret is never shown after it is made;
   * the last four characters of a long value let an operator tell which credential is set.
   */
  public static String masked(String value) {
    return value.length() >= SHOW_TAIL_FROM ? MASK + value.substring(value.length() - 4) : MASK;
  }

  /** The fields of the public view: durations as in the config ("10s"), header values masked. */
  void putInto(JsonObject view) {
    view.put("retry_schedule", retrySchedule == null ? null
        : new JsonArray(retrySchedule.stream().map(Durations::format).toList()));
    view.put("max_attempts", maxAttempts);
    view.put("timeout", timeout == null ? null : Durations.format(timeout));
    JsonObject shown = new JsonObject();
    headers.keySet().stream().sorted().forEach(name -> shown.put(name, masked(headers.get(name))));
    view.put("headers", shown);
  }
}
