package io.hookrelay.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses the human durations used in configuration: {@code 250ms}, {@code 10s}, {@code 5m}, {@code 2h}, {@code 1d}. */
public final class Durations {
  private static final Pattern DURATION = Pattern.compile("(\\d{1,12})(ms|s|m|h|d)");
  /** Longer than anything hookrelay waits for; past it a value is a typo, and its milliseconds could overflow. */
  public static final Duration MAX = Duration.ofDays(36_500);

  private Durations() {}

  public static Duration parse(String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException("expected a duration like 250ms, 10s, 5m, 2h or 1d, got '" + text + "'");
    }
    long n = Long.parseLong(m.group(1));
    Duration d = switch (m.group(2)) {
      case "ms" -> Duration.ofMillis(n);
      case "s" -> Duration.ofSeconds(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      default -> Duration.ofDays(n);
    };
    if (d.compareTo(MAX) > 0) {
      throw new IllegalArgumentException("a duration must be at most " + format(MAX) + ", got '" + text + "'");
    }
    return d;
  }

  public static List<Duration> parseList(String text) {
    List<Duration> out = new ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        out.add(parse(part));
      }
    }
    if (out.isEmpty()) {
      throw new IllegalArgumentException("expected a comma-separated list of durations like 10s,30s,1m, got '" + text + "'");
    }
    return List.copyOf(out);
  }

  public static String format(Duration d) {
    if (d.compareTo(MAX) > 0) { // toMillis() could overflow; the days are exact enough for a message
      return d.toDays() + "d";
    }
    long ms = d.toMillis();
    if (ms % 86_400_000 == 0) return ms / 86_400_000 + "d";
    if (ms % 3_600_000 == 0) return ms / 3_600_000 + "h";
    if (ms % 60_000 == 0) return ms / 60_000 + "m";
    if (ms % 1000 == 0) return ms / 1000 + "s";
    return ms + "ms";
  }
}
