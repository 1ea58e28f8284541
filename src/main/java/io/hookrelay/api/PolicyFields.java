package io.hookrelay.api;

import io.hookrelay.config.Durations;
import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.config.PolicyRules;
import io.hookrelay.store.SubscriptionPolicy;
import io.hookrelay.store.SubscriptionRepository;
import io.hookrelay.store.SubscriptionRepository.PolicyPatch;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A subscription's delivery-policy fields as the API reads them: {@code retry_schedule}, {@code max_attempts} and
 * {@code timeout} (the node's rules, null for the node's default) and {@code headers} (static request headers).
 */
final class PolicyFields {
  static final int MAX_HEADERS = 20;
  static final int MAX_HEADER_NAME = 128;
  static final int MAX_HEADER_VALUE = 4096;
  /** RFC 9110 token characters. */
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");
  /** Visible ASCII, space and tab: no CR or LF (no header injection), no other control characters. */
  private static final Pattern FIELD_VALUE = Pattern.compile("[\\x20-\\x7E\\t]+");
  /**
   * Names hookrelay sets itself, or that would change how the request is framed or traced; compared in lower case.
   * {@code webhook-*} is refused as a prefix.
   */
  static final Set<String> RESERVED = Set.of("content-type", "content-length", "host", "user-agent", "x-event-type",
      "x-webhook-attempt", "traceparent", "tracestate", "connection", "keep-alive", "transfer-encoding", "te",
      "trailer", "upgrade", "proxy-connection", "expect");
  private static final String RESERVED_RULE = "names that hookrelay sets cannot be given: webhook-*, content-type, "
      + "content-length, host, user-agent, x-event-type, x-webhook-attempt, traceparent, tracestate, and the "
      + "connection-level ones (connection, keep-alive, transfer-encoding, te, trailer, upgrade, proxy-connection, "
      + "expect)";

  private PolicyFields() {}

  /** The policy of a new subscription: what the body gives, the node's default for the rest. */
  static SubscriptionPolicy forCreate(JsonObject body, HookrelayConfig config) {
    Map<String, String> headers = new LinkedHashMap<>();
    Object given = body.getValue("headers");
    if (given != null) {
      headers(given, false).forEach((name, value) -> headers.put(name, value));
      if (headers.size() > MAX_HEADERS) {
        throw ApiError.unprocessable("headers may name at most " + MAX_HEADERS + " headers, got " + headers.size());
      }
    }
    return new SubscriptionPolicy(retrySchedule(body), maxAttempts(body), timeout(body, config), headers);
  }

  /** What a PATCH changes: only the fields given; {@code headers} merges (a null value removes, null clears all). */
  static PolicyPatch forPatch(JsonObject body, HookrelayConfig config) {
    boolean clear = body.containsKey("headers") && body.getValue("headers") == null;
    Map<String, String> set = null;
    List<String> remove = new ArrayList<>();
    if (body.getValue("headers") != null) {
      set = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : headers(body.getValue("headers"), true).entrySet()) {
        if (e.getValue() == null) {
          remove.add(e.getKey());
        } else {
          set.put(e.getKey(), e.getValue());
        }
      }
    }
    return new PolicyPatch(body.containsKey("retry_schedule"), retrySchedule(body),
        body.containsKey("max_attempts"), maxAttempts(body), body.containsKey("timeout"), timeout(body, config),
        clear, set, remove);
  }

  /** A PATCH whose merge went over the limit (the database holds it, where concurrent merges meet): a 422. */
  static <T> Future<T> headersOverLimit(Throwable err) {
    if (err instanceof PgException pg && "23514".equals(pg.getSqlState())
        && String.valueOf(pg.getConstraint()).equals(SubscriptionRepository.HEADERS_LIMIT_CONSTRAINT)) {
      return Future.failedFuture(ApiError.unprocessable("headers may name at most " + MAX_HEADERS
          + " headers; this change would make more (a PATCH adds to the headers already set)"));
    }
    return Future.failedFuture(err);
  }

  private static List<Duration> retrySchedule(JsonObject body) {
    Object value = body.getValue("retry_schedule");
    if (value == null) {
      return null;
    }
    String rule = "retry_schedule must be " + PolicyRules.RETRY_SCHEDULE_RULE + " (e.g. [\"10s\", \"1m\", \"5m\"]), "
        + "or null for this node's schedule";
    if (!(value instanceof JsonArray steps)) {
      throw ApiError.unprocessable(rule);
    }
    List<Duration> out = new ArrayList<>(steps.size());
    for (Object step : steps) {
      if (!(step instanceof String text) || text.length() > 32) {
        throw ApiError.unprocessable(rule);
      }
      try {
        out.add(Durations.parse(text));
      } catch (RuntimeException e) {
        throw ApiError.unprocessable(rule + "; '" + text + "' is not a duration");
      }
    }
    String problem = PolicyRules.retrySchedule(out);
    if (problem != null) {
      throw ApiError.unprocessable("retry_schedule " + problem);
    }
    return out;
  }

  private static Integer maxAttempts(JsonObject body) {
    Object value = body.getValue("max_attempts");
    if (value == null) {
      return null;
    }
    if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
        || PolicyRules.maxAttempts((long) n.doubleValue()) != null) {
      throw ApiError.unprocessable("max_attempts must be " + PolicyRules.MAX_ATTEMPTS_RULE
          + ", or null for this node's number");
    }
    return n.intValue();
  }

  private static Duration timeout(JsonObject body, HookrelayConfig config) {
    Object value = body.getValue("timeout");
    if (value == null) {
      return null;
    }
    Duration timeout;
    try {
      timeout = Durations.parse((String) value);
    } catch (RuntimeException e) { // not a string, or not a duration
      throw ApiError.unprocessable("timeout must be a duration like 250ms, 10s or 1m, or null for this node's "
          + "delivery timeout");
    }
    String problem = PolicyRules.timeout(timeout, config.visibilityTimeout());
    if (problem != null) {
      throw ApiError.unprocessable("timeout " + problem);
    }
    return timeout;
  }

  /** Names in lower case (HTTP names are case-insensitive; a merge must see Authorization and authorization as one). */
  private static Map<String, String> headers(Object value, boolean nullRemoves) {
    if (!(value instanceof JsonObject object)) {
      throw ApiError.unprocessable("headers must be an object of header name to value, e.g. "
          + "{\"Authorization\": \"Bearer …\"}");
    }
    Map<String, String> out = new LinkedHashMap<>();
    Set<String> reserved = new TreeSet<>();
    for (Map.Entry<String, Object> e : object) {
      String given = e.getKey();
      if (given.isEmpty() || given.length() > MAX_HEADER_NAME || !TOKEN.matcher(given).matches()) {
        throw ApiError.unprocessable("headers: '" + printable(given) + "' is not a header name: 1 to "
            + MAX_HEADER_NAME + " of the characters HTTP allows in a name (letters, digits and !#$%&'*+-.^_`|~)");
      }
      String name = given.toLowerCase(Locale.ROOT);
      if (RESERVED.contains(name) || name.startsWith("webhook-")) {
        reserved.add(given);
        continue;
      }
      if (out.containsKey(name)) {
        throw ApiError.unprocessable("headers: '" + given + "' is given twice (header names ignore case)");
      }
      Object v = e.getValue();
      if (v == null && nullRemoves) {
        out.put(name, null);
        continue;
      }
      if (!(v instanceof String text) || text.length() > MAX_HEADER_VALUE || !FIELD_VALUE.matcher(text).matches()) {
        throw ApiError.unprocessable("headers: the value of '" + given + "' must be a string of 1 to "
            + MAX_HEADER_VALUE + " visible ASCII characters, spaces or tabs (no CR, LF or other control characters)"
            + (nullRemoves ? ", or null to remove it" : ""));
      }
      out.put(name, text);
    }
    if (!reserved.isEmpty()) {
      throw ApiError.unprocessable("headers: " + String.join(", ", reserved) + ": " + RESERVED_RULE);
    }
    return out;
  }

  private static String printable(String name) {
    String cut = name.length() > 40 ? name.substring(0, 40) + "…" : name;
    return cut.replaceAll("[^\\x20-\\x7E]", "?");
  }
}
