package io.hookrelay.ingest;

import io.vertx.core.buffer.Buffer;

/**
 * Checks a payload against the nesting limit before it is parsed: a deeply nested document is cheap to send and
 * expensive to parse, so it is refused by a single scan with a 4xx that names the limit.
 */
public final class JsonLimits {
  public static final int MAX_DEPTH = 64;

  private JsonLimits() {}

  /** The deepest nesting of objects and arrays in the bytes, counting only brackets outside strings. */
  public static int depth(Buffer json) {
    int depth = 0;
    int max = 0;
    boolean inString = false;
    boolean escaped = false;
    for (int i = 0, n = json.length(); i < n; i++) {
      byte b = json.getByte(i);
      if (inString) {
        if (escaped) {
          escaped = false;
        } else if (b == '\\') {
          escaped = true;
        } else if (b == '"') {
          inString = false;
        }
      } else if (b == '"') {
        inString = true;
      } else if (b == '{' || b == '[') {
        depth++;
        if (depth > max) {
          max = depth;
        }
      } else if (b == '}' || b == ']') {
        depth--;
      }
    }
    return max;
  }
}
