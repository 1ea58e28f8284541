package io.hookrelay.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.delivery.Signer;
import io.hookrelay.testing.Await;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import io.hookrelay.testing.TestReceiver.Received;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The event-type catalogue: CRUD and its validation, payloads held to their type's schema at ingest, unknown types
 * refused where the node requires known ones, send-example, and the types' schemas in the served OpenAPI document.
 */
class EventTypeApiTest {
  private static final Duration DEADLINE = Duration.ofSeconds(30);
  private static final JsonObject ORDER_SCHEMA = new JsonObject("""
      {"type": "object", "required": ["id", "amount"],
       "properties": {"id": {"type": "string"}, "amount": {"type": "integer", "minimum": 0},
                      "lines": {"type": "array", "items": {"$ref": "#/$defs/line"}}},
       "$defs": {"line": {"type": "object", "required": ["sku"]}}}""");
  private static final JsonObject ORDER_EXAMPLE = new JsonObject().put("id", "ord_1").put("amount", 1200);

  private static TestNode node;
  /** A node that requires every event type to be in the catalogue. */
  private static TestNode strict;

  @BeforeAll
  static void start() {
    node = TestNode.start();
    strict = TestNode.start(Map.of("HOOKRELAY_REQUIRE_KNOWN_EVENT_TYPES", "true", "HOOKRELAY_ROLES", "api"));
  }

  @AfterAll
  static void stop() {
    strict.close();
    node.close();
  }

  /** A fresh type name per test: the node is shared. */
  private static String unique(String prefix) {
    return prefix + "." + UUID.randomUUID().toString().substring(0, 8);
  }

  private static JsonObject createType(TestNode on, JsonObject body) {
    TestNode.Response r = on.post("/event-types", body);
    assertThat(r.status()).as(r.toString()).isEqualTo(201);
    return r.json();
  }

  private static JsonObject orderType(String name) {
    return createType(node, new JsonObject().put("name", name).put("description", "An order was placed")
        .put("schema", ORDER_SCHEMA).put("example", ORDER_EXAMPLE));
  }

  private static void assertError(TestNode.Response r, int status, String code, String... mentions) {
    assertThat(r.status()).as(r.toString()).isEqualTo(status);
    assertThat(r.json().getString("error")).isEqualTo(code);
    assertThat(r.json().getString("detail")).contains(mentions);
  }

  // --- the catalogue ---

  @Test
  void anEventTypeIsCreatedReadListedChangedAndDeleted() {
    String name = unique("order.created");
    TestNode.Response created = node.post("/event-types", new JsonObject().put("name", name)
        .put("description", "An order was placed").put("schema", ORDER_SCHEMA).put("example", ORDER_EXAMPLE));
    assertThat(created.status()).isEqualTo(201);
    assertThat(created.header("location")).isEqualTo("/event-types/" + name);
    JsonObject t = created.json();
    assertThat(t.getString("name")).isEqualTo(name);
    assertThat(t.getJsonObject("schema")).isEqualTo(ORDER_SCHEMA);
    assertThat(t.getJsonObject("example")).isEqualTo(ORDER_EXAMPLE);
    assertThat(t.getBoolean("deprecated")).isFalse();
    assertThat(t.getString("created_at")).isNotNull();

    assertThat(node.get("/event-types/" + name).json()).isEqualTo(t);
    assertThat(node.get("/event-types?limit=1000").array().stream().map(o -> ((JsonObject) o).getString("name")))
        .contains(name).isSorted();

    JsonObject changed = node.patch("/event-types/" + name, new JsonObject().put("deprecated", true)
        .putNull("description")).json();
    assertThat(changed.getBoolean("deprecated")).isTrue();
    assertThat(changed.getValue("description")).isNull();
    assertThat(changed.getJsonObject("schema")).isEqualTo(ORDER_SCHEMA);

    assertThat(node.delete("/event-types/" + name).status()).isEqualTo(204);
    assertError(node.get("/event-types/" + name), 404, "not_found", name);
    assertError(node.delete("/event-types/" + name), 404, "not_found", name);
  }

  @Test
  void aNameOutsideTheFilterSyntaxIs422AndNamesNoTypeInAPath() {
    for (String bad : new String[] {"order.*", "has space", "", "x".repeat(129), "é"}) {
      assertError(node.post("/event-types", new JsonObject().put("name", bad)), 422, "validation_failed", "name");
    }
    assertError(node.post("/event-types", new JsonObject().put("description", "no name")), 422, "validation_failed",
        "name is required");
    assertError(node.get("/event-types/order*"), 404, "not_found", "order*");
  }

  @Test
  void aTakenNameIs409() {
    String name = unique("taken");
    createType(node, new JsonObject().put("name", name));
    assertError(node.post("/event-types", new JsonObject().put("name", name)), 409, "conflict", name);
  }

  @Test
  void unknownAndReadOnlyFieldsAre422NamingThem() {
    String name = unique("fields");
    assertError(node.post("/event-types", new JsonObject().put("name", name).put("colour", "red").put("size", 1)),
        422, "validation_failed", "unknown field(s) colour, size");
    assertError(node.post("/event-types", new JsonObject().put("name", name).put("created_at", "2026-01-01T00:00:00Z")),
        422, "validation_failed", "read-only field(s) created_at");
    createType(node, new JsonObject().put("name", name));
    assertError(node.patch("/event-types/" + name, new JsonObject().put("name", "renamed")), 422, "validation_failed",
        "read-only field(s) name");
    assertError(node.patch("/event-types/" + name, new JsonObject().put("deprecated", "yes")), 422, "validation_failed",
        "deprecated must be true or false");
  }

  @Test
  void aSchemaThatIsNoJsonSchemaIs422WithTheReason() {
    TestNode.Response r = node.post("/event-types", new JsonObject().put("name", unique("bad.schema"))
        .put("schema", new JsonObject().put("type", "objekt")));
    assertError(r, 422, "validation_failed", "schema is not a JSON Schema (draft 2020-12)", "/type");
    assertError(node.post("/event-types", new JsonObject().put("name", unique("bad.schema"))
        .put("schema", "{\"type\": \"object\"}")), 422, "validation_failed", "schema must be a JSON Schema");
    assertError(node.post("/event-types", new JsonObject().put("name", unique("bad.schema"))
        .put("schema", new JsonObject().put("$ref", "http://127.0.0.1:1/remote.json"))), 422, "validation_failed",
        "schema");
  }

  @Test
  void anExampleMustMeetTheSchemaAlsoAfterAPatchOfEither() {
    assertError(node.post("/event-types", new JsonObject().put("name", unique("bad.example")).put("schema", ORDER_SCHEMA)
            .put("example", new JsonObject().put("id", "o").put("amount", -5))),
        422, "validation_failed", "example does not meet the schema: at /amount: minimum");
    assertError(node.post("/event-types", new JsonObject().put("name", unique("bad.example")).put("example", "text")),
        422, "validation_failed", "example must be a JSON object");

    String name = unique("patched");
    orderType(name);
    JsonObject stricter = ORDER_SCHEMA.copy();
    stricter.getJsonArray("required").add("currency");
    assertError(node.patch("/event-types/" + name, new JsonObject().put("schema", stricter)), 422, "validation_failed",
        "example does not meet the schema", "currency");
    assertError(node.patch("/event-types/" + name, new JsonObject().put("example", new JsonObject().put("id", 1))),
        422, "validation_failed", "example does not meet the schema");
    assertThat(node.get("/event-types/" + name).json().getJsonObject("schema")).isEqualTo(ORDER_SCHEMA);
    // both at once, consistent: fine
    assertThat(node.patch("/event-types/" + name, new JsonObject().put("schema", stricter)
        .put("example", ORDER_EXAMPLE.copy().put("currency", "EUR"))).status()).isEqualTo(200);
  }

  // --- ingest ---

  @Test
  void aPayloadIsHeldToItsTypesSchemaOnBothIngestRoutes() {
    String name = unique("order.placed");
    orderType(name);
    String sub = node.subscribe("http://127.0.0.1:9/none", new JsonObject().put("events", new JsonArray().add(name)))
        .getString("id");

    TestNode.Response ok = node.post("/ingest/" + sub, ORDER_EXAMPLE, Map.of("X-Event-Type", name));
    assertThat(ok.status()).as(ok.toString()).isEqualTo(202);
    TestNode.Response bad = node.post("/ingest/" + sub, new JsonObject().put("id", "o2").put("amount", -1),
        Map.of("X-Event-Type", name));
    assertError(bad, 422, "schema_violation", "event type '" + name + "'", "at /amount: minimum");
    TestNode.Response nested = node.post("/ingest/" + sub, ORDER_EXAMPLE.copy().put("lines", new JsonArray()
        .add(new JsonObject().put("sku", "a")).add(new JsonObject())), Map.of("X-Event-Type", name));
    assertError(nested, 422, "schema_violation", "at /lines/1: required", "sku");

    TestNode.Response events = node.post("/events", new JsonObject().put("event_type", name)
        .put("payload", new JsonObject().put("amount", 3)));
    assertError(events, 422, "schema_violation", "at /: required", "id");
    assertThat(node.post("/events", new JsonObject().put("event_type", name).put("payload", ORDER_EXAMPLE)).status())
        .isEqualTo(202);
    // only the two conforming webhooks were stored
    assertThat(node.count("SELECT count(*) FROM deliveries WHERE subscription_id = '" + sub + "'")).isEqualTo(2);
  }

  @Test
  void aTypeWithoutASchemaOrNotInTheCatalogueTakesAnyJson() {
    String bare = unique("bare");
    createType(node, new JsonObject().put("name", bare));
    String sub = node.subscribe("http://127.0.0.1:9/none", null).getString("id");
    assertThat(node.post("/ingest/" + sub, new JsonArray().add(1), Map.of("X-Event-Type", bare)).status()).isEqualTo(202);
    assertThat(node.post("/ingest/" + sub, new JsonObject(), Map.of("X-Event-Type", unique("unknown"))).status())
        .isEqualTo(202);
    assertThat(node.post("/ingest/" + sub, new JsonObject()).status()).isEqualTo(202);
  }

  @Test
  void aChangedSchemaHoldsTheNextPayloads() {
    String name = unique("evolving");
    createType(node, new JsonObject().put("name", name).put("schema", new JsonObject().put("type", "object")));
    String sub = node.subscribe("http://127.0.0.1:9/none", null).getString("id");
    JsonObject payload = new JsonObject().put("id", "x");
    assertThat(node.post("/ingest/" + sub, payload, Map.of("X-Event-Type", name)).status()).isEqualTo(202);

    assertThat(node.patch("/event-types/" + name, new JsonObject().put("schema", ORDER_SCHEMA)).status()).isEqualTo(200);
    // every API instance drops its compiled copy when the change is announced
    Await.until(DEADLINE, "the new schema at ingest", () ->
        node.post("/ingest/" + sub, payload, Map.of("X-Event-Type", name)).status() == 422);
    TestNode.Response r = node.post("/ingest/" + sub, payload, Map.of("X-Event-Type", name));
    assertError(r, 422, "schema_violation", "amount");
    // and a deleted type holds nothing
    assertThat(node.delete("/event-types/" + name).status()).isEqualTo(204);
    Await.until(DEADLINE, "the deleted type's schema gone from ingest", () ->
        node.post("/ingest/" + sub, payload, Map.of("X-Event-Type", name)).status() == 202);
  }

  @Test
  void aLargePayloadIsCheckedOffTheEventLoopWithTheSameAnswer() {
    String name = unique("bulk");
    orderType(name);
    String sub = node.subscribe("http://127.0.0.1:9/none", null).getString("id");
    JsonArray lines = new JsonArray();
    for (int i = 0; i < 5000; i++) {
      lines.add(new JsonObject().put("sku", "sku-" + i).put("note", "x".repeat(20)));
    }
    JsonObject big = ORDER_EXAMPLE.copy().put("lines", lines);
    assertThat(big.encode().length()).isGreaterThan(IngestRoutes.INLINE_SCHEMA_CHECK_BYTES);
    assertThat(node.post("/ingest/" + sub, big, Map.of("X-Event-Type", name)).status()).isEqualTo(202);
    lines.add(new JsonObject().put("note", "no sku"));
    assertError(node.post("/ingest/" + sub, big, Map.of("X-Event-Type", name)), 422, "schema_violation",
        "at /lines/5000: required");
  }

  @Test
  void aNodeThatRequiresKnownTypesRefusesUnknownOnesAtIngestAndInFilters() {
    String known = unique("known");
    createType(strict, new JsonObject().put("name", known));
    String unknown = unique("unknown");

    assertError(strict.post("/subscriptions", new JsonObject().put("target_url", "http://127.0.0.1:9/x")
        .put("events", new JsonArray().add(known).add(unknown).add("order.*"))), 422, "validation_failed",
        "events: " + unknown + " is not in the event-type catalogue");
    String sub = strict.subscribe("http://127.0.0.1:9/x", new JsonObject()
        .put("events", new JsonArray().add(known).add("order.*").add("*"))).getString("id");
    assertError(strict.patch("/subscriptions/" + sub, new JsonObject().put("events", new JsonArray().add(unknown))),
        422, "validation_failed", unknown);

    assertError(strict.post("/ingest/" + sub, new JsonObject(), Map.of("X-Event-Type", unknown)), 422,
        "validation_failed", "X-Event-Type '" + unknown + "' is not in the event-type catalogue");
    assertError(strict.post("/events", new JsonObject().put("event_type", unknown).put("payload", new JsonObject())),
        422, "validation_failed", "event_type '" + unknown + "'");
    assertThat(strict.post("/ingest/" + sub, new JsonObject(), Map.of("X-Event-Type", known)).status()).isEqualTo(202);
    // the default node takes the same unknown type
    String relaxed = node.subscribe("http://127.0.0.1:9/x", new JsonObject().put("events", new JsonArray().add(unknown)))
        .getString("id");
    assertThat(node.post("/ingest/" + relaxed, new JsonObject(), Map.of("X-Event-Type", unknown)).status())
        .isEqualTo(202);
  }

  // --- send-example ---

  @Test
  void sendExampleDeliversTheExampleAsASignedRecordedWebhook() {
    String name = unique("order.example");
    orderType(name);
    try (TestReceiver receiver = TestReceiver.answering(200)) {
      // the filter does not want this type: send-example is asked for, not routed
      JsonObject s = node.subscribe(receiver.url(), new JsonObject().put("events", new JsonArray().add("other.*")));
      TestNode.Response r = node.post("/subscriptions/" + s.getString("id") + "/send-example?event_type=" + name, null);
      assertThat(r.status()).as(r.toString()).isEqualTo(202);
      assertThat(r.json().getString("event_type")).isEqualTo(name);
      String webhook = r.json().getString("webhook_id");

      JsonObject status = node.awaitStatus(webhook, DEADLINE, "succeeded");
      assertThat(status.getInteger("total_attempts")).isEqualTo(1);
      Received got = receiver.received().get(0);
      assertThat(new JsonObject(got.bodyText())).isEqualTo(ORDER_EXAMPLE);
      assertThat(got.header("x-event-type")).isEqualTo(name);
      assertThat(got.header("webhook-id")).isEqualTo(webhook);
      assertThat(Signer.verify(s.getString("secret"), got.header("webhook-id"), got.header("webhook-timestamp"),
          got.body(), got.header("webhook-signature"), Instant.now().getEpochSecond(), 300)).isTrue();
    }
  }

  @Test
  void sendExampleAnswers404ForAnUnknownTypeOrSubscriptionAnd422WithoutAnExample() {
    String sub = node.subscribe("http://127.0.0.1:9/none", null).getString("id");
    String unknown = unique("nope");
    assertError(node.post("/subscriptions/" + sub + "/send-example?event_type=" + unknown, null), 404, "not_found",
        unknown);
    String bare = unique("no.example");
    createType(node, new JsonObject().put("name", bare));
    assertError(node.post("/subscriptions/" + sub + "/send-example?event_type=" + bare, null), 422,
        "validation_failed", "'" + bare + "' has no example");
    assertError(node.post("/subscriptions/" + UUID.randomUUID() + "/send-example?event_type=" + bare, null), 404,
        "not_found", "no subscription");
    assertError(node.post("/subscriptions/" + sub + "/send-example", null), 400, "invalid_parameter",
        "event_type is required");
  }

  // --- the OpenAPI document ---

  @Test
  void theServedOpenApiDocumentCarriesEachTypesSchemaAsAWebhook() {
    String name = unique("doc.order");
    orderType(name);
    String old = unique("doc.old");
    createType(node, new JsonObject().put("name", old).put("deprecated", true));

    JsonObject doc = node.get("/openapi.json").json();
    JsonObject op = doc.getJsonObject("webhooks").getJsonObject(name).getJsonObject("post");
    JsonObject media = op.getJsonObject("requestBody").getJsonObject("content").getJsonObject("application/json");
    JsonObject schema = media.getJsonObject("schema");
    assertThat(schema.getJsonObject("properties")).isEqualTo(ORDER_SCHEMA.getJsonObject("properties"));
    assertThat(schema.getJsonObject("$defs")).isEqualTo(ORDER_SCHEMA.getJsonObject("$defs"));
    // its own $id, so that "#/$defs/line" resolves inside the schema, not against the document
    assertThat(schema.getString("$id")).isEqualTo("urn:hookrelay:event-type:" + name);
    assertThat(media.getJsonObject("example")).isEqualTo(ORDER_EXAMPLE);
    assertThat(op.getString("summary")).isEqualTo("An order was placed");
    JsonObject deprecated = doc.getJsonObject("webhooks").getJsonObject(old).getJsonObject("post");
    assertThat(deprecated.getBoolean("deprecated")).isTrue();
    assertThat(deprecated.getJsonObject("requestBody").getJsonObject("content").getJsonObject("application/json")
        .getJsonObject("schema")).isEqualTo(new JsonObject());
    // the rest is the document in the jar
    assertThat(doc.getString("openapi")).startsWith("3.1.");
    assertThat(doc.getJsonObject("paths").containsKey("/event-types/{name}")).isTrue();
  }
}
