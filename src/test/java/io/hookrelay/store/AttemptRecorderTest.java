package io.hookrelay.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.queue.DeliveryQueue;
import io.hookrelay.store.DeliveryRepository.AttemptRecord;
import io.hookrelay.store.DeliveryRepository.Claimed;
import io.hookrelay.testing.Await;
import io.hookrelay.testing.TestNode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The delivery path's batched writes against real PostgreSQL and Redis, on a node that ingests but does not
 * deliver (so the deliveries stay pending for the test to claim).
 */
class AttemptRecorderTest {
  private static TestNode node;
  private static Vertx vertx;
  private static Context context;
  private static Pool pool;
  private static Pool leasePool;
  private static Redis redis;
  private static AttemptRecorder recorder;
  private static String subscriptionId;

  @BeforeAll
  static void setUp() {
    node = TestNode.start(Map.of("HOOKRELAY_ROLES", "api"));
    vertx = node.node.vertx();
    context = vertx.getOrCreateContext();
    pool = Database.pool(vertx, node.databaseUrl, 2);
    leasePool = Database.leasePool(vertx, node.databaseUrl, 2);
    redis = DeliveryQueue.client(vertx, node.redisUrl, 1);
    recorder = new AttemptRecorder(vertx, new DeliveryRepository(pool, leasePool), new DeliveryQueue(redis, node.redisPrefix),
        Duration.ofSeconds(30), 5, (id, why) -> { });
    subscriptionId = node.subscribe("http://127.0.0.1:9/hook", null).getString("id");
  }

  @AfterAll
  static void tearDown() {
    redis.close();
    leasePool.close();
    node.close();
  }

  @Test
  void aDeliveryClaimedTwiceInOneBatchIsHandedOutOnce() {
    UUID id = UUID.fromString(node.ingest(subscriptionId, new JsonObject().put("n", 1)));
    List<Claimed> claims = onContext(() -> Future.all(recorder.claim(id), recorder.claim(id))
        .map(all -> java.util.Arrays.asList(all.<Claimed>resultAt(0), all.<Claimed>resultAt(1))));
    assertThat(claims).filteredOn(c -> c != null).hasSize(1);
    assertThat(claims.stream().filter(c -> c != null).findFirst().orElseThrow().payload().toString())
        .isEqualTo("{\"n\":1}");
    assertThat(status(id)).isEqualTo("delivering");
    assertThat(openSince(id)).as("a claimed delivery stays open").isNotNull();
  }

  @Test
  void aDeliveryThatIsNotDueIsNotClaimed() {
    UUID id = UUID.fromString(node.ingest(subscriptionId, new JsonObject().put("n", 2)));
    onContext(() -> recorder.claim(id));
    Claimed again = onContext(() -> recorder.claim(id)); // owned under its lease already
    assertThat(again).isNull();
  }

  @Test
  void aRecordedRetryIsOnRecordInPostgresAndDueInTheRetrySet() {
    UUID id = UUID.fromString(node.ingest(subscriptionId, new JsonObject().put("n", 3)));
    onContext(() -> recorder.claim(id));
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    long due = System.currentTimeMillis() + 60_000;
    AttemptRecord failed = new AttemptRecord(id, UUID.fromString(subscriptionId), "http://127.0.0.1:9/hook", 1, now,
        12, "Failed Attempt", 500, "HTTP 500", "oops", "retrying", now.plusSeconds(60), false, null);
    onContext(() -> recorder.record(failed, due));

    assertThat(status(id)).isEqualTo("retrying");
    assertThat(node.count("SELECT count(*) FROM attempts WHERE delivery_id = '" + id + "' AND status_code = 500"))
        .isEqualTo(1);
    String score = onContext(() -> redis.send(io.vertx.redis.client.Request.cmd(io.vertx.redis.client.Command.ZSCORE)
        .arg(node.redisPrefix + "retry").arg(id + ":" + subscriptionId)).map(r -> r == null ? null : r.toString()));
    assertThat(score).isEqualTo(Long.toString(due));
    assertThat(openSince(id)).as("the sweep looks at a retry from its next attempt")
        .isCloseTo(now.plusSeconds(60).toInstant(), org.assertj.core.api.Assertions.within(1, ChronoUnit.MILLIS));
  }

  @Test
  void aDeliveryThatSucceededIsNoLongerOpen() {
    UUID id = UUID.fromString(node.ingest(subscriptionId, new JsonObject().put("n", 6)));
    assertThat(openSince(id)).as("an ingested delivery is open").isNotNull();
    onContext(() -> recorder.claim(id));
    OffsetDateTime now = OffsetDateTime.now(ZoneOffset.UTC);
    onContext(() -> recorder.record(new AttemptRecord(id, UUID.fromString(subscriptionId), "http://127.0.0.1:9/hook",
        1, now, 3, "Success", 200, null, "ok", "succeeded", null, false, null), null));
    assertThat(status(id)).isEqualTo("succeeded");
    assertThat(openSince(id)).isNull();

    assertThat(node.post("/status/" + id + "/retry", new JsonObject()).status()).isEqualTo(202);
    assertThat(openSince(id)).as("a manual retry opens it again").isNotNull();
  }

  @Test
  void enablingASubscriptionOpensItsHeldDeliveriesAgainAndRecoverOpensFailedOnes() {
    String sub = node.subscribe("http://127.0.0.1:9/other", null).getString("id");
    assertThat(node.patch("/subscriptions/" + sub, new JsonObject().put("status", "disabled")).status()).isEqualTo(200);
    UUID held = UUID.fromString(node.ingest(sub, new JsonObject().put("n", 7)));
    assertThat(status(held)).isEqualTo("held");
    assertThat(openSince(held)).isNull();
    assertThat(node.post("/subscriptions/" + sub + "/enable", new JsonObject()).status()).isEqualTo(200);
    assertThat(openSince(held)).isNotNull();

    onContext(() -> recorder.claim(held));
    onContext(() -> recorder.record(new AttemptRecord(held, UUID.fromString(sub), "http://127.0.0.1:9/other", 5,
        OffsetDateTime.now(ZoneOffset.UTC), 3, "Failure", 500, "HTTP 500", "no", "failed", null, false, null), null));
    assertThat(openSince(held)).as("failed for good").isNull();
    assertThat(node.post("/subscriptions/" + sub + "/recover?since=2020-01-01T00:00:00Z", new JsonObject()).status())
        .isBetween(200, 202);
    assertThat(status(held)).isEqualTo("retrying");
    assertThat(openSince(held)).as("recovered").isNotNull();
  }

  @Test
  void noIndexOfDeliveriesCoversAColumnThatTheClaimOrTheRecordChanges() {
    // Then both are HOT updates: a new row version in the same page, and no new entry in any index.
    List<String> indexed = onContext(() -> pool.query("SELECT DISTINCT a.attname FROM pg_index i "
        + "JOIN pg_attribute a ON a.attrelid = i.indrelid AND (a.attnum = ANY(i.indkey) "
        + "OR pg_get_expr(i.indpred, i.indrelid) ~ ('\\m' || a.attname || '\\M')) "
        + "WHERE i.indrelid = 'deliveries'::regclass").execute()
        .map(rows -> { List<String> out = new java.util.ArrayList<>(); rows.forEach(r -> out.add(r.getString(0)));
          return out; }));
    assertThat(indexed).contains("id", "subscription_id", "created_at").doesNotContainAnyElementsOf(List.of("status",
        "lease_until", "updated_at", "attempt_count", "next_attempt_at", "last_attempt_at", "last_status_code",
        "last_error"));
  }

  @Test
  void aClaimedDeliveryOfADisabledSubscriptionIsHeld() {
    UUID id = UUID.fromString(node.ingest(subscriptionId, new JsonObject().put("n", 4)));
    onContext(() -> recorder.claimAndHold(id));
    assertThat(status(id)).isEqualTo("held");
    assertThat(openSince(id)).as("a held delivery waits for its subscription, not for the sweep").isNull();
  }

  @Test
  void aReleasedDeliveryIsDueAgainAndTheRecorderIsIdleAfterwards() {
    UUID id = UUID.fromString(node.ingest(subscriptionId, new JsonObject().put("n", 5)));
    onContext(() -> recorder.claim(id));
    onContext(() -> recorder.release(List.of(id)));
    assertThat(status(id)).isEqualTo("pending");
    assertThat(openSince(id)).isNotNull();
    assertThat(onContext(() -> Future.succeededFuture(recorder.idle()))).isTrue();
  }

  @Test
  void leasesCommitWithoutWaitingForTheDiskWhileAttemptRecordsDo() {
    assertThat(show(leasePool, "synchronous_commit")).isEqualTo("off");
    assertThat(show(pool, "synchronous_commit")).isEqualTo("on");
  }

  @Test
  void everyPlanOfTheClaimLooksTheIdsUpByThePrimaryKey() {
    // A generic plan, made on this test's small table, is the one a prepared claim keeps using as the table grows.
    String plan = onContext(() -> pool.withConnection(c -> c.query("SET plan_cache_mode = force_generic_plan").execute()
        .compose(v -> c.query("PREPARE claim_plan(uuid[], float8) AS " + DeliveryRepository.CLAIM).execute())
        .compose(v -> c.query("EXPLAIN EXECUTE claim_plan('{" + UUID.randomUUID() + "}', 30)").execute())
        .eventually(() -> c.query("DEALLOCATE claim_plan").execute())
        .map(rows -> {
          StringBuilder text = new StringBuilder();
          rows.forEach(r -> text.append(r.getString(0)).append('\n'));
          return text.toString();
        })));
    assertThat(plan).contains("Index Scan using deliveries_pkey on deliveries d")
        .doesNotContain("deliveries_due").doesNotContain("Seq Scan on deliveries");
  }

  private static String show(Pool on, String setting) {
    return onContext(() -> on.query("SHOW " + setting).execute().map(rows -> rows.iterator().next().getString(0)));
  }

  /** The time from which the recovery sweep looks at the delivery; null when it is not open. */
  private static Instant openSince(UUID id) {
    return onContext(() -> pool.preparedQuery("SELECT due_at FROM deliveries_open WHERE delivery_id = $1")
        .execute(io.vertx.sqlclient.Tuple.of(id)).map(rows -> rows.size() == 0 ? null
            : rows.iterator().next().getOffsetDateTime(0).toInstant()));
  }

  private static String status(UUID id) {
    return node.status(id.toString()).getString("status");
  }

  /** Runs on one event loop, as the recorder does in its verticle, and waits for the answer. */
  private static <T> T onContext(Callable<Future<T>> action) {
    return Await.onContext(context, action);
  }
}
