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
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
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
  }

  @Test
  void aClaimedDeliveryOfADisabledSubscriptionIsHeld() {
    UUID id = UUID.fromString(node.ingest(subscriptionId, new JsonObject().put("n", 4)));
    onContext(() -> recorder.claimAndHold(id));
    assertThat(status(id)).isEqualTo("held");
  }

  @Test
  void aReleasedDeliveryIsDueAgainAndTheRecorderIsIdleAfterwards() {
    UUID id = UUID.fromString(node.ingest(subscriptionId, new JsonObject().put("n", 5)));
    onContext(() -> recorder.claim(id));
    onContext(() -> recorder.release(List.of(id)));
    assertThat(status(id)).isEqualTo("pending");
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

  private static String status(UUID id) {
    return node.status(id.toString()).getString("status");
  }

  /** Runs on one event loop, as the recorder does in its verticle, and waits for the answer. */
  private static <T> T onContext(Callable<Future<T>> action) {
    return Await.onContext(context, action);
  }
}
