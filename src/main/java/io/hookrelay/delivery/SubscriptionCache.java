package io.hookrelay.delivery;

import io.hookrelay.bus.Addresses;
import io.hookrelay.store.Subscription;
import io.hookrelay.store.SubscriptionRepository;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A verticle instance's copy of the subscriptions, so that ingest and delivery do not read them per webhook. An
 * entry is dropped when any node publishes a change; a full reload every minute covers a missed announcement.
 * One per verticle instance, used from its event loop only.
 */
public final class SubscriptionCache {
  private static final long FULL_RELOAD_MS = 60_000;

  private final SubscriptionRepository repository;
  private final Map<UUID, Subscription> byId = new HashMap<>();
  /**
   * Single reads on their way, so that the jobs of one subscription arriving together read it once: after each
   * minute's full invalidation, 3,000 subscriptions were read some 13,000 times, and the claims behind those reads
   * went to PostgreSQL in small batches.
   */
  private final Map<UUID, Future<Subscription>> reading = new HashMap<>();
  /** Filled with byId by a full load, and only then read: the active tenants' subscriptions. */
  private final Map<UUID, List<Subscription>> byTenant = new HashMap<>();
  private final MessageConsumer<JsonObject> consumer;
  private final long timer;
  private final Vertx vertx;
  private boolean complete;
  private Future<List<Subscription>> loading;
  /** Bumped by every change: a read that started before a change must not fill the cache with what it read. */
  private long generation;

  public SubscriptionCache(Vertx vertx, SubscriptionRepository repository) {
    this.vertx = vertx;
    this.repository = repository;
    this.consumer = vertx.eventBus().consumer(Addresses.SUBSCRIPTIONS_CHANGED, m -> invalidate(m.body()));
    this.timer = vertx.setPeriodic(FULL_RELOAD_MS, id -> invalidateAll());
  }

  /** Announces that every entry is stale (a tenant is being deleted) to every node's caches. */
  public static void publishChangeOfAll(Vertx vertx) {
    vertx.eventBus().publish(Addresses.SUBSCRIPTIONS_CHANGED, new JsonObject().put("all", true));
  }

  /** Announces a change to every node's caches (this one included). */
  public static void publishChange(Vertx vertx, UUID id) {
    vertx.eventBus().publish(Addresses.SUBSCRIPTIONS_CHANGED, new JsonObject().put("id", id.toString()));
  }

  public Future<Void> ready() {
    return consumer.completion();
  }

  /**
   * The subscription, or null when there is none with that id. It may belong to a tenant being deleted
   * ({@link Subscription#tenantActive()} false): callers skip it.
   */
  public Future<Subscription> get(UUID id) {
    Subscription cached = byId.get(id);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    Future<Subscription> current = reading.get(id);
    if (current != null) {
      return current;
    }
    long seen = generation;
    Future<Subscription> read = repository.findForDelivery(id);
    reading.put(id, read);
    return read.onComplete(ar -> {
      reading.remove(id, read);
      if (ar.succeeded() && ar.result() != null && generation == seen) {
        byId.put(id, ar.result());
      }
    });
  }

  /** The subscriptions of one active tenant, for its fan-out. */
  public Future<List<Subscription>> ofTenant(UUID tenantId) {
    if (complete) {
      return Future.succeededFuture(byTenant.getOrDefault(tenantId, List.of()));
    }
    return all().map(list -> {
      List<Subscription> out = new ArrayList<>();
      for (Subscription s : list) {
        if (s.tenantId().equals(tenantId) && s.tenantActive()) {
          out.add(s);
        }
      }
      return out;
    });
  }

  /** Every subscription, for fan-out. */
  public Future<List<Subscription>> all() {
    if (complete) {
      return Future.succeededFuture(new ArrayList<>(byId.values()));
    }
    Future<List<Subscription>> current = loading;
    if (current == null) {
      long seen = generation;
      Future<List<Subscription>> load = repository.all();
      current = load;
      loading = load;
      load.onComplete(ar -> {
        if (loading == load) {
          loading = null;
        }
        if (ar.succeeded() && generation == seen) {
          byId.clear();
          byTenant.clear();
          ar.result().forEach(s -> {
            byId.put(s.id(), s);
            if (s.tenantActive()) {
              byTenant.computeIfAbsent(s.tenantId(), t -> new ArrayList<>()).add(s);
            }
          });
          complete = true;
        }
      });
    }
    return current; // a load already complete has cleared the field by now
  }

  private void invalidate(JsonObject change) {
    if (change.getBoolean("all", false)) {
      invalidateAll();
      return;
    }
    String id = change.getString("id");
    if (id != null) {
      byId.remove(UUID.fromString(id));
      reading.remove(UUID.fromString(id));
    }
    generation++;
    complete = false;
    loading = null; // callers from now on must not get the answer of a read that predates the change
  }

  /** The periodic safety net for a missed announcement: single reads are refreshed too, not only fan-out's list. */
  private void invalidateAll() {
    byId.clear();
    reading.clear();
    generation++;
    complete = false;
    loading = null;
  }

  public Future<Void> close() {
    vertx.cancelTimer(timer);
    return consumer.unregister();
  }
}
