package io.hookrelay.store;

import io.hookrelay.tenant.Scope;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/** The event_types table: the catalogue's CRUD. Every change is audited. */
public final class EventTypeRepository {
  private static final String COLUMNS = "name, description, schema, example, deprecated, created_at, updated_at";

  private final Pool pool;
  private final AuditRepository audit = new AuditRepository();

  public EventTypeRepository(Pool pool) {
    this.pool = pool;
  }

  /** What a PATCH changes: each {@code set…} flag replaces its field (null clears it); a null deprecated keeps it. */
  public record Patch(boolean setDescription, String description, boolean setSchema, JsonObject schema,
      boolean setExample, Object example, Boolean deprecated) {}

  /** A create whose name is taken. */
  public static final class NameTaken extends RuntimeException {
    public NameTaken(String name) {
      super("an event type named '" + name + "' exists", null, false, false);
    }
  }

  public Future<EventType> create(Scope scope, EventType t) {
    return pool.withTransaction(tx -> tx.preparedQuery("INSERT INTO event_types (name, description, schema, example, "
            + "deprecated) VALUES ($1, $2, $3, $4, $5) RETURNING " + COLUMNS)
        .execute(Tuple.tuple().addString(t.name()).addString(t.description()).addValue(t.schema())
            .addValue(t.example()).addBoolean(t.deprecated()))
        .compose(rows -> audit.record(tx, scope, null, "event_type_created", null, null, null, new JsonObject().put("name", t.name()))
            .map(one(rows))))
        .recover(err -> Future.failedFuture(isUniqueViolation(err) ? new NameTaken(t.name()) : err));
  }

  public Future<List<EventType>> list(int skip, int limit) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM event_types ORDER BY name OFFSET $1 LIMIT $2")
        .execute(Tuple.of(skip, limit)).map(EventTypeRepository::all);
  }

  /** The whole catalogue, for the per-instance caches and the OpenAPI document. */
  public Future<List<EventType>> all() {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM event_types ORDER BY name").execute()
        .map(EventTypeRepository::all);
  }

  public Future<EventType> find(String name) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM event_types WHERE name = $1").execute(Tuple.of(name))
        .map(EventTypeRepository::one);
  }

  /**
   * Applies a PATCH, then {@code check} on the row as changed, in the same transaction (a failed future from it rolls
   * back): a schema and an example changed by two requests at once are still checked together. Null when there is
   * no such type.
   */
  public Future<EventType> update(Scope scope, String name, Patch p, java.util.function.Function<EventType, Future<Void>> check) {
    String sql = "UPDATE event_types SET "
        + "description = CASE WHEN $2 THEN $3 ELSE description END, "
        + "schema = CASE WHEN $4 THEN $5::jsonb ELSE schema END, "
        + "example = CASE WHEN $6 THEN $7::jsonb ELSE example END, "
        + "deprecated = COALESCE($8, deprecated), updated_at = now() WHERE name = $1 RETURNING " + COLUMNS;
    Tuple args = Tuple.tuple().addString(name).addBoolean(p.setDescription()).addString(p.description())
        .addBoolean(p.setSchema()).addValue(p.schema()).addBoolean(p.setExample()).addValue(p.example())
        .addBoolean(p.deprecated());
    return pool.withTransaction(tx -> tx.preparedQuery(sql).execute(args).compose(rows -> {
      EventType updated = one(rows);
      if (updated == null) {
        return Future.succeededFuture(null);
      }
      return check.apply(updated)
          .compose(v -> audit.record(tx, scope, null, "event_type_updated", null, null, null, new JsonObject().put("name", name)))
          .map(updated);
    }));
  }

  public Future<Boolean> delete(Scope scope, String name) {
    return pool.withTransaction(tx -> tx.preparedQuery("DELETE FROM event_types WHERE name = $1").execute(Tuple.of(name))
        .compose(rows -> rows.rowCount() == 0
            ? Future.succeededFuture(false)
            : audit.record(tx, scope, null, "event_type_deleted", null, null, null, new JsonObject().put("name", name)).map(true)));
  }

  private static boolean isUniqueViolation(Throwable err) {
    return err instanceof PgException pg && "23505".equals(pg.getSqlState());
  }

  private static List<EventType> all(RowSet<Row> rows) {
    List<EventType> out = new ArrayList<>(rows.size());
    rows.forEach(r -> out.add(EventType.from(r)));
    return out;
  }

  private static EventType one(RowSet<Row> rows) {
    var it = rows.iterator();
    return it.hasNext() ? EventType.from(it.next()) : null;
  }
}
