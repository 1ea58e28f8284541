package io.hookrelay.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.UUID;

/** Small helpers for reading requests and writing JSON answers. */
final class Json {
  private Json() {}

  static void send(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }

  static void send(RoutingContext ctx, int status, JsonArray body) {
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }

  /** The request body as a JSON object, or a 400 naming the problem. */
  static JsonObject object(RoutingContext ctx) {
    String type = ctx.request().getHeader("content-type");
    if (type != null && !type.toLowerCase().contains("json")) {
      throw new ApiError(415, "unsupported_media_type", "send the body as application/json, not " + type);
    }
    if (ctx.body() == null || ctx.body().buffer() == null || ctx.body().length() <= 0) {
      throw ApiError.badRequest("invalid_json", "the body is empty; a JSON object is expected");
    }
    checkDepth(ctx.body().buffer());
    Object value;
    try {
      value = io.vertx.core.json.Json.decodeValue(ctx.body().buffer());
    } catch (RuntimeException e) {
      throw ApiError.badRequest("invalid_json", "the body is not valid JSON");
    }
    if (!(value instanceof JsonObject object)) {
      throw ApiError.badRequest("invalid_json", "the body must be a JSON object");
    }
    return object;
  }

  /**
   * Refuses text that PostgreSQL cannot store: a NUL character (valid JSON as \\u0000, invalid in a text column).
   */
  static String storable(String field, String value, int status) {
    if (value != null && value.indexOf('\u0000') >= 0) {
      throw new ApiError(status, status == 422 ? "validation_failed" : "invalid_parameter",
          field + " must not contain NUL characters");
    }
    return value;
  }

  /** Refuses documents nested deeper than the limit before parsing them. */
  static void checkDepth(io.vertx.core.buffer.Buffer body) {
    if (io.hookrelay.ingest.JsonLimits.depth(body) > io.hookrelay.ingest.JsonLimits.MAX_DEPTH) {
      throw tooDeep();
    }
  }

  static ApiError tooDeep() {
    return ApiError.badRequest("json_too_deep",
        "the JSON nests objects and arrays deeper than " + io.hookrelay.ingest.JsonLimits.MAX_DEPTH + " levels");
  }

  /**
   * Refuses, in one 422 naming each of them, the fields that are unknown and those only the server sets, so that a
   * misspelt field never passes silently.
   */
  static void onlyFields(JsonObject body, java.util.List<String> writable, java.util.Set<String> readOnlyFields) {
    java.util.List<String> unknown = new java.util.ArrayList<>();
    java.util.List<String> readOnly = new java.util.ArrayList<>();
    for (String field : body.fieldNames()) {
      if (!writable.contains(field)) {
        (readOnlyFields.contains(field) ? readOnly : unknown).add(field);
      }
    }
    if (unknown.isEmpty() && readOnly.isEmpty()) {
      return;
    }
    java.util.Collections.sort(unknown);
    java.util.Collections.sort(readOnly);
    java.util.List<String> problems = new java.util.ArrayList<>();
    if (!unknown.isEmpty()) {
      problems.add("unknown field(s) " + String.join(", ", unknown));
    }
    if (!readOnly.isEmpty()) {
      problems.add("read-only field(s) " + String.join(", ", readOnly));
    }
    throw ApiError.unprocessable(String.join("; ", problems) + ": the fields that can be set here are "
        + String.join(", ", writable));
  }

  /** A path parameter that must be a UUID; anything else names no resource, so 404. */
  static UUID pathId(RoutingContext ctx, String name, String what) {
    String raw = ctx.pathParam(name);
    UUID id = io.hookrelay.store.Ids.parse(raw);
    if (id == null) {
      throw ApiError.notFound("no " + what + " with id '" + raw + "' (ids are UUIDs)");
    }
    return id;
  }

  /** An integer query parameter within bounds, or its default when absent. */
  static int intParam(RoutingContext ctx, String name, int fallback, int min, int max) {
    String raw = ctx.queryParams().get(name);
    if (raw == null || raw.isEmpty()) {
      return fallback;
    }
    try {
      int n = Integer.parseInt(raw);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // answered below
    }
    throw ApiError.badRequest("invalid_parameter", name + " must be a whole number from " + min + " to " + max);
  }
}
