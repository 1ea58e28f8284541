package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.store.Database;
import io.hookrelay.store.Subscription;
import io.hookrelay.store.SubscriptionRepository;
import io.hookrelay.testing.Await;
import io.hookrelay.testing.TestNode;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The delivery path's copy of the subscriptions, against real PostgreSQL. */
class SubscriptionCacheTest {
  private static TestNode node;
  private static Vertx vertx;
  private static Context context;
  private static Pool pool;
  private static SubscriptionCache cache;

  @BeforeAll
  static void setUp() {
    node = TestNode.start(Map.of("HOOKRELAY_ROLES", "api"));
    vertx = node.node.vertx();
    context = vertx.getOrCreateContext();
    pool = Database.pool(vertx, node.databaseUrl, 2);
    cache = onContext(() -> Future.succeededFuture(new SubscriptionCache(vertx, new SubscriptionRepository(pool))));
  }

  @AfterAll
  static void tearDown() {
    onContext(() -> cache.close());
    node.close();
  }

  @Test
  void jobsOfOneSubscriptionArrivingTogetherShareOneReadAndLaterOnesAreAnsweredFromMemory() {
    UUID id = UUID.fromString(node.subscribe("http://127.0.0.1:9/hook", null).getString("id"));
    List<Future<Subscription>> together = onContext(() -> Future.succeededFuture(
        List.of(cache.get(id), cache.get(id), cache.get(id))));
    assertThat(together.get(1)).isSameAs(together.get(0));
    assertThat(together.get(2)).isSameAs(together.get(0));
    Subscription read = onContext(() -> together.get(0));
    assertThat(read.id()).isEqualTo(id);
    Future<Subscription> later = onContext(() -> Future.succeededFuture(cache.get(id)));
    assertThat(later.isComplete()).isTrue();
    assertThat(later.result().id()).isEqualTo(id);
  }

  @Test
  void aChangeAnnouncedWhileAReadIsOnItsWayIsNotAnsweredWithThatRead() {
    UUID id = UUID.fromString(node.subscribe("http://127.0.0.1:9/hook", null).getString("id"));
    Future<Subscription> before = onContext(() -> {
      Future<Subscription> read = cache.get(id);
      SubscriptionCache.publishChange(vertx, id);
      return Future.succeededFuture(read);
    });
    // The announcement is delivered on this context after the read started: gets from then on read again.
    Future<Subscription> after = onContext(() -> Future.succeededFuture(cache.get(id)));
    assertThat(after).isNotSameAs(before);
  }

  private static <T> T onContext(Callable<Future<T>> action) {
    return Await.onContext(context, action);
  }
}
