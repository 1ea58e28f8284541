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
}
