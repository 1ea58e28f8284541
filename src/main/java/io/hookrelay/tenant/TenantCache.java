package io.hookrelay.tenant;

import io.hookrelay.bus.Addresses;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A verticle instance's copy of the active tenants it has been asked about (by id or uid), so that scoped routes
 * and ingest limits do not read the table per request. Everything is forgotten when any node announces a tenant
 * change, and after {@link #REMEMBER_MS} in case an announcement was missed. One per verticle instance.
 */
public final class TenantCache {
  static final long REMEMBER_MS = 30_000;

  private final TenantRepository repository;
  private final Map<String, Entry> byRef = new HashMap<>();
  private final MessageConsumer<JsonObject> consumer;
  private long generation;

  private record Entry(Tenant tenant, long untilMs) {}

  public TenantCache(Vertx vertx, TenantRepository repository) {
    this.repository = repository;
    this.consumer = vertx.eventBus().consumer(Addresses.TENANTS_CHANGED, m -> forget());
  }

  /** Announces a change of a tenant or its credentials to every node (this one included). */
  public static void publishChange(Vertx vertx, UUID tenantId) {
    vertx.eventBus().publish(Addresses.TENANTS_CHANGED, new JsonObject().put("id", tenantId.toString()));
  }

  public Future<Void> ready() {
    return consumer.completion();
  }

  /** The active tenant with this id or uid, or null (none, or being deleted). */
  public Future<Tenant> find(String ref) {
    long now = System.currentTimeMillis();
    Entry e = byRef.get(ref);
    if (e != null && e.untilMs() > now) {
      return Future.succeededFuture(e.tenant());
    }
    long seen = generation;
    return repository.find(Scope.SYSTEM, ref).onSuccess(t -> {
      if (generation == seen) {
        if (byRef.size() > 100_000) {
          byRef.clear();
        }
        byRef.put(ref, new Entry(t, now + REMEMBER_MS));
      }
    });
  }

  public Future<Tenant> get(UUID id) {
    return find(id.toString());
  }

  private void forget() {
    byRef.clear();
    generation++;
  }

  public Future<Void> close() {
    return consumer.unregister();
  }
}
