package io.hookrelay.tenant;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.Await;
import io.hookrelay.testing.TestNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Tenants over HTTP: the model, scoped routes, tokens, limits, deletion, audit actors, and the portal's server side. */
class TenantApiTest {
  private static TestNode node;
  private static int counter;

  @BeforeAll
  static void start() {
    node = TestNode.start(Map.of("HOOKRELAY_RETENTION_BATCH_SIZE", "2"));
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  private static String uid() {
    return "cust-" + UUID.randomUUID().toString().substring(0, 8) + "-" + (++counter);
  }

  static JsonObject tenant(TestNode node, String uid, JsonObject extra) {
    JsonObject body = new JsonObject().put("uid", uid).put("name", "Customer " + uid);
    if (extra != null) {
      body.mergeIn(extra);
    }
    TestNode.Response r = node.post("/tenants", body);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    return r.json();
  }

  static String token(TestNode node, String tenant, JsonObject body) {
    TestNode.Response r = node.post("/tenants/" + tenant + "/tokens", body == null ? new JsonObject() : body);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
    assertThat(r.json().getString("token")).startsWith("hrt_");
    return r.json().getString("token");
  }

  static TestNode.Response as(TestNode node, String token, String method, String path, Object body) {
    return node.send(method, path, body == null ? null : body.toString(), Map.of("Authorization", "Bearer " + token));
  }

  @Test
  void aTenantIsCreatedAndFoundByIdOrUid() {
    String uid = uid();
    JsonObject t = tenant(node, uid, new JsonObject().put("metadata", new JsonObject().put("plan", "pro"))
        .put("limits", new JsonObject().put("max_subscriptions", 10)));
    assertThat(t.getString("uid")).isEqualTo(uid);
    assertThat(t.getJsonObject("metadata").getString("plan")).isEqualTo("pro");
    assertThat(t.getJsonObject("limits").getInteger("max_subscriptions")).isEqualTo(10);
    assertThat(t.getJsonObject("limits").getValue("ingest_rate_per_s")).isNull();
    assertThat(node.get("/tenants/" + t.getString("id")).json()).isEqualTo(t);
    assertThat(node.get("/tenants/" + uid).json()).isEqualTo(t);
    assertThat(node.get("/tenants/" + uid + "-nope").status()).isEqualTo(404);
  }

  @Test
  void aDuplicateUidIs409() {
    String uid = uid();
    tenant(node, uid, null);
    TestNode.Response r = node.post("/tenants", new JsonObject().put("uid", uid));
    assertThat(r.status()).isEqualTo(409);
    assertThat(r.json().getString("error")).isEqualTo("uid_taken");
  }

  @Test
  void badTenantFieldsAre422NamingTheField() {
    assertThat(node.post("/tenants", new JsonObject().put("uid", "has space")).json().getString("detail"))
        .contains("uid");
    assertThat(node.post("/tenants", new JsonObject().put("uid", "x".repeat(257))).status()).isEqualTo(422);
    assertThat(node.post("/tenants", new JsonObject().put("uid", uid()).put("colour", "red")).json()
        .getString("detail")).contains("colour");
    assertThat(node.post("/tenants", new JsonObject().put("uid", uid()).put("id", UUID.randomUUID().toString()))
        .json().getString("detail")).contains("id is read-only");
    assertThat(node.post("/tenants", new JsonObject().put("uid", uid())
        .put("metadata", new JsonObject().put("blob", "x".repeat(5000)))).json().getString("detail")).contains("metadata");
    assertThat(node.post("/tenants", new JsonObject().put("uid", uid())
        .put("limits", new JsonObject().put("max_subscriptions", -1))).json().getString("detail"))
        .contains("limits.max_subscriptions");
    assertThat(node.post("/tenants", new JsonObject()).json().getString("detail")).contains("uid is required");
    // a NUL in metadata (found by Schemathesis): PostgreSQL's jsonb cannot store it, so it is a 422, not a 503
    TestNode.Response nul = node.post("/tenants", new JsonObject().put("uid", uid())
        .put("metadata", new JsonObject().put("a\u0000b", 1)));
    assertThat(nul.status()).isEqualTo(422);
    assertThat(nul.json().getString("detail")).contains("metadata must not contain NUL");
  }

  @Test
  void putByUidCreatesThenUpdatesTheSameTenant() {
    String uid = uid();
    TestNode.Response first = node.send("PUT", "/tenants/" + uid, new JsonObject().put("name", "One").encode(), Map.of());
    assertThat(first.status()).isEqualTo(201);
    TestNode.Response second = node.send("PUT", "/tenants/" + uid, new JsonObject().put("name", "Two").encode(), Map.of());
    assertThat(second.status()).isEqualTo(200);
    assertThat(second.json().getString("id")).isEqualTo(first.json().getString("id"));
    assertThat(second.json().getString("name")).isEqualTo("Two");
    TestNode.Response again = node.send("PUT", "/tenants/" + uid, new JsonObject().put("name", "Two").encode(), Map.of());
    assertThat(again.json().getString("id")).isEqualTo(first.json().getString("id"));
  }

  @Test
  void patchChangesNameAndLimitsAndTheListPages() {
    JsonObject t = tenant(node, uid(), null);
    TestNode.Response r = node.patch("/tenants/" + t.getString("uid"), new JsonObject().put("name", "Renamed")
        .put("limits", new JsonObject().put("ingest_rate_per_s", 5)));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().getString("name")).isEqualTo("Renamed");
    assertThat(r.json().getJsonObject("limits").getInteger("ingest_rate_per_s")).isEqualTo(5);
    JsonArray page = node.get("/tenants?skip=0&limit=1").array();
    assertThat(page).hasSize(1);
    assertThat(page.getJsonObject(0).getString("uid")).isEqualTo("default");
    assertThat(node.get("/tenants?skip=1&limit=1").array().getJsonObject(0).getString("uid")).isNotEqualTo("default");
  }

  @Test
  void scopedRoutesSeeTheirTenantOnlyAndAdminUnscopedListsEveryTenant() {
    JsonObject a = tenant(node, uid(), null);
    JsonObject b = tenant(node, uid(), null);
    String base = "http://127.0.0.1:9/hook";
    TestNode.Response created = node.post("/tenants/" + a.getString("uid") + "/subscriptions",
        new JsonObject().put("target_url", base));
    assertThat(created.status()).isEqualTo(201);
    assertThat(created.json().getString("tenant_id")).isEqualTo(a.getString("id"));
    String subA = created.json().getString("id");
    String subB = node.post("/tenants/" + b.getString("id") + "/subscriptions", new JsonObject().put("target_url", base))
        .json().getString("id");
    assertThat(node.get("/tenants/" + a.getString("uid") + "/subscriptions").array().stream()
        .map(o -> ((JsonObject) o).getString("id"))).containsExactly(subA);
    assertThat(node.get("/tenants/" + a.getString("uid") + "/subscriptions/" + subB).status()).isEqualTo(404);
    assertThat(node.get("/subscriptions?limit=1000").array().stream().map(o -> ((JsonObject) o).getString("id")))
        .contains(subA, subB);
  }

  @Test
  void aTenantsDeliveriesAreListedNewestFirstAcrossItsSubscriptionsPagedFilteredAndCounted() {
    JsonObject a = tenant(node, uid(), null);
    JsonObject b = tenant(node, uid(), null);
    String base = "/tenants/" + a.getString("uid");
    JsonObject target = new JsonObject().put("target_url", "http://127.0.0.1:9/list");
    String first = node.post(base + "/subscriptions", target).json().getString("id");
    String second = node.post(base + "/subscriptions", target).json().getString("id");
    node.post("/tenants/" + b.getString("uid") + "/subscriptions", target);
    List<String> sent = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      JsonObject event = new JsonObject().put("event_type", "order.created").put("payload", new JsonObject().put("n", i));
      TestNode.Response r = node.post(base + "/events", event);
      assertThat(r.status()).isEqualTo(202);
      r.json().getJsonArray("webhook_ids").forEach(id -> sent.add((String) id));
      assertThat(node.post("/tenants/" + b.getString("uid") + "/events", event).status()).isEqualTo(202);
    }
    assertThat(sent).hasSize(8);

    List<JsonObject> seen = new ArrayList<>();
    List<Integer> pageSizes = new ArrayList<>();
    String cursor = null;
    do {
      TestNode.Response r = node.get(base + "/deliveries?limit=3" + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      JsonArray data = r.json().getJsonArray("data");
      pageSizes.add(data.size());
      data.forEach(d -> seen.add((JsonObject) d));
      cursor = r.json().getString("next_cursor");
    } while (cursor != null);
    assertThat(pageSizes).containsExactly(3, 3, 2);
    assertThat(seen).extracting(d -> d.getString("webhook_id")).containsExactlyInAnyOrderElementsOf(sent);
    assertThat(seen).extracting(d -> d.getString("tenant_id")).containsOnly(a.getString("id"));
    List<OffsetDateTime> createdAt = seen.stream().map(d -> OffsetDateTime.parse(d.getString("created_at"))).toList();
    assertThat(createdAt).isSortedAccordingTo(java.util.Comparator.reverseOrder());

    JsonArray ofSecond = node.get(base + "/deliveries?subscription_id=" + second).json().getJsonArray("data");
    assertThat(ofSecond).hasSize(4);
    assertThat(ofSecond.stream().map(d -> ((JsonObject) d).getString("subscription_id"))).containsOnly(second);
    assertThat(node.get(base + "/deliveries?event_type=order.updated").json().getJsonArray("data")).isEmpty();
    assertThat(node.get(base + "/deliveries?subscription_id=" + first + "&status=held").json()
        .getJsonArray("data")).isEmpty();
    JsonObject stats = node.get(base + "/stats").json();
    long counted = stats.getJsonObject("deliveries").stream().mapToLong(e -> ((Number) e.getValue()).longValue()).sum();
    assertThat(counted).as(stats.encode()).isEqualTo(8);
  }

  @Test
  void scopedEventsFanOutToTheTenantOnlyWithTheIdempotencyKeyScopedToIt() {
    JsonObject a = tenant(node, uid(), null);
    JsonObject b = tenant(node, uid(), null);
    String subA = node.post("/tenants/" + a.getString("id") + "/subscriptions",
        new JsonObject().put("target_url", "http://127.0.0.1:9/a")).json().getString("id");
    node.post("/tenants/" + b.getString("id") + "/subscriptions",
        new JsonObject().put("target_url", "http://127.0.0.1:9/b")).json().getString("id");
    JsonObject event = new JsonObject().put("event_type", "order.created").put("payload", new JsonObject().put("n", 1))
        .put("event_id", "evt-1");
    TestNode.Response r = node.post("/tenants/" + a.getString("uid") + "/events", event);
    assertThat(r.status()).isEqualTo(202);
    assertThat(r.json().getJsonArray("webhook_ids")).hasSize(1);
    String webhook = r.json().getJsonArray("webhook_ids").getString(0);
    assertThat(node.status(webhook).getString("subscription_id")).isEqualTo(subA);
    // The same key in another tenant is another event; the body's tenant field is the scoped route.
    TestNode.Response other = node.post("/events", event.copy().put("tenant", b.getString("uid")));
    assertThat(other.status()).isEqualTo(202);
    assertThat(other.json().getJsonArray("webhook_ids")).hasSize(1).doesNotContain(webhook);
    TestNode.Response repeat = node.post("/events", event.copy().put("tenant", a.getString("id")));
    assertThat(repeat.status()).isEqualTo(200);
    assertThat(repeat.json().getJsonArray("webhook_ids").getString(0)).isEqualTo(webhook);
  }

  @Test
  void aTenantTokenIsShownOnceListedWithoutItsSecretAndRevoked() {
    JsonObject t = tenant(node, uid(), null);
    String token = token(node, t.getString("uid"), new JsonObject().put("description", "ci"));
    JsonArray list = node.get("/tenants/" + t.getString("uid") + "/tokens").array();
    assertThat(list).hasSize(1);
    assertThat(list.encode()).doesNotContain(token).doesNotContain("hrt_");
    assertThat(as(node, token, "GET", "/subscriptions", null).status()).isEqualTo(200);
    assertThat(as(node, token, "GET", "/tenants/" + t.getString("id"), null).status()).isEqualTo(200);
    assertThat(node.delete("/tenants/" + t.getString("uid") + "/tokens/" + list.getJsonObject(0).getString("id"))
        .status()).isEqualTo(204);
    assertThat(as(node, token, "GET", "/subscriptions", null).status()).isEqualTo(401);
    assertThat(node.count("SELECT count(*) FROM tenant_tokens WHERE hash = decode('"
        + java.util.HexFormat.of().formatHex(Tokens.digest(token)) + "', 'hex')")).isEqualTo(1);
  }

  @Test
  void aTenantTokenCannotReachTheAdminRoutes() {
    JsonObject t = tenant(node, uid(), null);
    String token = token(node, t.getString("id"), null);
    assertThat(as(node, token, "GET", "/tenants", null).status()).isEqualTo(403);
    assertThat(as(node, token, "POST", "/tenants", new JsonObject().put("uid", uid())).status()).isEqualTo(403);
    assertThat(as(node, token, "DELETE", "/tenants/" + t.getString("id"), null).status()).isEqualTo(403);
    assertThat(as(node, token, "POST", "/tenants/" + t.getString("id") + "/tokens", new JsonObject()).status())
        .isEqualTo(403);
    assertThat(as(node, token, "GET", "/tenants/default", null).status()).isEqualTo(404);
  }

  @Test
  void aReadOnlyTokenReadsButCannotWrite() {
    JsonObject t = tenant(node, uid(), null);
    String token = token(node, t.getString("id"), new JsonObject().put("read_only", true)
        .put("expires_at", OffsetDateTime.now().plusDays(1).toString()));
    assertThat(as(node, token, "GET", "/subscriptions", null).status()).isEqualTo(200);
    TestNode.Response r = as(node, token, "POST", "/subscriptions", new JsonObject().put("target_url", "http://127.0.0.1:9/x"));
    assertThat(r.status()).isEqualTo(403);
    assertThat(r.json().getString("error")).isEqualTo("read_only");
  }

  @Test
  void aTenantTokenCreatesInItsOwnTenantAndSeesOnlyIt() {
    JsonObject t = tenant(node, uid(), null);
    String token = token(node, t.getString("id"), null);
    TestNode.Response created = as(node, token, "POST", "/subscriptions",
        new JsonObject().put("target_url", "http://127.0.0.1:9/mine"));
    assertThat(created.json().getString("tenant_id")).isEqualTo(t.getString("id"));
    JsonArray mine = as(node, token, "GET", "/subscriptions", null).array();
    assertThat(mine).hasSize(1);
    String defaultSub = node.subscribe("http://127.0.0.1:9/default", null).getString("id");
    assertThat(as(node, token, "GET", "/subscriptions/" + defaultSub, null).status()).isEqualTo(404);
    assertThat(as(node, token, "POST", "/ingest/" + defaultSub, new JsonObject()).status()).isEqualTo(404);
  }

  @Test
  void maxSubscriptionsIs422PastTheLimitNamingIt() {
    JsonObject t = tenant(node, uid(), new JsonObject().put("limits", new JsonObject().put("max_subscriptions", 1)));
    String path = "/tenants/" + t.getString("id") + "/subscriptions";
    assertThat(node.post(path, new JsonObject().put("target_url", "http://127.0.0.1:9/1")).status()).isEqualTo(201);
    TestNode.Response r = node.post(path, new JsonObject().put("target_url", "http://127.0.0.1:9/2"));
    assertThat(r.status()).isEqualTo(422);
    assertThat(r.json().getString("detail")).contains("max_subscriptions").contains("1");
  }

  @Test
  void ingestPastTheTenantRateIs429WithRetryAfter() {
    JsonObject t = tenant(node, uid(), new JsonObject().put("limits", new JsonObject().put("ingest_rate_per_s", 1)));
    String sub = node.post("/tenants/" + t.getString("id") + "/subscriptions",
        new JsonObject().put("target_url", "http://127.0.0.1:9/r")).json().getString("id");
    TestNode.Response limited = null;
    for (int i = 0; i < 10 && limited == null; i++) {
      TestNode.Response r = node.post("/ingest/" + sub, new JsonObject().put("i", i));
      if (r.status() == 429) {
        limited = r;
      } else {
        assertThat(r.status()).isEqualTo(202);
      }
    }
    assertThat(limited).as("a 429 within 10 requests at 1/s").isNotNull();
    assertThat(limited.header("retry-after")).isNotNull();
    assertThat(limited.json().getString("detail")).contains("ingest_rate_per_s");
  }

  @Test
  void deletingATenantStopsItsTokensAtOnceAndPurgesItsRowsInTheBackground() {
    JsonObject t = tenant(node, uid(), null);
    String id = t.getString("id");
    String token = token(node, id, null);
    // An event before any subscription: a message no delivery points at, which the purge must find all the same
    assertThat(as(node, token, "POST", "/events", new JsonObject().put("event_type", "early").put("payload",
        new JsonObject())).status()).isEqualTo(202);
    String sub = as(node, token, "POST", "/subscriptions", new JsonObject().put("target_url", "http://127.0.0.1:9/d"))
        .json().getString("id");
    for (int i = 0; i < 5; i++) {
      assertThat(as(node, token, "POST", "/ingest/" + sub, new JsonObject().put("i", i)).status()).isEqualTo(202);
    }
    TestNode.Response deleted = node.delete("/tenants/" + t.getString("uid"));
    assertThat(deleted.status()).isEqualTo(202);
    assertThat(as(node, token, "GET", "/subscriptions", null).status()).isEqualTo(401);
    assertThat(node.get("/tenants/" + id).status()).isEqualTo(404);
    assertThat(node.post("/ingest/" + sub, new JsonObject()).status()).isEqualTo(404);
    Await.until(Duration.ofSeconds(30), "the tenant's rows to be purged", () ->
        node.count("SELECT count(*) FROM tenants WHERE id = '" + id + "'") == 0);
    assertThat(node.count("SELECT count(*) FROM messages WHERE tenant_id = '" + id + "'")).isZero();
    assertThat(node.count("SELECT count(*) FROM deliveries WHERE tenant_id = '" + id + "'")).isZero();
    assertThat(node.count("SELECT count(*) FROM subscriptions WHERE tenant_id = '" + id + "'")).isZero();
    assertThat(node.count("SELECT count(*) FROM tenant_tokens WHERE tenant_id = '" + id + "'")).isZero();
    String metrics = node.send("GET", "/metrics", null, Map.of("Authorization", "")).body();
    assertThat(metrics).contains("hookrelay_tenant_rows_deleted_total{table=\"messages\"}")
        .doesNotContain(id);
  }

  @Test
  void theDefaultTenantCannotBeDeleted() {
    assertThat(node.delete("/tenants/default").status()).isEqualTo(409);
  }

  @Test
  void theAuditLogNamesWhoActed() {
    JsonObject t = tenant(node, uid(), null);
    String token = token(node, t.getString("id"), null);
    String tokenId = node.get("/tenants/" + t.getString("id") + "/tokens").array().getJsonObject(0).getString("id");
    as(node, token, "POST", "/subscriptions", new JsonObject().put("target_url", "http://127.0.0.1:9/audit"));
    JsonArray rows = as(node, token, "GET", "/audit", null).array();
    assertThat(rows.stream().map(o -> ((JsonObject) o).getString("actor"))).contains("token:" + tokenId);
    assertThat(rows.stream().map(o -> ((JsonObject) o).getString("tenant_id"))).containsOnly(t.getString("id"));
    String adminId = Tokens.adminKeyId(TestNode.API_KEY);
    assertThat(node.get("/tenants/" + t.getString("id") + "/audit").array().stream()
        .filter(o -> "tenant_created".equals(((JsonObject) o).getString("action")))
        .map(o -> ((JsonObject) o).getString("actor"))).containsExactly("admin:" + adminId);
    assertThat(adminId).hasSize(8).isNotEqualTo(TestNode.API_KEY.substring(0, 8));
  }

  @Test
  void aPortalLinkIsExchangedOnceForASessionScopedToItsTenant() {
    JsonObject t = tenant(node, uid(), null);
    TestNode.Response link = node.post("/tenants/" + t.getString("uid") + "/portal-link", new JsonObject());
    assertThat(link.status()).isEqualTo(201);
    String url = link.json().getString("url");
    assertThat(url).startsWith(node.baseUrl + "/portal#token=hrp_").doesNotContain("?");
    OffsetDateTime expires = OffsetDateTime.parse(link.json().getString("expires_at"));
    assertThat(expires).isBetween(OffsetDateTime.now().plusMinutes(59), OffsetDateTime.now().plusMinutes(61));
    String portalToken = url.substring(url.indexOf("#token=") + 7);
    // The link's token is no API credential.
    assertThat(as(node, portalToken, "GET", "/subscriptions", null).status()).isEqualTo(401);
    Map<String, String> noKey = Map.of("Authorization", "");
    String body = new JsonObject().put("token", portalToken).encode();
    TestNode.Response session = node.send("POST", "/portal/session", body, noKey);
    assertThat(session.status()).as(session.body()).isEqualTo(201);
    assertThat(session.json().getJsonObject("tenant").getString("id")).isEqualTo(t.getString("id"));
    String sessionToken = session.json().getString("session_token");
    TestNode.Response created = as(node, sessionToken, "POST", "/tenants/" + t.getString("uid") + "/subscriptions",
        new JsonObject().put("target_url", "http://127.0.0.1:9/portal"));
    assertThat(created.json().getString("tenant_id")).isEqualTo(t.getString("id"));
    assertThat(as(node, sessionToken, "GET", "/subscriptions", null).array()).hasSize(1);
    assertThat(as(node, sessionToken, "GET", "/tenants/default/subscriptions", null).status()).isEqualTo(404);
    assertThat(node.get("/tenants/" + t.getString("id") + "/audit").array().stream()
        .map(o -> ((JsonObject) o).getString("actor")))
        .contains("portal:" + session.json().getString("session_id"));
    assertThat(node.send("POST", "/portal/session", body, noKey).status()).isEqualTo(401);
  }

  @Test
  void thePortalRefusesToBeFramedByDefault() {
    TestNode.Response page = node.send("GET", "/portal/", null, Map.of("Authorization", ""));
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("content-security-policy")).isEqualTo("frame-ancestors 'none'");
    assertThat(page.header("x-frame-options")).isEqualTo("DENY");
    TestNode.Response session = node.send("POST", "/portal/session", new JsonObject().put("token", "hrp_nope").encode(),
        Map.of("Authorization", ""));
    assertThat(session.status()).isEqualTo(401);
    assertThat(session.header("content-security-policy")).isEqualTo("frame-ancestors 'none'");
  }
}
