package io.hookrelay.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OpenAPI document in the jar is valid JSON, OpenAPI 3.1, and complete in itself. */
class OpenApiDocumentTest {
  private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "options", "head", "patch", "trace");
  private static JsonObject doc;

  @BeforeAll
  static void load() throws Exception {
    try (InputStream in = OpenApiDocumentTest.class.getResourceAsStream("/openapi.json")) {
      assertThat(in).as("openapi.json on the classpath").isNotNull();
      doc = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void isOpenApi31WithBothBearerCredentialsRequiredByDefault() {
    assertThat(doc.getString("openapi")).startsWith("3.1.");
    assertThat(doc.getJsonObject("info").getString("title")).isEqualTo("hookrelay");
    for (String name : new String[] {"adminKey", "tenantToken"}) {
      JsonObject scheme = doc.getJsonObject("components").getJsonObject("securitySchemes").getJsonObject(name);
      assertThat(scheme).as(name).isNotNull();
      assertThat(scheme.getString("type")).isEqualTo("http");
      assertThat(scheme.getString("scheme")).isEqualTo("bearer");
    }
    assertThat(doc.getJsonArray("security").getJsonObject(0).containsKey("adminKey")).isTrue();
    assertThat(doc.getJsonArray("security").getJsonObject(1).containsKey("tenantToken")).isTrue();
  }

  @Test
  void everyOperationHasAUniqueIdAndDescribesItsResponses() {
    Set<String> ids = new HashSet<>();
    operations().forEach((where, op) -> {
      assertThat(op.getString("operationId")).as(where + " operationId").isNotBlank();
      assertThat(ids.add(op.getString("operationId"))).as(where + " operationId is unique").isTrue();
      assertThat(op.getJsonObject("responses")).as(where + " responses").isNotNull().isNotEmpty();
    });
  }

  @Test
  void everyOperationNeedingTheKeyDocumentsThe401() {
    operations().forEach((where, op) -> {
      JsonArray security = op.getJsonArray("security");
      boolean isPublic = security != null && security.isEmpty();
      if (!isPublic) {
        assertThat(op.getJsonObject("responses").containsKey("401")).as(where + " documents 401").isTrue();
      }
    });
  }

  @Test
  void everyErrorResponseUsesTheErrorSchema() {
    JsonObject shared = doc.getJsonObject("components").getJsonObject("responses");
    operations().forEach((where, op) -> op.getJsonObject("responses").forEach(e -> {
      int status = Integer.parseInt(e.getKey());
      if (status < 400 || where.startsWith("GET /ready")) {
        return;
      }
      JsonObject response = (JsonObject) e.getValue();
      if (response.containsKey("$ref")) {
        response = shared.getJsonObject(response.getString("$ref").substring("#/components/responses/".length()));
      }
      String schema = response.getJsonObject("content").getJsonObject("application/json").getJsonObject("schema")
          .getString("$ref");
      assertThat(schema).as(where + " " + status).isEqualTo("#/components/schemas/Error");
    }));
  }

  @Test
  void everyPathParameterIsDeclared() {
    Pattern template = Pattern.compile("\\{([^}]+)}");
    doc.getJsonObject("paths").forEach(p -> {
      JsonObject item = (JsonObject) p.getValue();
      Matcher m = template.matcher(p.getKey());
      while (m.find()) {
        String name = m.group(1);
        boolean declared = declaresPathParam(item.getJsonArray("parameters"), name);
        for (String method : item.fieldNames()) {
          if (METHODS.contains(method)) {
            assertThat(declared || declaresPathParam(item.getJsonObject(method).getJsonArray("parameters"), name))
                .as(method + " " + p.getKey() + " declares {" + name + "}").isTrue();
          }
        }
      }
    });
  }

  @Test
  void everyReferenceResolves() {
    List<String> refs = new ArrayList<>();
    collectRefs(doc, refs);
    assertThat(refs).isNotEmpty();
    for (String ref : refs) {
      assertThat(ref).startsWith("#/");
      Object node = doc;
      for (String part : ref.substring(2).split("/")) {
        node = node instanceof JsonObject o ? o.getValue(part) : null;
      }
      assertThat(node).as(ref).isNotNull();
    }
  }

  private boolean declaresPathParam(JsonArray parameters, String name) {
    if (parameters == null) {
      return false;
    }
    for (Object p : parameters) {
      JsonObject param = (JsonObject) p;
      if (param.containsKey("$ref")) {
        param = doc.getJsonObject("components").getJsonObject("parameters")
            .getJsonObject(param.getString("$ref").substring("#/components/parameters/".length()));
      }
      if ("path".equals(param.getString("in")) && name.equals(param.getString("name"))
          && Boolean.TRUE.equals(param.getBoolean("required"))) {
        return true;
      }
    }
    return false;
  }

  private static Map<String, JsonObject> operations() {
    Map<String, JsonObject> out = new java.util.LinkedHashMap<>();
    doc.getJsonObject("paths").forEach(p -> ((JsonObject) p.getValue()).forEach(m -> {
      if (METHODS.contains(m.getKey())) {
        out.put(m.getKey().toUpperCase() + " " + p.getKey(), (JsonObject) m.getValue());
      }
    }));
    assertThat(out).isNotEmpty();
    return out;
  }

  private static void collectRefs(Object node, List<String> refs) {
    if (node instanceof JsonObject o) {
      o.forEach(e -> {
        if ("$ref".equals(e.getKey()) && e.getValue() instanceof String s) {
          refs.add(s);
        } else {
          collectRefs(e.getValue(), refs);
        }
      });
    } else if (node instanceof JsonArray a) {
      a.forEach(v -> collectRefs(v, refs));
    }
  }
}
