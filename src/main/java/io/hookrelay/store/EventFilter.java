package io.hookrelay.store;

import java.util.List;
import java.util.regex.Pattern;

/** Matches event types against a subscription's filter: exact names, or prefixes written with a trailing '*'. */
public final class EventFilter {
  /** A filter entry: a name, a name ending in '*' (a prefix), or '*' alone. */
  private static final Pattern FILTER = Pattern.compile("[A-Za-z0-9_.:\\-]{1,128}\\*?|\\*");
  /** An event type: the characters a filter can name, so that some filter can always match it. */
  private static final Pattern EVENT_TYPE = Pattern.compile("[A-Za-z0-9_.:\\-]{1,256}");
  public static final String EVENT_TYPE_RULE = "1 to 256 characters of letters, digits, '.', '_', ':' or '-' "
      + "(the characters an event filter can name)";

  private EventFilter() {}

  public static boolean isValidFilter(String entry) {
    return FILTER.matcher(entry).matches();
  }

  public static boolean isValidEventType(String eventType) {
    return EVENT_TYPE.matcher(eventType).matches();
  }

  /** A null filter wants everything; an event without a type only reaches subscriptions without a filter. */
  public static boolean matches(List<String> filter, String eventType) {
    if (filter == null) {
      return true;
    }
    if (eventType == null) {
      return false;
    }
    for (String pattern : filter) {
      if (pattern.endsWith("*")) {
        if (eventType.startsWith(pattern.substring(0, pattern.length() - 1))) {
          return true;
        }
      } else if (pattern.equals(eventType)) {
        return true;
      }
    }
    return false;
  }
}
