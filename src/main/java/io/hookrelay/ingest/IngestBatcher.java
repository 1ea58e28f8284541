package io.hookrelay.ingest;

import io.hookrelay.store.Ids;
import io.hookrelay.store.MessageRepository;
import io.hookrelay.store.MessageRepository.ExistingMessage;
import io.hookrelay.store.MessageRepository.NewDelivery;
import io.hookrelay.store.MessageRepository.NewMessage;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Gathers the ingest requests that arrive on one event loop within a millisecond or so and stores them in one
 * transaction, so that PostgreSQL commits thousands of webhooks per second instead of one per round trip. Each
 * request's future completes only after the commit: a 202 always means stored.
 *
 * <p>Not thread-safe by design: one batcher per verticle instance, used from that instance's event loop.
 */
public final class IngestBatcher {
  private final Vertx vertx;
  private final MessageRepository messages;
  private final int maxBatch;
  private final long delayMs;
  private final Consumer<List<IngestOutcome.Delivery>> afterCommit;
  private List<Pending> queue = new ArrayList<>();
  private boolean flushScheduled;

  /**
   * @param afterCommit receives the pending deliveries of each committed batch (to be put on the Redis queue)
   */
  public IngestBatcher(Vertx vertx, MessageRepository messages, int maxBatch, long delayMs,
      Consumer<List<IngestOutcome.Delivery>> afterCommit) {
    this.vertx = vertx;
    this.messages = messages;
    this.maxBatch = maxBatch;
    this.delayMs = delayMs;
    this.afterCommit = afterCommit;
  }

  private record Pending(IngestCommand command, NewMessage message, Promise<IngestOutcome> promise) {}

  public Future<IngestOutcome> submit(IngestCommand command) {
    UUID messageId = Ids.newId();
    List<NewDelivery> deliveries = new ArrayList<>(command.targets().size());
    for (IngestCommand.Target t : command.targets()) {
      deliveries.add(new NewDelivery(Ids.newId(), t.subscriptionId(), t.status(), t.orderingKey()));
    }
    NewMessage message = new NewMessage(messageId, command.tenantId(), command.eventType(), command.payload(),
        command.idempotencyKey() == null ? null : sha256(command.payload().getBytes()), command.scope(),
        command.idempotencyKey(), deliveries, command.traceContext());
    Promise<IngestOutcome> promise = Promise.promise();
    queue.add(new Pending(command, message, promise));
    if (queue.size() >= maxBatch) {
      flush();
    } else if (!flushScheduled) {
      flushScheduled = true;
      if (delayMs <= 0) {
        vertx.runOnContext(v -> flush());
      } else {
        vertx.setTimer(delayMs, id -> flush());
      }
    }
    return promise.future();
  }

  private void flush() {
    flushScheduled = false;
    if (queue.isEmpty()) {
      return;
    }
    List<Pending> batch = queue;
    queue = new ArrayList<>();
    store(batch);
  }

  private void store(List<Pending> batch) {
    // Requests repeating a key already in this batch wait for the first one instead of racing it.
    Map<String, Pending> leaders = new HashMap<>();
    Map<Pending, List<Pending>> followers = new HashMap<>();
    List<Pending> toInsert = new ArrayList<>(batch.size());
    for (Pending p : batch) {
      String key = p.message().key();
      if (key == null) {
        toInsert.add(p);
        continue;
      }
      String k = MessageRepository.keyOf(p.message().scope(), key);
      Pending leader = leaders.putIfAbsent(k, p);
      if (leader == null) {
        toInsert.add(p);
      } else {
        followers.computeIfAbsent(leader, x -> new ArrayList<>()).add(p);
      }
    }
    // A stable order of keys across concurrent batches avoids deadlocks on the unique index.
    toInsert.sort(Comparator.comparing((Pending p) -> p.message().key() == null ? "" : p.message().key()));
    List<NewMessage> rows = toInsert.stream().map(Pending::message).toList();
    messages.insertBatch(rows).onComplete(ar -> {
      if (ar.failed()) {
        if (isForeignKeyViolation(ar.cause()) && batch.size() > 1) {
          // A subscription was deleted while its webhook was in the batch: store the others one by one.
          batch.forEach(p -> store(List.of(p)));
          return;
        }
        for (Pending p : batch) {
          p.promise().fail(isForeignKeyViolation(ar.cause()) ? new SubscriptionGoneException() : ar.cause());
        }
        return;
      }
      Map<String, ExistingMessage> clashes = ar.result();
      List<IngestOutcome.Delivery> toEnqueue = new ArrayList<>();
      List<String> auditActions = new ArrayList<>();
      List<UUID> auditMessages = new ArrayList<>();
      List<JsonObject> auditDetails = new ArrayList<>();
      List<String> auditActors = new ArrayList<>();
      List<UUID> auditTenants = new ArrayList<>();
      for (Pending p : toInsert) {
        NewMessage m = p.message();
        ExistingMessage existing = m.key() == null ? null : clashes.get(MessageRepository.keyOf(m.scope(), m.key()));
        IngestOutcome outcome;
        if (existing == null) {
          outcome = new IngestOutcome(IngestOutcome.Kind.CREATED, m.id(), deliveries(m.deliveries()));
          for (IngestOutcome.Delivery d : outcome.deliveries()) {
            if ("pending".equals(d.status())) {
              toEnqueue.add(d);
            }
          }
        } else {
          outcome = compare(m, existing);
          auditActions.add(outcome.kind() == IngestOutcome.Kind.DUPLICATE ? "event_deduplicated" : "idempotency_conflict");
          auditMessages.add(existing.id());
          auditDetails.add(new JsonObject().put("idempotency_key", m.key()).put("scope", m.scope()));
          auditActors.add(p.command().actor());
          auditTenants.add(m.tenantId());
        }
        p.promise().complete(outcome);
        for (Pending f : followers.getOrDefault(p, List.of())) {
          IngestOutcome fo = existing != null
              ? compare(f.message(), existing)
              : Arrays.equals(f.message().sha256(), m.sha256())
                  ? new IngestOutcome(IngestOutcome.Kind.DUPLICATE, m.id(), outcome.deliveries())
                  : new IngestOutcome(IngestOutcome.Kind.CONFLICT, m.id(), outcome.deliveries());
          auditActions.add(fo.kind() == IngestOutcome.Kind.DUPLICATE ? "event_deduplicated" : "idempotency_conflict");
          auditMessages.add(fo.messageId());
          auditDetails.add(new JsonObject().put("idempotency_key", f.message().key()).put("scope", f.message().scope()));
          auditActors.add(f.command().actor());
          auditTenants.add(f.message().tenantId());
          f.promise().complete(fo);
        }
      }
      if (!toEnqueue.isEmpty()) {
        afterCommit.accept(toEnqueue);
      }
      messages.auditIdempotency(auditActions, auditMessages, auditDetails, auditActors, auditTenants);
    });
  }

  private static IngestOutcome compare(NewMessage m, ExistingMessage existing) {
    IngestOutcome.Kind kind = Arrays.equals(m.sha256(), existing.sha256())
        ? IngestOutcome.Kind.DUPLICATE
        : IngestOutcome.Kind.CONFLICT;
    return new IngestOutcome(kind, existing.id(), deliveries(existing.deliveries()));
  }

  private static List<IngestOutcome.Delivery> deliveries(List<NewDelivery> list) {
    List<IngestOutcome.Delivery> out = new ArrayList<>(list.size());
    for (NewDelivery d : list) {
      out.add(new IngestOutcome.Delivery(d.id(), d.subscriptionId(), d.status()));
    }
    return out;
  }

  private static boolean isForeignKeyViolation(Throwable t) {
    return t instanceof PgException pg && "23503".equals(pg.getSqlState());
  }

  static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The subscription vanished between lookup and commit. */
  public static final class SubscriptionGoneException extends RuntimeException {
    public SubscriptionGoneException() {
      super("subscription deleted while the webhook was being stored", null, false, false);
    }
  }
}
