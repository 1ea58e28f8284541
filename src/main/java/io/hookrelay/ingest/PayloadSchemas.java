package io.hookrelay.ingest;

import com.networknt.schema.Error;
import com.networknt.schema.InputFormat;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import com.networknt.schema.path.PathType;
import java.util.List;

/**
 * JSON Schema (draft 2020-12) for event-type payloads, on networknt's json-schema-validator: checks that a schema is
 * one, compiles it, and finds the first violation of a payload. Nothing is fetched: a {@code $ref} resolves inside
 * the schema (or to the bundled meta-schemas), never over the network. Thread-safe; compiled schemas are immutable.
 */
public final class PayloadSchemas {
  private static final SchemaRegistry REGISTRY = SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_2020_12,
      builder -> builder
          .schemaRegistryConfig(SchemaRegistryConfig.builder().pathType(PathType.JSON_POINTER).build())
          .schemaLoader(loader -> loader.fetchRemoteResources(false)));
  private static final Schema META_SCHEMA = REGISTRY.getSchema(
      SchemaLocation.of(SpecificationVersion.DRAFT_2020_12.getDialectId()));

  /** What a payload gets when the schema's references loop without end for it. */
  public static final Violation ENDLESS = new Violation("", "$ref", "the schema refers to itself without end");
  private static final List<String> PROBES = List.of("{}", "[]", "\"\"", "0", "true", "null");

  private PayloadSchemas() {}

  /** Where a payload breaks its schema: the JSON pointer into the payload, the keyword, and the library's sentence. */
  public record Violation(String pointer, String keyword, String message) {
    /** "at /amount: minimum: must have a minimum value of 0" — the form a 422 detail uses. */
    public String describe() {
      return "at " + (pointer.isEmpty() ? "/" : pointer) + ": " + keyword + ": " + message;
    }
  }

  /** Why {@code schemaJson} cannot be used as a draft 2020-12 schema, or null when it can. */
  public static String problemWith(String schemaJson) {
    try {
      List<Error> errors = META_SCHEMA.validate(schemaJson, InputFormat.JSON);
      if (!errors.isEmpty()) {
        return "is not a JSON Schema (draft 2020-12): " + violation(errors.get(0)).describe();
      }
      Schema schema = compile(schemaJson);
      // A $ref cycle that never descends into the payload ({"$ref": "#"}) is a valid schema that no payload can
      // be checked against: try one value of each JSON type, so that it is refused here and not at every ingest.
      for (String probe : PROBES) {
        if (firstViolation(schema, probe) == ENDLESS) {
          return "refers to itself without end (a $ref cycle that never descends into the payload)";
        }
      }
      return null;
    } catch (RuntimeException e) { // a $ref that does not resolve, an invalid regular expression, …
      String why = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      return "cannot be compiled: " + (why.length() > 300 ? why.substring(0, 300) + "…" : why);
    }
  }

  /** Compiles a schema that {@link #problemWith} accepted; its references are resolved now, not at the first payload. */
  public static Schema compile(String schemaJson) {
    Schema schema = REGISTRY.getSchema(schemaJson, InputFormat.JSON);
    schema.initializeValidators();
    return schema;
  }

  /**
   * The first violation of {@code json} (which is valid JSON), or null when it conforms. A schema whose references
   * loop for this payload answers {@link #ENDLESS} rather than overflowing the caller's stack.
   */
  public static Violation firstViolation(Schema schema, String json) {
    List<Error> errors;
    try {
      errors = schema.validate(json, InputFormat.JSON);
    } catch (StackOverflowError e) {
      return ENDLESS;
    }
    return errors.isEmpty() ? null : violation(errors.get(0));
  }

  private static Violation violation(Error e) {
    String pointer = e.getInstanceLocation() == null ? "" : e.getInstanceLocation().toString();
    String message = e.getMessage() == null ? "" : e.getMessage();
    // the library's message starts with the pointer; the detail names it once
    if (!pointer.isEmpty() && message.startsWith(pointer + ": ")) {
      message = message.substring(pointer.length() + 2);
    }
    return new Violation(pointer, e.getKeyword(), message);
  }
}
