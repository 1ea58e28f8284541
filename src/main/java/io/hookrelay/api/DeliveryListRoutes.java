package io.hookrelay.api;

import io.hookrelay.store.DeliveryRepository;
import io.hookrelay.store.Ids;
import io.hookrelay.store.Times;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.UUID;

/**
 * {@code GET /deliveries}: recent deliveries newest first, filtered by status, subscription, event type and age,
 * paged with an opaque cursor (the base64url of the last row's created_at and id), so pages stay stable while new
 * webhooks arrive.
 */
final class DeliveryListRoutes {
  private final DeliveryRepository deliveries;

  DeliveryListRoutes(DeliveryRepository deliveries) {
    this.deliveries = deliveries;
  }

  /** Mounts the list under {@code prefix}: "" (the caller's scope) or "/tenants/:tenant". */
  void mount(Router router, String prefix) {
    router.get(prefix + "/deliveries").handler(this::list);
  }

  private void list(RoutingContext ctx) {
    String status = nonEmpty(ctx, "status");
    if (status != null && !DeliveryRepository.STATUSES.contains(status)) {
      throw ApiError.badRequest("invalid_parameter", "status must be one of " + String.join(", ",
          DeliveryRepository.STATUSES));
    }
    String subscription = nonEmpty(ctx, "subscription_id");
    UUID subscriptionId = subscription == null ? null : Ids.parse(subscription);
    if (subscription != null && subscriptionId == null) {
      throw ApiError.badRequest("invalid_parameter", "subscription_id must be a UUID");
    }
    String eventType = Json.storable("event_type", nonEmpty(ctx, "event_type"), 400);
    if (eventType != null && eventType.length() > IngestRoutes.MAX_HEADER_VALUE) {
      throw ApiError.badRequest("invalid_parameter", "event_type must be at most " + IngestRoutes.MAX_HEADER_VALUE
          + " characters");
    }
    String sinceText = nonEmpty(ctx, "since");
    OffsetDateTime since = null;
    if (sinceText != null) {
      try {
        since = OffsetDateTime.parse(sinceText);
      } catch (DateTimeParseException e) {
        throw ApiError.badRequest("invalid_parameter", "since must be an ISO-8601 time such as 2026-01-31T12:00:00Z");
      }
    }
    int limit = Json.intParam(ctx, "limit", 50, 1, 500);
    Cursor cursor = Cursor.parse(nonEmpty(ctx, "cursor"));
    deliveries.list(Access.scope(ctx), new DeliveryRepository.ListFilter(status, subscriptionId, eventType, since),
            cursor == null ? null : cursor.createdAt(), cursor == null ? null : cursor.id(), limit)
        .onSuccess(page -> Json.send(ctx, 200, new JsonObject()
            .put("data", page.data())
            .put("next_cursor", page.more() ? new Cursor(page.lastCreatedAt(), page.lastId()).encode() : null)))
        .onFailure(err -> ctx.fail(ApiError.store(err)));
  }

  private static String nonEmpty(RoutingContext ctx, String name) {
    String value = ctx.queryParams().get(name);
    return value == null || value.isEmpty() ? null : value;
  }

  /** Where a page ends: the (created_at, id) of its last row. */
  record Cursor(OffsetDateTime createdAt, UUID id) {
    String encode() {
      return Base64.getUrlEncoder().withoutPadding()
          .encodeToString((Times.iso(createdAt) + "|" + id).getBytes(StandardCharsets.UTF_8));
    }

    static Cursor parse(String text) {
      if (text == null) {
        return null;
      }
      try {
        String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
        int bar = decoded.indexOf('|');
        UUID id = bar < 0 ? null : Ids.parse(decoded.substring(bar + 1));
        if (id != null) {
          return new Cursor(OffsetDateTime.parse(decoded.substring(0, bar)), id);
        }
      } catch (IllegalArgumentException | DateTimeParseException e) {
        // answered below
      }
      throw ApiError.badRequest("invalid_parameter", "cursor is not one this server gave out: pass next_cursor "
          + "from the previous page unchanged");
    }
  }
}
