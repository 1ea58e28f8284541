package io.hookrelay.ingest;

import com.networknt.schema.Schema;
import io.hookrelay.bus.Addresses;
import io.hookrelay.store.EventType;
import io.hookrelay.store.EventTypeRepository;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A verticle instance's copy of the event-type catalogue with each schema compiled once (at its first use), so that ingest neither reads
 * the table nor compiles a schema per webhook. The whole catalogue is loaded at once (it is small, and an unknown
 * type must be answered without a read too); any node's change, announced on the event bus, drops the copy, and a
 * reload every minute covers a missed announcement. Used from its verticle's event loop only.
 */
public final class EventTypeCatalogue {
  private static final Logger log = LoggerFactory.getLogger(EventTypeCatalogue.class);
  private static final long FULL_RELOAD_MS = 60_000;

  /**
   * A type as ingest needs it: the entry, and its schema compiled at first use (so that a reload costs one read, not
   * a compile of every schema at once on the event loop).
   */
  public static final class Known {
    private final EventType type;
    private Schema schema;
    private boolean compiled;

    Known(EventType type) {
      this.type = type;
    }

    public EventType type() {
      return type;
    }

    /**
     * The compiled schema, null when the type has none. Schemas were checked when stored; one that no longer
     * compiles (a library upgrade, say) is logged and holds its payloads to nothing rather than refusing them all.
     */
    public Schema schema() {
      if (!compiled) {
        compiled = true;
        if (type.schema() != null) {
          try {
            schema = PayloadSchemas.compile(type.schema().encode());
          } catch (RuntimeException e) {
            log.warn("the schema of event type {} does not compile, payloads go unchecked: {}", type.name(),
                e.getMessage());
          }
        }
      }
      return schema;
    }
  }

  private final Vertx vertx;
  private final EventTypeRepository repository;
  private final MessageConsumer<JsonObject> consumer;
  private final long timer;
  private Map<String, Known> byName;
  private Future<Map<String, Known>> loading;
  /** Bumped by every change: a load that started before a change must not fill the cache with what it read. */
  private long generation;

  public EventTypeCatalogue(Vertx vertx, EventTypeRepository repository) {
    this.vertx = vertx;
    this.repository = repository;
    this.consumer = vertx.eventBus().consumer(Addresses.EVENT_TYPES_CHANGED, m -> invalidate());
    this.timer = vertx.setPeriodic(FULL_RELOAD_MS, id -> invalidate());
  }

  /** Announces a change to every node's catalogues (this one included). */
  public static void publishChange(Vertx vertx, String name) {
    vertx.eventBus().publish(Addresses.EVENT_TYPES_CHANGED, new JsonObject().put("name", name));
  }

  public Future<Void> ready() {
    return consumer.completion();
  }

  /** The type, or null when the catalogue has none of that name. */
  public Future<Known> get(String name) {
    return catalogue().map(all -> all.get(name));
  }

  /** Every type, by name. */
  public Future<Map<String, Known>> catalogue() {
    if (byName != null) {
      return Future.succeededFuture(byName);
    }
    Future<Map<String, Known>> current = loading;
    if (current == null) {
      long seen = generation;
      Future<Map<String, Known>> load = repository.all().map(EventTypeCatalogue::byName);
      current = load;
      loading = load;
      // a load already complete runs this at once: answer the local, not the field it just cleared
      load.onComplete(ar -> {
        if (loading == load) {
          loading = null;
        }
        if (ar.succeeded() && generation == seen) {
          byName = ar.result();
        }
      });
    }
    return current;
  }

  private static Map<String, Known> byName(List<EventType> types) {
    Map<String, Known> out = new HashMap<>(types.size() * 2);
    types.forEach(t -> out.put(t.name(), new Known(t)));
    return out;
  }

  private void invalidate() {
    generation++;
    byName = null;
    loading = null; // callers from now on must not get the answer of a read that predates the change
  }

  public Future<Void> close() {
    vertx.cancelTimer(timer);
    return consumer.unregister();
  }
}
