package io.hookrelay.ingest;

import io.hookrelay.store.Batcher;
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
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Gathers the ingest requests that arrive on one event loop and stores them in one transaction, so that PostgreSQL
 * commits thousands of webhooks per second instead of one per round trip. It is a group commit ({@link Batcher}):
 * while one insert is on its way, the requests that arrive meanwhile gather and go together when it is answered, so
 * a batch grows with the load. Each request's future completes only after the commit: a 202 always means stored.
 *
 * <p>Not thread-safe by design: one batcher per verticle instance, used from that instance's event loop.
 */
public final class IngestBatcher {
  private final MessageRepository messages;
  private final Consumer<List<IngestOutcome.Delivery>> afterCommit;
  private final Batcher<Pending, Void> batcher;

  /**
   * @param delayMs how long requests gather when no insert is under way
   * @param afterCommit receives the pending deliveries of each committed batch (to be put on the Redis queue)
   */
  public IngestBatcher(Vertx vertx, MessageRepository messages, int maxBatch, long delayMs,
      Consumer<List<IngestOutcome.Delivery>> afterCommit) {
    this.messages = messages;
    this.afterCommit = afterCommit;
    this.batcher = new Batcher<>(vertx, maxBatch, delayMs,
        batch -> store(batch).map(v -> Collections.nCopies(batch.size(), null)));
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
    batcher.add(new Pending(command, message, promise));
    return promise.future();
  }

  /** Stores a batch; completes, never failing, once every request in it has its answer. */
  private Future<Void> store(List<Pending> batch) {
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
    return messages.insertBatch(rows).transform(ar -> {
      if (ar.failed()) {
        if (isForeignKeyViolation(ar.cause()) && batch.size() > 1) {
          // A subscription was deleted while its webhook was in the batch: store the others one by one.
          return Future.join(batch.stream().map(p -> store(List.of(p))).toList()).<Void>mapEmpty();
        }
        for (Pending p : batch) {
          p.promise().fail(isForeignKeyViolation(ar.cause()) ? new SubscriptionGoneException() : ar.cause());
        }
        return Future.succeededFuture();
      }
      Map<String, ExistingMessage> clashes = ar.result().clashes();
      java.util.Set<UUID> heldBack = ar.result().heldBack();
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
            if ("pending".equals(d.status()) && !heldBack.contains(d.webhookId())) {
              toEnqueue.add(d); // one held back behind an earlier one of its ordering key is queued as that one ends
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
      return Future.succeededFuture();
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
