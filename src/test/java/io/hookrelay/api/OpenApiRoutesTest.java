package io.hookrelay.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.TestNode;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document and the router agree: every route the API serves is documented and every documented
 * operation is served; and the document, Swagger UI and the dashboard are served where the document says.
 */
class OpenApiRoutesTest {
  private static TestNode node;
  private static JsonObject doc;
  private static Set<String> routes;
  private static Set<String> staticPrefixes;

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start();
    try (InputStream in = OpenApiRoutesTest.class.getResourceAsStream("/openapi.json")) {
      doc = new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
    // One more instance of the API verticle on the running node (it shares the port): its router is the API's.
    HttpApiVerticle api = new HttpApiVerticle(node.node.config(), node.node.metrics());
    String id = node.node.vertx().deployVerticle(api).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    routes = new TreeSet<>();
    staticPrefixes = new TreeSet<>();
    for (Route r : api.router().getRoutes()) {
      if (r.getPath() == null) {
        continue; // handlers for every request: body, auth, failures (":id" paths keep their path, as a pattern)
      }
      String path = normalise(r.getPath());
      if (!r.isExactPath()) {
        staticPrefixes.add(path);
        continue;
      }
      for (HttpMethod m : r.methods()) {
        routes.add(m.name() + " " + path);
      }
    }
    node.node.vertx().undeploy(id).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  /** ":id" becomes "{id}", and a trailing slash or wildcard goes. */
  private static String normalise(String path) {
    String p = path.replaceAll(":([A-Za-z0-9_]+)", "{$1}").replaceAll("/?\\*$", "");
    return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
  }

  private static Set<String> documented() {
    Set<String> out = new TreeSet<>();
    doc.getJsonObject("paths").forEach(p -> ((JsonObject) p.getValue()).fieldNames().forEach(m -> {
      if (Set.of("get", "put", "post", "delete", "patch").contains(m)) {
        out.add(m.toUpperCase() + " " + p.getKey());
      }
    }));
    return out;
  }

  @Test
  void everyRouteOfTheRouterButThePublicOnesAnswers401WithoutAKey() {
    Set<String> open = Set.of("GET /health", "GET /ready", "GET /metrics", "GET /favicon.ico");
    // The portal link's token is the credential here: without one it is 422, with a bad one 401 (TenantApiTest).
    Set<String> ownCredential = Set.of("POST /portal/session");
    for (String route : routes) {
      if (open.contains(route) || ownCredential.contains(route)) {
        continue;
      }
      String method = route.substring(0, route.indexOf(' '));
      String path = route.substring(route.indexOf(' ') + 1).replaceAll("\\{[^}]+}", java.util.UUID.randomUUID().toString());
      TestNode.Response r = node.send(method, path, method.equals("GET") || method.equals("DELETE") ? null : "{}",
          java.util.Map.of("Authorization", ""));
      assertThat(r.status()).as(route).isEqualTo(401);
    }
    for (String route : open) {
      assertThat(node.send("GET", route.substring(4), null, java.util.Map.of("Authorization", "")).status())
          .as(route).isIn(200, 503);
    }
  }

  @Test
  void everyRouteOfTheApiIsDocumented() {
    assertThat(routes).isNotEmpty();
    assertThat(documented()).containsAll(routes);
  }

  @Test
  void everyStaticFileTreeIsDocumentedAtItsMountPoint() {
    assertThat(staticPrefixes).isNotEmpty();
    Set<String> docPaths = doc.getJsonObject("paths").fieldNames();
    for (String prefix : staticPrefixes) {
      assertThat(docPaths.stream().anyMatch(p -> prefix.equals(p) || prefix.startsWith(p + "/")))
          .as(prefix + " (static files) is documented").isTrue();
    }
  }

  @Test
  void everyDocumentedOperationIsServed() {
    for (String op : documented()) {
      String path = op.substring(op.indexOf(' ') + 1);
      boolean servedStatically = op.startsWith("GET ") && staticPrefixes.contains(path);
      assertThat(routes.contains(op) || servedStatically).as(op + " is served").isTrue();
    }
  }

  @Test
  void theDocumentIsServedToHoldersOfTheKeyOnly() {
    TestNode.Response withKey = node.get("/openapi.json");
    assertThat(withKey.status()).isEqualTo(200);
    assertThat(withKey.header("content-type")).startsWith("application/json");
    assertThat(withKey.json()).isEqualTo(doc);
    assertThat(node.send("GET", "/openapi.json", null, Map.of("Authorization", "")).status()).isEqualTo(401);
  }

  @Test
  void theFaviconIsServedWithoutAKey() {
    TestNode.Response r = node.send("GET", "/favicon.ico", null, Map.of("Authorization", ""));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("content-type")).isEqualTo("image/x-icon");
    assertThat(node.send("GET", "/ui/", null, Map.of("Authorization", "")).body()).contains("href=\"/favicon.ico\"");
  }

  @Test
  void swaggerUiAndItsAssetsAreServedFromTheJarWithoutAKey() {
    Map<String, String> noKey = Map.of("Authorization", "");
    TestNode.Response page = node.send("GET", "/docs/", null, noKey);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.body()).contains("/docs/swagger-ui-bundle.js").doesNotContain("https://");
    assertThat(node.send("GET", "/docs/swagger-ui-bundle.js", null, noKey).status()).isEqualTo(200);
    assertThat(node.send("GET", "/docs/swagger-ui.css", null, noKey).status()).isEqualTo(200);
  }

  @Test
  void theDashboardAndItsChartingLibraryAreServedWithoutAKey() {
    Map<String, String> noKey = Map.of("Authorization", "");
    TestNode.Response page = node.send("GET", "/ui/", null, noKey);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("content-type")).startsWith("text/html");
    TestNode.Response bare = node.send("GET", "/ui", null, noKey);
    assertThat(bare.status()).isEqualTo(301);
    assertThat(bare.header("location")).endsWith("/ui/");
    assertThat(node.send("GET", "/ui/vendor/uplot/uPlot.iife.min.js", null, noKey).status()).isEqualTo(200);
  }

  @Test
  void aMissingStaticFileIs404NotARequestForTheKey() {
    TestNode.Response r = node.send("GET", "/ui/nope.js", null, Map.of("Authorization", ""));
    assertThat(r.status()).isEqualTo(404);
    assertThat(r.json().getString("error")).isEqualTo("not_found");
  }
}
