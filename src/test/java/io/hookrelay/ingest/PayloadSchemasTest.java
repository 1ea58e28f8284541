package io.hookrelay.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.Schema;
import io.hookrelay.ingest.PayloadSchemas.Violation;
import org.junit.jupiter.api.Test;

/** JSON Schema checks: what a usable schema is, the first violation as a pointer and a rule, and nothing fetched. */
class PayloadSchemasTest {
  private static final String ORDER = """
      {"type": "object", "required": ["id", "amount"],
       "properties": {"id": {"type": "string"}, "amount": {"type": "integer", "minimum": 0},
                      "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}}},
       "$defs": {"line": {"type": "object", "required": ["sku"]}}}""";

  @Test
  void aConformingPayloadHasNoViolation() {
    assertThat(PayloadSchemas.firstViolation(PayloadSchemas.compile(ORDER), "{\"id\": \"o1\", \"amount\": 3}")).isNull();
  }

  @Test
  void theFirstViolationNamesItsPointerAndKeyword() {
    Schema schema = PayloadSchemas.compile(ORDER);
    Violation v = PayloadSchemas.firstViolation(schema, "{\"id\": \"o1\", \"amount\": -1}");
    assertThat(v.pointer()).isEqualTo("/amount");
    assertThat(v.keyword()).isEqualTo("minimum");
    Violation nested = PayloadSchemas.firstViolation(schema, "{\"id\": \"o1\", \"amount\": 1, \"lines\": [{}, {\"x\": 1}]}");
    assertThat(nested.pointer()).isEqualTo("/lines/0");
    assertThat(nested.keyword()).isEqualTo("required");
    assertThat(nested.describe()).startsWith("at /lines/0: required: ").contains("sku");
    Violation root = PayloadSchemas.firstViolation(schema, "[1]");
    assertThat(root.keyword()).isEqualTo("type");
    assertThat(root.describe()).startsWith("at /: type: ");
  }

  @Test
  void aSchemaThatIsNoSchemaIsRefusedWithTheReason() {
    assertThat(PayloadSchemas.problemWith("{\"type\": \"objekt\"}")).startsWith("is not a JSON Schema");
    assertThat(PayloadSchemas.problemWith("{\"minimum\": \"zero\"}")).contains("/minimum");
    assertThat(PayloadSchemas.problemWith("{\"$ref\": \"#/$defs/missing\"}")).isNotNull();
    assertThat(PayloadSchemas.problemWith(ORDER)).isNull();
  }

  @Test
  void aSchemaWhoseReferencesLoopWithoutEndIsRefused() {
    assertThat(PayloadSchemas.problemWith("{\"$ref\": \"#\"}")).contains("refers to itself without end");
    assertThat(PayloadSchemas.problemWith("{\"$defs\": {\"x\": {\"$ref\": \"#/$defs/x\"}}, \"$ref\": \"#/$defs/x\"}"))
        .contains("refers to itself without end");
    // recursion that descends into the payload ends with it: a tree schema is fine
    assertThat(PayloadSchemas.problemWith("{\"properties\": {\"child\": {\"$ref\": \"#\"}}}")).isNull();
    // and one that slipped through (stored before this check) answers a violation, not a StackOverflowError
    assertThat(PayloadSchemas.firstViolation(PayloadSchemas.compile("{\"$ref\": \"#\"}"), "{}"))
        .isSameAs(PayloadSchemas.ENDLESS);
  }

  @Test
  void aRemoteReferenceIsNeverFetched() {
    // nothing listens on port 1: a fetch would fail differently, but either way the schema is refused up front
    assertThat(PayloadSchemas.problemWith("{\"$ref\": \"http://127.0.0.1:1/schema.json\"}")).isNotNull();
  }
}
