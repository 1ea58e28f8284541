package io.hookrelay.ops;

import io.hookrelay.bus.Addresses;
import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.queue.DeliveryQueue;
import io.hookrelay.store.Database;
import io.hookrelay.store.Ids;
import io.hookrelay.store.MessageRepository;
import io.hookrelay.store.MessageRepository.NewDelivery;
import io.hookrelay.store.MessageRepository.NewMessage;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.redis.client.Redis;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stores each operational event this node reports as a webhook of the system tenant, {@code {"type", "timestamp",
 * "data"}} as Standard Webhooks suggests, and queues it: from there it is delivered, signed and retried like any
 * other. Deployed only when HOOKRELAY_OPERATIONAL_WEBHOOK_URL is set.
 */
public final class OperationalWebhookVerticle extends VerticleBase {
  private static final Logger log = LoggerFactory.getLogger(OperationalWebhookVerticle.class);

  private final HookrelayConfig config;
  private MessageRepository messages;
  private Redis redis;
  private DeliveryQueue queue;
  private MessageConsumer<JsonObject> consumer;

  public OperationalWebhookVerticle(HookrelayConfig config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    messages = new MessageRepository(Database.pool(vertx, config.databaseUrl(), config.databasePoolSize()));
    redis = DeliveryQueue.client(vertx, config.redisUrl(), 1);
    queue = new DeliveryQueue(redis, config.redisKeyPrefix());
    consumer = vertx.eventBus().localConsumer(Addresses.OPERATIONAL_EVENT, m -> store(m.body()));
    log.info("operational webhooks go to {}", config.operationalWebhookUrl());
    return consumer.completion();
  }

  @Override
  public Future<?> stop() {
    return consumer.unregister().eventually(() -> redis.close());
  }

  private void store(JsonObject event) {
    String type = event.getString("type");
    UUID deliveryId = Ids.newId();
    JsonObject payload = new JsonObject().put("type", type).put("timestamp", Instant.now().toString())
        .put("data", event.getJsonObject("data"));
    NewMessage message = new NewMessage(Ids.newId(), OperationalEvents.SYSTEM_TENANT, type, payload.toBuffer(), null,
        null, null, List.of(new NewDelivery(deliveryId, OperationalEvents.SUBSCRIPTION, "pending", null)), null);
    messages.insertBatch(List.of(message))
        // stored: if Redis misses it, the recovery sweep queues it
        .compose(v -> queue.enqueue(List.of(deliveryId), List.of(OperationalEvents.SUBSCRIPTION)))
        .onSuccess(v -> log.info("operational webhook {} queued: {}", type, event.getJsonObject("data").encode()))
        .onFailure(err -> log.warn("operational webhook {} not stored or queued: {}", type, err.getMessage()));
  }
}
