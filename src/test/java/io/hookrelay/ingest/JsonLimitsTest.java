package io.hookrelay.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import org.junit.jupiter.api.Test;

class JsonLimitsTest {

  @Test
  void countsNestingOfObjectsAndArrays() {
    assertThat(JsonLimits.depth(Buffer.buffer("1"))).isZero();
    assertThat(JsonLimits.depth(Buffer.buffer("{\"a\":[1,{\"b\":[]}]}"))).isEqualTo(4);
  }

  @Test
  void ignoresBracketsInsideStrings() {
    assertThat(JsonLimits.depth(Buffer.buffer("{\"a\":\"[[[{{{\\\"]]]\"}"))).isEqualTo(1);
  }

  @Test
  void findsADocumentDeeperThanTheLimit() {
    String deep = "[".repeat(JsonLimits.MAX_DEPTH + 1) + "]".repeat(JsonLimits.MAX_DEPTH + 1);
    assertThat(JsonLimits.depth(Buffer.buffer(deep))).isGreaterThan(JsonLimits.MAX_DEPTH);
  }

  @Test
  void acceptsOneWellFormedObjectOrArray() {
    for (String ok : new String[] {"{}", "[]", "[1, \"a\"]", " {\"a\": [1, 2.5e3, true, null, {\"b\": \"\u00e9\"}]} "}) {
      assertThat(JsonLimits.check(Buffer.buffer(ok))).as(ok).isEqualTo(JsonLimits.Verdict.VALID);
    }
  }

  @Test
  void tellsABareScalarApartFromAnObjectOrArray() {
    for (String scalar : new String[] {"1", "\"text\"", "null", "true", " 2.5 "}) {
      assertThat(JsonLimits.check(Buffer.buffer(scalar))).as(scalar).isEqualTo(JsonLimits.Verdict.NOT_A_CONTAINER);
    }
  }

  @Test
  void refusesMalformedTrailingAndTruncatedDocuments() {
    for (String bad : new String[] {"", "{", "{\"a\":}", "{} {}", "[1,]", "{'a':1}", "tru", "{\"a\":1}x"}) {
      assertThat(JsonLimits.check(Buffer.buffer(bad))).as(bad).isEqualTo(JsonLimits.Verdict.INVALID);
    }
  }

  @Test
  void refusesInvalidUtf8InsideStrings() {
    Buffer bad = Buffer.buffer("{\"a\":\"").appendBytes(new byte[] {(byte) 0xC3, (byte) 0x28}).appendString("\"}");
    assertThat(JsonLimits.check(bad)).isEqualTo(JsonLimits.Verdict.INVALID);
  }

  @Test
  void refusesADocumentDeeperThanTheLimitWithoutParsingIt() {
    String deep = "[".repeat(JsonLimits.MAX_DEPTH + 1) + "]".repeat(JsonLimits.MAX_DEPTH + 1);
    assertThat(JsonLimits.check(Buffer.buffer(deep))).isEqualTo(JsonLimits.Verdict.TOO_DEEP);
    String limit = "[".repeat(JsonLimits.MAX_DEPTH) + "]".repeat(JsonLimits.MAX_DEPTH);
    assertThat(JsonLimits.check(Buffer.buffer(limit))).isEqualTo(JsonLimits.Verdict.VALID);
  }
}
