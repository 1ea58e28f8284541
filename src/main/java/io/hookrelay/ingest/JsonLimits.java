package io.hookrelay.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;

/**
 * Checks that a payload is one well-formed JSON object or array within the nesting limit, in a single streaming pass that
 * builds no objects: ingest stores the bytes as received and never needs the parsed tree. A deeply nested document
 * is cheap to send and expensive to handle downstream, so it is refused with a 4xx that names the limit.
 */
public final class JsonLimits {
  public static final int MAX_DEPTH = 64;
  private static final JsonFactory FACTORY = JsonFactory.builder().build();

  /** What the check found. */
  public enum Verdict { VALID, INVALID, TOO_DEEP, NOT_A_CONTAINER }

  private JsonLimits() {}

  public static Verdict check(Buffer json) {
    try (JsonParser parser = FACTORY.createParser(json.getBytes())) {
      int depth = 0;
      boolean rootDone = false;
      JsonToken first = null;
      JsonToken token;
      while ((token = parser.nextToken()) != null) {
        if (first == null) {
          first = token;
        }
        if (rootDone) {
          return Verdict.INVALID; // a second document after the first
        }
        switch (token) {
          case START_OBJECT, START_ARRAY -> {
            if (++depth > MAX_DEPTH) {
              return Verdict.TOO_DEEP;
            }
          }
          case END_OBJECT, END_ARRAY -> depth--;
          case VALUE_STRING, FIELD_NAME -> parser.getTextLength(); // decodes the text, so bad UTF-8 is caught
          default -> { }
        }
        rootDone = depth == 0;
      }
      if (!rootDone) {
        return Verdict.INVALID;
      }
      // Receivers expect an object or an array; a bare null or 42 is almost always a producer's mistake.
      return first == JsonToken.START_OBJECT || first == JsonToken.START_ARRAY ? Verdict.VALID : Verdict.NOT_A_CONTAINER;
    } catch (IOException e) {
      return Verdict.INVALID;
    }
  }

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
