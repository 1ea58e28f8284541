package io.hookrelay.store;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Messages and their deliveries, written by ingest: a whole micro-batch of requests in one transaction of two
 * multi-row inserts, with idempotency keys resolved by the unique index.
 */
public final class MessageRepository {
  // One statement, so one round trip and an implicit transaction: deliveries are inserted only for the messages
  // that were (those whose idempotency key was new), by joining on what the first insert returned.
  // The pending deliveries just inserted (CTE d) are open until they end.
  private static final String OPEN = "o AS (INSERT INTO deliveries_open (delivery_id, due_at) "
      + "SELECT id, now() FROM d WHERE status = 'pending') ";
  private static final String INSERT_BATCH = "WITH m AS (INSERT INTO messages "
      + "(id, event_type, payload, payload_sha256, idempotency_scope, idempotency_key, trace_context, tenant_id) "
      + "SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::bytea[], $5::text[], $6::text[], $12::text[], "
      + "$13::uuid[]) ON CONFLICT (idempotency_scope, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING "
      + "RETURNING id, tenant_id), "
      + "d AS (INSERT INTO deliveries (id, message_id, subscription_id, event_type, status, next_attempt_at, tenant_id) "
      + "SELECT d.id, d.message_id, d.subscription_id, d.event_type, d.status, "
      + "CASE WHEN d.status = 'pending' THEN now() END, m.tenant_id "
      + "FROM unnest($7::uuid[], $8::uuid[], $9::uuid[], $10::text[], $11::text[]) "
      + "AS d(id, message_id, subscription_id, event_type, status) JOIN m ON m.id = d.message_id "
      + "RETURNING id, status), " + OPEN
      + "SELECT id FROM m";
  // The same for a batch in which some deliveries are ordered: each takes the next number of its (subscription,
  // key) counter. The upsert locks the counter rows in a fixed order (no deadlock between batches) until commit, so
  // an ingest of the same key that starts later waits, and numbers follow commit order.
  private static final String INSERT_BATCH_ORDERED = "WITH m AS (INSERT INTO messages "
      + "(id, event_type, payload, payload_sha256, idempotency_scope, idempotency_key, trace_context, tenant_id) "
      + "SELECT * FROM unnest($1::uuid[], $2::text[], $3::bytea[], $4::bytea[], $5::text[], $6::text[], $12::text[], "
      + "$13::uuid[]) ON CONFLICT (idempotency_scope, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING "
      + "RETURNING id, tenant_id), "
      + "i AS (SELECT d.*, m.tenant_id, row_number() OVER (PARTITION BY d.subscription_id, d.okey ORDER BY d.n) AS rn, "
      + "count(*) OVER (PARTITION BY d.subscription_id, d.okey) AS cnt "
      + "FROM unnest($7::uuid[], $8::uuid[], $9::uuid[], $10::text[], $11::text[], $14::text[]) WITH ORDINALITY "
      + "AS d(id, message_id, subscription_id, event_type, status, okey, n) JOIN m ON m.id = d.message_id), "
      + "k AS (INSERT INTO ordering_keys (subscription_id, key, last_seq) "
      + "SELECT subscription_id, okey, count(*) FROM i WHERE okey IS NOT NULL GROUP BY subscription_id, okey "
      + "ORDER BY subscription_id, okey "
      + "ON CONFLICT (subscription_id, key) DO UPDATE SET last_seq = ordering_keys.last_seq + EXCLUDED.last_seq "
      + "RETURNING subscription_id, key, last_seq), "
      + "d AS (INSERT INTO deliveries (id, message_id, subscription_id, event_type, status, next_attempt_at, "
      + "ordering_key, ordering_seq, tenant_id) "
      + "SELECT i.id, i.message_id, i.subscription_id, i.event_type, i.status, "
      + "CASE WHEN i.status = 'pending' THEN now() END, i.okey, k.last_seq - i.cnt + i.rn, i.tenant_id "
      + "FROM i LEFT JOIN k ON k.subscription_id = i.subscription_id AND k.key = i.okey RETURNING id, status), "
      + OPEN + ", "
      // held back: an ordered delivery whose predecessor is still open, here (in this batch) or in the table; it is
      // queued when that one ends, not now, so the queue holds only deliveries that can go
      + "h AS (SELECT i.id FROM i JOIN k ON k.subscription_id = i.subscription_id AND k.key = i.okey "
      + "WHERE i.rn > 1 OR EXISTS (SELECT 1 FROM deliveries p WHERE p.subscription_id = i.subscription_id "
      + "AND p.ordering_key = i.okey AND p.ordering_seq = k.last_seq - i.cnt AND " + DeliveryRepository.OPEN + ")) "
      + "SELECT id, false AS held_back FROM m UNION ALL SELECT id, true FROM h";
  private static final String FIND_BY_KEY = "SELECT m.id, m.payload_sha256, m.idempotency_scope, m.idempotency_key, "
      + "d.id AS delivery_id, d.subscription_id, d.status FROM messages m "
      + "LEFT JOIN deliveries d ON d.message_id = m.id "
      + "WHERE (m.idempotency_scope, m.idempotency_key) IN (SELECT * FROM unnest($1::text[], $2::text[])) "
      + "ORDER BY d.id";

  private final Pool pool;

  public MessageRepository(Pool pool) {
    this.pool = pool;
  }

  /**
   * One message to store, with the deliveries it fans out to (all of the message's tenant) and its ingest span's
   * traceparent (or null).
   */
  public record NewMessage(UUID id, UUID tenantId, String eventType, Buffer payload, byte[] sha256, String scope, String key,
      List<NewDelivery> deliveries, String traceContext) {}

  /** A delivery of a new message; {@code orderingKey} is null unless its subscription delivers in order. */
  public record NewDelivery(UUID id, UUID subscriptionId, String status, String orderingKey) {}

  /** The message an idempotency key already names: its payload digest and its deliveries. */
  public record ExistingMessage(UUID id, byte[] sha256, List<NewDelivery> deliveries) {}

  /**
   * Stores the batch in one statement. Messages whose idempotency key already exists are not stored; the result
   * maps their (scope, key) to the message that holds it.
   */
  /**
   * What storing a batch found: the (scope, key) of messages whose idempotency key was taken, with the message that
   * holds it; and the ordered deliveries held back behind an earlier one of their key, not to be queued yet.
   */
  public record Inserted(Map<String, ExistingMessage> clashes, Set<UUID> heldBack) {}

  public Future<Inserted> insertBatch(List<NewMessage> batch) {
    int n = batch.size();
    UUID[] ids = new UUID[n];
    String[] types = new String[n];
    Buffer[] payloads = new Buffer[n];
    Buffer[] digests = new Buffer[n];
    String[] scopes = new String[n];
    String[] keys = new String[n];
    String[] traceContexts = new String[n];
    UUID[] tenants = new UUID[n];
    int deliveryCount = 0;
    for (int i = 0; i < n; i++) {
      NewMessage m = batch.get(i);
      ids[i] = m.id();
      types[i] = m.eventType();
      payloads[i] = m.payload();
      digests[i] = m.sha256() == null ? null : Buffer.buffer(m.sha256());
      scopes[i] = m.key() == null ? null : m.scope();
      keys[i] = m.key();
      traceContexts[i] = m.traceContext();
      tenants[i] = m.tenantId();
      deliveryCount += m.deliveries().size();
    }
    UUID[] deliveryIds = new UUID[deliveryCount];
    UUID[] messageIds = new UUID[deliveryCount];
    UUID[] subscriptionIds = new UUID[deliveryCount];
    String[] deliveryTypes = new String[deliveryCount];
    String[] statuses = new String[deliveryCount];
    String[] orderingKeys = new String[deliveryCount];
    boolean ordered = false;
    int j = 0;
    for (NewMessage m : batch) {
      for (NewDelivery d : m.deliveries()) {
        deliveryIds[j] = d.id();
        messageIds[j] = m.id();
        subscriptionIds[j] = d.subscriptionId();
        deliveryTypes[j] = m.eventType();
        statuses[j] = d.status();
        orderingKeys[j] = d.orderingKey();
        ordered |= d.orderingKey() != null;
        j++;
      }
    }
    Tuple args = Tuple.tuple().addArrayOfUUID(ids).addArrayOfString(types).addArrayOfBuffer(payloads)
        .addArrayOfBuffer(digests).addArrayOfString(scopes).addArrayOfString(keys).addArrayOfUUID(deliveryIds)
        .addArrayOfUUID(messageIds).addArrayOfUUID(subscriptionIds).addArrayOfString(deliveryTypes)
        .addArrayOfString(statuses).addArrayOfString(traceContexts).addArrayOfUUID(tenants);
    boolean anyOrdered = ordered;
    if (anyOrdered) {
      args.addArrayOfString(orderingKeys);
    }
    return pool.preparedQuery(anyOrdered ? INSERT_BATCH_ORDERED : INSERT_BATCH).execute(args).compose(rows -> {
      Set<UUID> inserted = new HashSet<>(rows.size() * 2);
      Set<UUID> heldBack = new HashSet<>();
      for (Row r : rows) {
        if (anyOrdered && Boolean.TRUE.equals(r.getBoolean(1))) {
          heldBack.add(r.getUUID(0));
        } else {
          inserted.add(r.getUUID(0));
        }
      }
      if (inserted.size() == n) {
        return Future.succeededFuture(new Inserted(Map.of(), heldBack));
      }
      List<NewMessage> clashed = new ArrayList<>();
      for (NewMessage m : batch) {
        if (!inserted.contains(m.id())) {
          clashed.add(m);
        }
      }
      return pool.withConnection(c -> findByKeys(c, clashed)).map(clashes -> new Inserted(clashes, heldBack));
    });
  }

  private static Future<Map<String, ExistingMessage>> findByKeys(SqlConnection tx, List<NewMessage> clashed) {
    String[] scopes = clashed.stream().map(NewMessage::scope).toArray(String[]::new);
    String[] keys = clashed.stream().map(NewMessage::key).toArray(String[]::new);
    // Not Tuple.of(scopes, keys): javac picks of(Object, Object...) for a String[] second argument and spreads it.
    Tuple args = Tuple.tuple().addArrayOfString(scopes).addArrayOfString(keys);
    return tx.preparedQuery(FIND_BY_KEY).execute(args).map(rows -> {
      Map<String, UUID> messageIds = new HashMap<>();
      Map<UUID, byte[]> digests = new HashMap<>();
      Map<UUID, List<NewDelivery>> deliveries = new HashMap<>();
      for (Row r : rows) {
        UUID id = r.getUUID("id");
        messageIds.put(keyOf(r.getString("idempotency_scope"), r.getString("idempotency_key")), id);
        digests.put(id, r.getBuffer("payload_sha256").getBytes());
        List<NewDelivery> list = deliveries.computeIfAbsent(id, k -> new ArrayList<>());
        if (r.getUUID("delivery_id") != null) {
          list.add(new NewDelivery(r.getUUID("delivery_id"), r.getUUID("subscription_id"), r.getString("status"),
              null));
        }
      }
      Map<String, ExistingMessage> out = new HashMap<>();
      messageIds.forEach((k, id) -> out.put(k, new ExistingMessage(id, digests.get(id), deliveries.get(id))));
      return out;
    });
  }

  public static String keyOf(String scope, String key) {
    return scope + "\u0000" + key;
  }

  /** Audit rows for duplicate and conflicting ingests (who sent them, for which tenant), in one statement. */
  public Future<Void> auditIdempotency(List<String> actions, List<UUID> messageIds, List<JsonObject> details,
      List<String> actors, List<UUID> tenants) {
    if (actions.isEmpty()) {
      return Future.succeededFuture();
    }
    return pool.preparedQuery("INSERT INTO audit_log (action, message_id, details, actor, tenant_id) "
            + "SELECT * FROM unnest($1::text[], $2::uuid[], $3::jsonb[], $4::text[], $5::uuid[])")
        .execute(Tuple.tuple().addArrayOfString(actions.toArray(String[]::new))
            .addArrayOfUUID(messageIds.toArray(UUID[]::new)).addArrayOfJsonObject(details.toArray(JsonObject[]::new))
            .addArrayOfString(actors.toArray(String[]::new)).addArrayOfUUID(tenants.toArray(UUID[]::new)))
        .mapEmpty();
  }
}
