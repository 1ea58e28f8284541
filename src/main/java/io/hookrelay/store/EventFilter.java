package io.hookrelay.store;

import java.util.List;

/** Matches event types against a subscription's filter: exact names, or prefixes written with a trailing '*'. */
public final class EventFilter {
  private EventFilter() {}

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
