package io.hookrelay.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The two messages between a queue poller and the delivery verticles, in JSON so that they cross a cluster without
 * a codec of their own. Jobs travel in batches and come back in batches: per-job request/reply cost a timer, a
 * reply registration and metrics for every webhook, which was most of the dispatch cost under load.
 *
 * <p>A batch, sent as a request to {@link Addresses#DELIVERY_DISPATCH} and answered at once (so the poller learns
 * when no delivery verticle is there): {@code {"reply_to": address, "jobs": [entryId, deliveryId, subscriptionId,
 * ...]}}.
 *
 * <p>A completion, sent to the batch's {@code reply_to} address as jobs end: {@code {"done": [entryId, ...],
 * "defer": [entryId, deliveryId, subscriptionId, dueMs, ...], "released": [entryId, ...]}}. Done entries are on
 * record (or had nothing due) and are acknowledged; deferred ones go to the retry set until {@code dueMs}; released
 * ones were not recorded and stay pending, to be claimed again after the visibility timeout.
 */
public final class Dispatch {
  private Dispatch() {}

  public static JsonObject batch(String replyTo, JsonArray jobs) {
    return new JsonObject().put("reply_to", replyTo).put("jobs", jobs);
  }

  /** Completions gathered per poller address, sent as one message each. */
  public static final class Completions {
    private final Map<String, JsonObject> byAddress = new HashMap<>();

    public void done(String replyTo, String entryId) {
      array(replyTo, "done").add(entryId);
    }

    public void released(String replyTo, String entryId) {
      array(replyTo, "released").add(entryId);
    }

    public void defer(String replyTo, String entryId, String deliveryId, String subscriptionId, long dueMs) {
      array(replyTo, "defer").add(entryId).add(deliveryId).add(subscriptionId).add(dueMs);
    }

    public boolean isEmpty() {
      return byAddress.isEmpty();
    }

    /** The messages to send, by address; the gathering starts again empty. */
    public List<Map.Entry<String, JsonObject>> drain() {
      List<Map.Entry<String, JsonObject>> out = new ArrayList<>(byAddress.entrySet());
      byAddress.clear();
      return out;
    }

    private JsonArray array(String replyTo, String kind) {
      JsonObject message = byAddress.computeIfAbsent(replyTo, a -> new JsonObject());
      JsonArray array = message.getJsonArray(kind);
      if (array == null) {
        array = new JsonArray();
        message.put(kind, array);
      }
      return array;
    }
  }
}
