package io.hookrelay.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.api.HttpApiVerticle;
import io.hookrelay.testing.RecordingReceiver;
import io.hookrelay.testing.TestNode;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Walks every route of the router with tenant A's token and tenant B's ids: each route is classified, an unclassified
 * route fails the test, and no answer to A (body, list or the SSE stream) holds anything of B. Where an id of B is
 * in the path, the answer is exactly the answer for an id that does not exist.
 */
class TenantIsolationTest {
  /** How a route treats a tenant's credential. */
  enum Kind {
    /** No credential at all (health, metrics, the portal's session exchange, static files). */
    PUBLIC,
    /** Any credential; nothing of any tenant in it (the OpenAPI document). */
    ANY_CREDENTIAL,
    /** Admin keys only: a tenant token gets 403, whatever the ids. */
    ADMIN_ONLY,
    /** A tenant token reaches its own tenant's data here, and nothing else. */
    TENANT_SCOPED,
    /** Resolves /tenants/{tenant} for the routes under it. */
    NARROWING
  }

  private static final Map<String, Kind> ROUTES = new TreeMap<>();

  static {
    for (String r : List.of("GET /health", "GET /ready", "GET /metrics", "GET /favicon.ico", "POST /portal/session", "GET /ui",
        "GET /ui/vendor/uplot", "GET /docs", "GET /portal")) {
      ROUTES.put(r, Kind.PUBLIC);
    }
    ROUTES.put("GET /openapi.json", Kind.ANY_CREDENTIAL);
    // The event-type catalogue is the platform's: every credential reads it, admin keys change it.
    ROUTES.put("GET /event-types", Kind.ANY_CREDENTIAL);
    ROUTES.put("GET /event-types/{name}", Kind.ANY_CREDENTIAL);
    for (String r : List.of("POST /event-types", "PATCH /event-types/{name}", "DELETE /event-types/{name}")) {
      ROUTES.put(r, Kind.ADMIN_ONLY);
    }
    for (String r : List.of("POST /tenants", "GET /tenants", "PUT /tenants/{tenant}", "PATCH /tenants/{tenant}",
        "DELETE /tenants/{tenant}", "POST /tenants/{tenant}/tokens", "GET /tenants/{tenant}/tokens",
        "DELETE /tenants/{tenant}/tokens/{id}", "POST /tenants/{tenant}/portal-link")) {
      ROUTES.put(r, Kind.ADMIN_ONLY);
    }
    ROUTES.put("ANY /tenants/{tenant}", Kind.NARROWING);
    ROUTES.put("GET /tenants/{tenant}", Kind.TENANT_SCOPED);
    for (String prefix : List.of("", "/tenants/{tenant}")) {
      for (String r : List.of("POST /subscriptions", "GET /subscriptions", "GET /subscriptions/{id}",
          "PATCH /subscriptions/{id}", "DELETE /subscriptions/{id}", "POST /subscriptions/{id}/rotate-secret",
          "POST /subscriptions/{id}/enable", "POST /subscriptions/{id}/recover", "GET /subscriptions/{id}/attempts",
          "POST /subscriptions/{id}/send-example", "POST /events", "GET /deliveries", "GET /audit", "GET /stats")) {
        int space = r.indexOf(' ');
        ROUTES.put(r.substring(0, space) + " " + prefix + r.substring(space + 1), Kind.TENANT_SCOPED);
      }
    }
    for (String r : List.of("POST /ingest/{id}", "GET /status/{id}", "POST /status/{id}/retry",
        "POST /status/{id}/dismiss", "GET /stats/stream")) {
      ROUTES.put(r, Kind.TENANT_SCOPED);
    }
  }

  private static TestNode node;
  private static RecordingReceiver receiver;
  private static Set<String> served;
  private static String tokenA;
  private static JsonObject tenantA;
  private static JsonObject tenantB;
  private static String subA;
  private static String subB;
  private static String webhookB;
  private static String tokenIdB;
  private static final String MARKER_B = "b-only-marker-7f3c";
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    node = TestNode.start();
    receiver = RecordingReceiver.answering(200);
    served = routes();
    tenantA = TenantApiTest.tenant(node, "iso-a", null);
    tenantB = TenantApiTest.tenant(node, "iso-b-" + MARKER_B, new JsonObject().put("name", "B " + MARKER_B)
        .put("metadata", new JsonObject().put("marker", MARKER_B)));
    tokenA = TenantApiTest.token(node, tenantA.getString("id"), null);
    TenantApiTest.token(node, tenantB.getString("id"), new JsonObject().put("description", MARKER_B));
    tokenIdB = node.get("/tenants/" + tenantB.getString("id") + "/tokens").array().getJsonObject(0).getString("id");
    subA = TenantApiTest.as(node, tokenA, "POST", "/subscriptions", new JsonObject().put("target_url", receiver.url()))
        .json().getString("id");
    subB = node.post("/tenants/" + tenantB.getString("id") + "/subscriptions", new JsonObject()
        .put("target_url", receiver.url() + "?" + MARKER_B).put("description", MARKER_B)).json().getString("id");
    webhookB = node.post("/tenants/" + tenantB.getString("uid") + "/events", new JsonObject()
        .put("event_type", "b." + MARKER_B).put("payload", new JsonObject().put("m", MARKER_B))).json()
        .getJsonArray("webhook_ids").getString(0);
    node.awaitStatus(webhookB, Duration.ofSeconds(30), "succeeded"); // B has attempts too
    // An event type with an example, so that send-example to B's subscription can only be refused by scoping.
    assertThat(node.post("/event-types", new JsonObject().put("name", "iso.example")
        .put("example", new JsonObject().put("n", 1))).status()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    node.close();
    receiver.close();
  }

  /** Every route of the router, as "METHOD /path" ("ANY /prefix" for a prefix route that is not static files). */
  private static Set<String> routes() throws Exception {
    HttpApiVerticle api = new HttpApiVerticle(node.node.config(), node.node.metrics());
    String id = node.node.vertx().deployVerticle(api).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    Set<String> out = new TreeSet<>();
    for (Route r : api.router().getRoutes()) {
      if (r.getPath() == null) {
        continue; // body, auth and failure handlers of every request
      }
      String path = r.getPath().replaceAll(":([A-Za-z0-9_]+)", "{$1}").replaceAll("/?\\*$", "");
      path = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
      if (r.methods() == null || r.methods().isEmpty()) {
        out.add("ANY " + path);
      } else {
        for (HttpMethod m : r.methods()) {
          out.add(m.name() + " " + path);
        }
      }
    }
    node.node.vertx().undeploy(id).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    // Static trees under /portal and the frame headers are one mount point for this purpose.
    out.remove("ANY /portal");
    return out;
  }

  @Test
  void everyRouteIsClassified() {
    Set<String> unclassified = new TreeSet<>(served);
    unclassified.removeAll(ROUTES.keySet());
    assertThat(unclassified).as("routes to classify in TenantIsolationTest.ROUTES").isEmpty();
    Set<String> stale = new TreeSet<>(ROUTES.keySet());
    stale.removeAll(served);
    assertThat(stale).as("classified routes the router no longer serves").isEmpty();
    System.out.println("TenantIsolationTest: " + served.size() + " routes classified");
  }

  @Test
  void withTenantAsTokenEveryRouteNamingTenantBsIdsAnswersAsForIdsThatDoNotExist() {
    List<String> checked = new ArrayList<>();
    for (Map.Entry<String, Kind> e : ROUTES.entrySet()) {
      String route = e.getKey();
      String method = route.substring(0, route.indexOf(' '));
      String template = route.substring(route.indexOf(' ') + 1);
      if (method.equals("ANY") || route.equals("GET /stats/stream") || e.getValue() == Kind.PUBLIC) {
        continue;
      }
      for (boolean byUid : new boolean[] {false, true}) {
        Map<String, String> ofB = idsOfB(template, byUid);
        Map<String, String> missing = new LinkedHashMap<>();
        ofB.forEach((k, v) -> missing.put(k, k.equals("{tenant}") && byUid ? "no-such-uid" : UUID.randomUUID().toString()));
        TestNode.Response forB = send(method, fill(template, ofB), body(route));
        TestNode.Response forMissing = send(method, fill(template, missing), body(route));
        String why = route + (byUid ? " (tenant by uid)" : "") + ": " + forB.body();
        assertNothingOfB(why, forB, ofB.values());
        if (e.getValue() == Kind.ADMIN_ONLY) {
          // 403 (admin key needed), or 404 where B's tenant is resolved first under /tenants/{tenant}/…
          assertThat(forB.status()).as(why).isIn(403, 404);
        } else if (!ofB.isEmpty()) {
          assertThat(forB.status()).as(why).isEqualTo(404);
        }
        if (!ofB.isEmpty()) {
          assertThat(forB.status()).as(why).isEqualTo(forMissing.status());
          assertThat(masked(forB.body(), ofB.values())).as(why).isEqualTo(masked(forMissing.body(), missing.values()));
        }
        checked.add(route);
        if (!template.contains("{tenant}")) {
          break;
        }
      }
      // Tenant A's own tenant with B's other ids: still nothing.
      if (template.startsWith("/tenants/{tenant}/") && template.contains("{id}") && e.getValue() == Kind.TENANT_SCOPED) {
        Map<String, String> mixed = idsOfB(template, false);
        mixed.put("{tenant}", tenantA.getString("uid"));
        TestNode.Response r = send(method, fill(template, mixed), body(route));
        assertThat(r.status()).as(route + " under A's own tenant").isEqualTo(404);
        assertNothingOfB(route, r, mixed.values());
      }
    }
    System.out.println("TenantIsolationTest: " + new TreeSet<>(checked).size() + " routes walked with B's ids");
    assertThat(new TreeSet<>(checked)).hasSizeGreaterThan(30);
  }

  @Test
  void unscopedListsAndEventsActAsIfTenantAWereTheOnlyOne() {
    for (String path : List.of("/subscriptions?limit=1000", "/deliveries?limit=500", "/audit?limit=1000", "/stats",
        "/deliveries?subscription_id=" + subB, "/tenants/" + tenantA.getString("id"))) {
      TestNode.Response r = send("GET", path, null);
      assertThat(r.status()).as(path).isEqualTo(200);
      assertNothingOfB(path, r, List.of(subB));
    }
    TestNode.Response fanout = send("POST", "/events", new JsonObject().put("event_type", "b." + MARKER_B)
        .put("payload", new JsonObject()).encode());
    assertThat(fanout.status()).isEqualTo(202);
    for (Object id : fanout.json().getJsonArray("webhook_ids")) {
      JsonObject status = send("GET", "/status/" + id, null).json();
      assertThat(status.getString("tenant_id")).isEqualTo(tenantA.getString("id"));
      assertThat(status.getString("subscription_id")).isNotEqualTo(subB);
    }
    TestNode.Response toB = send("POST", "/events", new JsonObject().put("event_type", "x").put("payload",
        new JsonObject()).put("tenant", tenantB.getString("uid")).encode());
    assertThat(toB.status()).isEqualTo(404);
  }

  @Test
  void theStatsStreamCarriesTenantAsCountsOnly() throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(node.baseUrl + "/stats/stream"))
        .header("Authorization", "Bearer " + tokenA).timeout(Duration.ofSeconds(20)).build();
    HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    StringBuilder text = new StringBuilder();
    try (InputStream in = response.body()) {
      byte[] buffer = new byte[4096];
      while (text.toString().split("\ndata: ", -1).length < 3) {
        int n = in.read(buffer);
        if (n < 0) {
          break;
        }
        text.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
      }
    }
    String events = text.toString();
    assertThat(events).contains("data: ").contains(tenantA.getString("id"));
    for (String b : List.of(tenantB.getString("id"), subB, webhookB, MARKER_B, "queue_depth", "node")) {
      assertThat(events).as("the stream holds nothing of B nor the node's numbers").doesNotContain(b);
    }
  }

  /** The ids of B a route template names, or B's ids in the query where the route has none of its own. */
  private static Map<String, String> idsOfB(String template, boolean byUid) {
    Map<String, String> out = new LinkedHashMap<>();
    if (template.contains("{tenant}")) {
      out.put("{tenant}", byUid ? tenantB.getString("uid") : tenantB.getString("id"));
    }
    if (template.contains("{id}")) {
      String rest = template.replace("/tenants/{tenant}", "");
      out.put("{id}", rest.startsWith("/status") ? webhookB : rest.startsWith("/tokens") ? tokenIdB : subB);
    }
    return out;
  }

  private static String fill(String template, Map<String, String> ids) {
    String path = template.replace("{name}", "iso.example"); // the platform's catalogue: no tenant's id
    for (Map.Entry<String, String> e : ids.entrySet()) {
      path = path.replace(e.getKey(), e.getValue());
    }
    if (path.endsWith("/recover")) {
      path += "?since=2020-01-01T00:00:00Z";
    }
    if (path.endsWith("/send-example")) {
      path += "?event_type=iso.example";
    }
    return path;
  }

  /** A body that is valid for the route, so that only scoping can refuse it. */
  private static String body(String route) {
    if (route.startsWith("GET ") || route.startsWith("DELETE ")) {
      return null;
    }
    String path = route.replace("/tenants/{tenant}/", "/");
    if (path.equals("POST /subscriptions")) {
      return new JsonObject().put("target_url", receiver.url()).encode();
    }
    if (path.startsWith("PATCH /subscriptions/")) {
      return new JsonObject().put("description", "changed by A").encode();
    }
    if (path.equals("POST /events")) {
      return new JsonObject().put("event_type", "a.event").put("payload", new JsonObject()).encode();
    }
    if (path.startsWith("POST /ingest/")) {
      return new JsonObject().put("a", 1).encode();
    }
    if (route.equals("POST /tenants")) {
      return new JsonObject().put("uid", "made-by-a").encode();
    }
    if (route.equals("PUT /tenants/{tenant}") || route.equals("PATCH /tenants/{tenant}")) {
      return new JsonObject().put("name", "renamed by A").encode();
    }
    return "{}";
  }

  private TestNode.Response send(String method, String path, String body) {
    return node.send(method, path, body, Map.of("Authorization", "Bearer " + tokenA));
  }

  private static String masked(String body, java.util.Collection<String> ids) {
    String out = body;
    for (String id : ids) {
      out = out.replace(id, "<id>");
    }
    return out;
  }

  /** Nothing of B in the answer, besides the ids A itself sent. */
  private static void assertNothingOfB(String why, TestNode.Response r, java.util.Collection<String> sent) {
    String body = masked(r.body(), sent);
    for (String b : List.of(tenantB.getString("id"), tenantB.getString("uid"), subB, webhookB, tokenIdB, MARKER_B)) {
      assertThat(body).as(why).doesNotContain(b);
    }
  }
}
