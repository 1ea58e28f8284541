package io.hookrelay.api;

import io.hookrelay.ingest.EventTypeCatalogue;
import io.hookrelay.ingest.PayloadSchemas;
import io.hookrelay.store.EventType;
import io.hookrelay.store.EventTypeRepository;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * /event-types: the catalogue's CRUD. A schema is checked against the draft 2020-12 meta-schema and compiled, and an
 * example must meet it, on the worker pool (a schema can be large; the event loop is not the place).
 */
final class EventTypeRoutes {
  /** The filter syntax's characters, without the wildcard: a type names one kind of event. */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:\\-]{1,128}");
  static final String NAME_RULE = "1 to 128 letters, digits, '.', '_', ':' or '-'";
  static final int MAX_SCHEMA_BYTES = 256 * 1024;
  private static final List<String> CREATE_FIELDS = List.of("name", "description", "schema", "example", "deprecated");
  /** A type is renamed by creating the new name and deleting the old. */
  private static final List<String> PATCH_FIELDS = List.of("description", "schema", "example", "deprecated");
  private static final Set<String> READ_ONLY_FIELDS = Set.of("name", "created_at", "updated_at");

  private final Vertx vertx;
  private final EventTypeRepository types;
  private final int maxExampleBytes;

  EventTypeRoutes(Vertx vertx, EventTypeRepository types, int maxExampleBytes) {
    this.vertx = vertx;
    this.types = types;
    this.maxExampleBytes = maxExampleBytes;
  }

  void mount(Router router) {
    router.post("/event-types").handler(this::create);
    router.get("/event-types").handler(this::list);
    router.get("/event-types/:name").handler(this::get);
    router.patch("/event-types/:name").handler(this::patch);
    router.delete("/event-types/:name").handler(this::delete);
  }

  private void create(RoutingContext ctx) {
    Access.requireAdmin(ctx); // the catalogue is the platform's: tenants read it
    JsonObject body = Json.object(ctx);
    Json.onlyFields(body, CREATE_FIELDS, READ_ONLY_FIELDS);
    Object name = body.getValue("name");
    if (!(name instanceof String n) || !NAME.matcher(n).matches()) {
      throw ApiError.unprocessable("name is required: " + NAME_RULE);
    }
    EventType t = new EventType(n, description(body), schema(body), example(body), deprecated(body, false), null, null);
    checked(t)
        .compose(v -> types.create(Access.scope(ctx), t))
        .onSuccess(created -> {
          EventTypeCatalogue.publishChange(vertx, created.name());
          ctx.response().putHeader("location", "/event-types/" + created.name());
          Json.send(ctx, 201, created.toJson());
        })
        .onFailure(err -> ctx.fail(err instanceof EventTypeRepository.NameTaken
            ? new ApiError(409, "conflict", err.getMessage())
            : ApiError.store(err)));
  }

  private void list(RoutingContext ctx) {
    int skip = Json.intParam(ctx, "skip", 0, 0, Integer.MAX_VALUE);
    int limit = Json.intParam(ctx, "limit", 100, 1, 1000);
    types.list(skip, limit)
        .onSuccess(list -> {
          JsonArray out = new JsonArray();
          list.forEach(t -> out.add(t.toJson()));
          Json.send(ctx, 200, out);
        })
        .onFailure(err -> ctx.fail(ApiError.store(err)));
  }

  private void get(RoutingContext ctx) {
    String name = pathName(ctx);
    types.find(name).onComplete(ar -> respond(ctx, name, ar.succeeded() ? ar.result() : null, ar.cause()));
  }

  private void patch(RoutingContext ctx) {
    Access.requireAdmin(ctx); // the catalogue is the platform's: tenants read it
    String name = pathName(ctx);
    JsonObject body = Json.object(ctx);
    Json.onlyFields(body, PATCH_FIELDS, READ_ONLY_FIELDS);
    var patch = new EventTypeRepository.Patch(body.containsKey("description"), description(body),
        body.containsKey("schema"), schema(body), body.containsKey("example"), example(body),
        body.containsKey("deprecated") ? deprecated(body, false) : null);
    // The schema and the example are checked together as they are after the change, inside its transaction.
    boolean recheck = patch.setSchema() || patch.setExample();
    types.update(Access.scope(ctx), name, patch, t -> recheck ? checked(t) : Future.succeededFuture()).onComplete(ar -> {
      if (ar.succeeded() && ar.result() != null) {
        EventTypeCatalogue.publishChange(vertx, name);
      }
      respond(ctx, name, ar.succeeded() ? ar.result() : null, ar.cause());
    });
  }

  private void delete(RoutingContext ctx) {
    Access.requireAdmin(ctx); // the catalogue is the platform's: tenants read it
    String name = pathName(ctx);
    types.delete(Access.scope(ctx), name).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ApiError.store(ar.cause()));
      } else if (!ar.result()) {
        ctx.fail(ApiError.notFound("no event type named '" + name + "'"));
      } else {
        EventTypeCatalogue.publishChange(vertx, name);
        ctx.response().setStatusCode(204).end();
      }
    });
  }

  /** The schema is one and compiles, and the example (when both are given) meets it: on the worker pool. */
  private Future<Void> checked(EventType t) {
    if (t.schema() == null) {
      return Future.succeededFuture();
    }
    return vertx.<String>executeBlocking(() -> {
      String schemaJson = t.schema().encode();
      String problem = PayloadSchemas.problemWith(schemaJson);
      if (problem != null) {
        return "schema " + problem;
      }
      if (t.hasExample()) {
        PayloadSchemas.Violation v = PayloadSchemas.firstViolation(PayloadSchemas.compile(schemaJson),
            io.vertx.core.json.Json.encode(t.example()));
        if (v != null) {
          return "example does not meet the schema: " + v.describe();
        }
      }
      return null;
    }, false).compose(problem -> problem == null
        ? Future.succeededFuture()
        : Future.failedFuture(ApiError.unprocessable(problem)));
  }

  private static void respond(RoutingContext ctx, String name, EventType t, Throwable failure) {
    if (failure != null) {
      ctx.fail(ApiError.store(failure));
    } else if (t == null) {
      ctx.fail(ApiError.notFound("no event type named '" + name + "'"));
    } else {
      Json.send(ctx, 200, t.toJson());
    }
  }

  /** A name outside the syntax names no type: 404, as an id that is no UUID does. */
  private static String pathName(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (name == null || !NAME.matcher(name).matches()) {
      throw ApiError.notFound("no event type named '" + (name == null ? "" : name.length() > 130
          ? name.substring(0, 128) + "…" : name) + "' (names are " + NAME_RULE + ")");
    }
    return name;
  }

  private static String description(JsonObject body) {
    Object value = body.getValue("description");
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s) || s.length() > 1024) {
      throw ApiError.unprocessable("description must be a string of at most 1024 characters, or null");
    }
    return Json.storable("description", s, 422);
  }

  private static JsonObject schema(JsonObject body) {
    Object value = body.getValue("schema");
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject schema)) {
      throw ApiError.unprocessable("schema must be a JSON Schema (draft 2020-12) object, or null for none");
    }
    if (schema.toBuffer().length() > MAX_SCHEMA_BYTES) {
      throw ApiError.unprocessable("schema must be at most " + MAX_SCHEMA_BYTES / 1024 + " KiB of JSON");
    }
    noNul("schema", schema.encode());
    return schema;
  }

  private Object example(JsonObject body) {
    Object value = body.getValue("example");
    if (value == null) {
      return null;
    }
    if (!(value instanceof JsonObject) && !(value instanceof JsonArray)) {
      throw ApiError.unprocessable("example must be a JSON object (or array), as a payload is, or null for none");
    }
    String encoded = io.vertx.core.json.Json.encode(value);
    if (encoded.length() > maxExampleBytes) {
      throw ApiError.unprocessable("example must be at most " + maxExampleBytes + " bytes of JSON, as a payload is");
    }
    noNul("example", encoded);
    return value;
  }

  /** PostgreSQL's jsonb cannot hold \\u0000 in a string. */
  private static void noNul(String field, String encoded) {
    if (encoded.contains("\\u0000")) {
      throw ApiError.unprocessable(field + " must not contain NUL characters (\\u0000)");
    }
  }

  private static boolean deprecated(JsonObject body, boolean fallback) {
    Object value = body.getValue("deprecated");
    if (value == null) {
      return fallback;
    }
    if (!(value instanceof Boolean b)) {
      throw ApiError.unprocessable("deprecated must be true or false");
    }
    return b;
  }
}
