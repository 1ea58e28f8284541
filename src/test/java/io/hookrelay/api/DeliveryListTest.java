package io.hookrelay.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** GET /deliveries pages newest first with a cursor and filters; /stats and /stats/stream report counts and rates. */
class DeliveryListTest {
  private static TestNode node;
  private static TestReceiver receiver;

  @BeforeAll
  static void start() {
    node = TestNode.start();
    receiver = TestReceiver.answering(200);
  }

  @AfterAll
  static void stop() {
    receiver.close();
    node.close();
  }

  @Test
  void pagesWalkEveryDeliveryNewestFirstWithoutRepeatsOrGaps() {
    String sub = node.subscribe(receiver.url(), null).getString("id");
    List<String> ingested = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      ingested.add(node.ingest(sub, new JsonObject().put("n", i)));
    }
    List<String> seen = new ArrayList<>();
    List<Integer> pageSizes = new ArrayList<>();
    String cursor = null;
    do {
      TestNode.Response r = node.get("/deliveries?subscription_id=" + sub + "&limit=3"
          + (cursor == null ? "" : "&cursor=" + cursor));
      assertThat(r.status()).isEqualTo(200);
      JsonArray data = r.json().getJsonArray("data");
      pageSizes.add(data.size());
      data.forEach(d -> seen.add(((JsonObject) d).getString("webhook_id")));
      cursor = r.json().getString("next_cursor");
    } while (cursor != null);
    assertThat(pageSizes).containsExactly(3, 3, 1);
    java.util.Collections.reverse(ingested);
    assertThat(seen).containsExactlyElementsOf(ingested);
  }

  @Test
  void filtersNarrowBySubscriptionEventTypeAndStatus() {
    String orders = node.subscribe(receiver.url(), new JsonObject().put("events", new JsonArray().add("order.*")))
        .getString("id");
    String other = node.subscribe(receiver.url(), null).getString("id");
    TestNode.Response created = node.post("/ingest/" + orders, new JsonObject(), Map.of("X-Event-Type", "order.created"));
    TestNode.Response filtered = node.post("/ingest/" + orders, new JsonObject(), Map.of("X-Event-Type", "user.created"));
    node.ingest(other, new JsonObject());

    JsonArray bySubscription = node.get("/deliveries?subscription_id=" + orders).json().getJsonArray("data");
    assertThat(bySubscription).hasSize(2);
    JsonArray byType = node.get("/deliveries?subscription_id=" + orders + "&event_type=order.created").json()
        .getJsonArray("data");
    assertThat(byType).hasSize(1);
    assertThat(byType.getJsonObject(0).getString("webhook_id")).isEqualTo(created.json().getString("webhook_id"));
    JsonArray byStatus = node.get("/deliveries?subscription_id=" + orders + "&status=filtered").json()
        .getJsonArray("data");
    assertThat(byStatus).hasSize(1);
    assertThat(byStatus.getJsonObject(0).getString("webhook_id")).isEqualTo(filtered.json().getString("webhook_id"));
  }

  @Test
  void sinceLeavesOutOlderDeliveries() {
    String sub = node.subscribe(receiver.url(), null).getString("id");
    node.ingest(sub, new JsonObject());
    String future = URLEncoder.encode("2999-01-01T00:00:00Z", StandardCharsets.UTF_8);
    assertThat(node.get("/deliveries?subscription_id=" + sub + "&since=" + future).json().getJsonArray("data"))
        .isEmpty();
    String past = URLEncoder.encode("2000-01-01T00:00:00Z", StandardCharsets.UTF_8);
    assertThat(node.get("/deliveries?subscription_id=" + sub + "&since=" + past).json().getJsonArray("data"))
        .hasSize(1);
  }

  @Test
  void badQueryParametersAreAnswered400NamingTheParameter() {
    for (String[] c : new String[][] {{"status=bogus", "status"}, {"subscription_id=nope", "subscription_id"},
        {"since=yesterday", "since"}, {"limit=0", "limit"}, {"limit=x", "limit"}, {"cursor=bm9wZQ", "cursor"},
        {"cursor=!!", "cursor"}}) {
      TestNode.Response r = node.get("/deliveries?" + c[0]);
      assertThat(r.status()).as(c[0]).isEqualTo(400);
      assertThat(r.json().getString("error")).as(c[0]).isEqualTo("invalid_parameter");
      assertThat(r.json().getString("detail")).as(c[0]).contains(c[1]);
    }
  }

  @Test
  void statsCountDeliveriesByStatusAndReportDepthsAndRates() {
    String sub = node.subscribe(receiver.url(), null).getString("id");
    node.awaitStatus(node.ingest(sub, new JsonObject()), Duration.ofSeconds(20), "succeeded");
    JsonObject stats = node.get("/stats").json();
    assertThat(stats.getJsonObject("deliveries").getLong("succeeded")).isGreaterThanOrEqualTo(1);
    assertThat(stats.getJsonObject("deliveries").fieldNames()).contains("pending", "retrying", "failed", "held");
    assertThat(stats.getLong("queue_depth")).isNotNull();
    assertThat(stats.getLong("retry_depth")).isNotNull();
    assertThat(stats.getJsonObject("node").getValue("ingest_per_s")).isInstanceOf(Number.class);
    assertThat(stats.getJsonObject("subscriptions").getLong("enabled")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void statsStreamPushesASnapshotEverySecondAsServerSentEvents() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest request = HttpRequest.newBuilder(URI.create(node.baseUrl + "/stats/stream"))
        .header("Authorization", "Bearer " + TestNode.API_KEY).timeout(Duration.ofSeconds(10)).build();
    HttpResponse<Stream<String>> r = http.send(request, HttpResponse.BodyHandlers.ofLines());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("content-type")).hasValue("text/event-stream");
    try (Stream<String> lines = r.body()) {
      List<JsonObject> events = lines.filter(l -> l.startsWith("data: ")).limit(2)
          .map(l -> new JsonObject(l.substring(6))).toList();
      assertThat(events).hasSize(2);
      assertThat(events.get(0).getJsonObject("totals").getLong("ingested")).isNotNull();
    }
  }

  @Test
  void statsStreamNeedsTheApiKey() {
    assertThat(node.send("GET", "/stats/stream", null, Map.of("Authorization", "")).status()).isEqualTo(401);
  }
}
