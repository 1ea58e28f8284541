package io.hookrelay.store;

import io.hookrelay.tenant.Scope;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Deliveries and their attempts: the claim that makes one worker own an attempt, the batched record of attempt
 * outcomes (with the circuit breaker's counters), and the views behind /status and attempt history.
 */
public final class DeliveryRepository {
  /**
   * True for a delivery {@code p} that still holds the next one of its key back: it has not ended, or it failed for
   * good under 'block' and was not dismissed. Looking at the predecessor alone is enough: it can only have ended
   * once it was claimed, which needed its own predecessor ended (filtered deliveries take no place in a key).
   */
  public static final String OPEN = "p.status NOT IN ('succeeded', 'filtered') AND NOT (p.status = 'failed' "
      + "AND (p.dismissed_at IS NOT NULL OR (SELECT s.ordering_on_failure FROM subscriptions s "
      + "WHERE s.id = p.subscription_id) = 'skip'))";
  /**
   * True for a delivery {@code d} that no earlier delivery of its ordering key holds back: one that has not ended,
   * or failed for good and holds the key ('block', not dismissed). Unordered deliveries are never held back.
   */
  public static final String NOT_HELD_BACK = "(d.ordering_seq IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries p "
      + "WHERE p.subscription_id = d.subscription_id AND p.ordering_key = d.ordering_key "
      + "AND p.ordering_seq = d.ordering_seq - 1 AND " + OPEN + " OFFSET 0))";
  // Written so that every plan, generic ones included, looks each id up by the primary key, whatever the table's
  // statistics say. The ids are joined from unnest, and the status test is a CASE, which no index answers: with
  // "d.id = ANY($1)" and "d.status = 'pending' OR ...", the planner drove the claim from deliveries_due, scanning
  // every 'pending' and 'delivering' entry (dead ones included) to claim 3 rows, and a generic plan made while the
  // table was small kept doing so as it grew (pg_stat_statements and wait sampling in bench/run's tenants scenario).
  // OFFSET 0 keeps the predecessor check a probe of deliveries_ordering instead of a hashed scan of the table.
  static final String CLAIM = "UPDATE deliveries d SET status = 'delivering', "
      + "lease_until = now() + make_interval(secs => $2), updated_at = now() "
      + "FROM (SELECT DISTINCT unnest($1::uuid[]) AS id) c, messages m WHERE d.id = c.id AND m.id = d.message_id "
      + "AND CASE d.status WHEN 'pending' THEN true "
      + "WHEN 'retrying' THEN d.next_attempt_at <= now() + interval '2 seconds' "
      + "WHEN 'delivering' THEN d.lease_until < now() ELSE false END AND " + NOT_HELD_BACK + " "
      + "RETURNING d.id, d.subscription_id, d.attempt_count, d.event_type, d.created_at, m.payload, m.trace_context, "
      + "d.ordering_key, d.ordering_seq";
  // For each ordered delivery that ended, the next one of its key still to deliver: the claim held it back, so its
  // queue entry was dropped, and it is queued now.
  private static final String NEXT_IN_KEY = "SELECT DISTINCT ON (n.subscription_id, n.ordering_key) n.id, "
      + "n.subscription_id FROM unnest($1::uuid[], $2::text[], $3::bigint[]) AS f(subscription_id, key, seq) "
      + "JOIN deliveries n ON n.subscription_id = f.subscription_id AND n.ordering_key = f.key "
      + "AND n.ordering_seq = f.seq + 1 AND n.status IN ('pending', 'retrying') "
      + "ORDER BY n.subscription_id, n.ordering_key, n.ordering_seq";
  // One statement records a whole batch: attempt rows, delivery states and the subscriptions' failure counts (a
  // success resets the count, each delivery that ends failed adds one); it answers the counts it changed. An attempt
  // of a delivery deleted meanwhile (its subscription was) is not kept: a probe of the primary key, where a foreign
  // key's check also locked the delivery row, at twice the cost of the insert (V12).
  private static final String RECORD = "WITH a AS (INSERT INTO attempts (delivery_id, subscription_id, target_url, "
      + "attempt_number, started_at, duration_ms, outcome, status_code, error, response_body) "
      + "SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::timestamptz[], $6::int[], "
      + "$7::text[], $8::int[], $9::text[], $10::text[]) AS x(delivery_id, subscription_id, target_url, attempt_number, "
      + "started_at, duration_ms, outcome, status_code, error, response_body) "
      + "WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.id = x.delivery_id)), "
      + "u AS (UPDATE deliveries d SET status = u.status, attempt_count = u.attempt_number, next_attempt_at = u.next_at, "
      + "lease_until = NULL, last_attempt_at = u.started_at, last_status_code = u.status_code, last_error = u.error, "
      + "updated_at = now() "
      + "FROM unnest($1::uuid[], $11::text[], $4::int[], $12::timestamptz[], $5::timestamptz[], $8::int[], $9::text[]) "
      + "AS u(id, status, attempt_number, next_at, started_at, status_code, error) WHERE d.id = u.id), "
      // deliveries_open follows: a delivery that ended leaves it, a retry is looked at again from its next attempt
      + "e AS (DELETE FROM deliveries_open o USING unnest($1::uuid[], $11::text[]) AS e(id, status) "
      + "WHERE o.delivery_id = e.id AND e.status <> 'retrying'), "
      + "r AS (INSERT INTO deliveries_open (delivery_id, due_at) SELECT DISTINCT ON (r.id) r.id, r.next_at "
      + "FROM unnest($1::uuid[], $11::text[], $12::timestamptz[]) AS r(id, status, next_at) WHERE r.status = 'retrying' "
      + "AND EXISTS (SELECT 1 FROM deliveries d WHERE d.id = r.id) "
      + "ON CONFLICT (delivery_id) DO UPDATE SET due_at = EXCLUDED.due_at), "
      + "c AS (UPDATE subscriptions s SET consecutive_failures = "
      + "CASE WHEN c.reset THEN c.fails ELSE s.consecutive_failures + c.fails END "
      + "FROM unnest($13::uuid[], $14::bool[], $15::int[]) AS c(id, reset, fails) "
      + "WHERE s.id = c.id AND (c.fails > 0 OR s.consecutive_failures <> 0) "
      + "RETURNING s.id, s.consecutive_failures, s.status) "
      + "SELECT id, consecutive_failures, status FROM c";
  /**
   * A CTE that puts the deliveries of CTE {@code updated} (its {@code id} column), made due now, back into
   * deliveries_open, or moves their time there forward to now; to follow with the statement's final SELECT.
   */
  public static String reopen(String updated) {
    return "o AS (INSERT INTO deliveries_open (delivery_id, due_at) SELECT id, now() FROM " + updated + " "
        + "ON CONFLICT (delivery_id) DO UPDATE SET due_at = least(deliveries_open.due_at, EXCLUDED.due_at)) ";
  }

  private static final String ATTEMPT_COLUMNS = "delivery_id, subscription_id, target_url, attempt_number, started_at, "
      + "duration_ms, outcome, status_code, error, response_body";

  private final Pool pool;
  /** For claims, holds and releases: commits that need not wait for the disk (see {@link Database#leasePool}). */
  private final Pool leases;

  public DeliveryRepository(Pool pool) {
    this(pool, pool);
  }

  public DeliveryRepository(Pool pool, Pool leases) {
    this.pool = pool;
    this.leases = leases;
  }

  /**
   * A delivery this worker now owns until its lease lapses, with the payload to send and the traceparent of the
   * request that ingested it (null when it came in while tracing was off).
   */
  public record Claimed(UUID id, UUID subscriptionId, int attemptCount, String eventType, OffsetDateTime createdAt,
      Buffer payload, String traceContext, String orderingKey, Long orderingSeq) {}

  /**
   * The outcome of one attempt, and the state the delivery moves to; {@code ordering} is its place in its ordering
   * key, null when it has none.
   */
  public record AttemptRecord(UUID deliveryId, UUID subscriptionId, String targetUrl, int attemptNumber,
      OffsetDateTime startedAt, int durationMs, String outcome, Integer statusCode, String error, String responseBody,
      String newStatus, OffsetDateTime nextAttemptAt, boolean gone, KeyPosition ordering) {
    /** Whether the delivery ended with this attempt, so that the next one of its key may go. */
    public boolean endsOrderedDelivery() {
      return ordering != null && ("succeeded".equals(newStatus) || "failed".equals(newStatus));
    }
  }

  /** Claims the due deliveries among {@code ids}; the others are finished, owned by another worker, or not yet due. */
  public Future<List<Claimed>> claim(List<UUID> ids, Duration lease) {
    return leases.preparedQuery(CLAIM)
        .execute(Tuple.of(ids.toArray(UUID[]::new), lease.toMillis() / 1000.0))
        .map(rows -> {
          List<Claimed> out = new ArrayList<>(rows.size());
          for (Row r : rows) {
            out.add(new Claimed(r.getUUID("id"), r.getUUID("subscription_id"), r.getInteger("attempt_count"),
                r.getString("event_type"), r.getOffsetDateTime("created_at"), r.getBuffer("payload"),
                r.getString("trace_context"), r.getString("ordering_key"), r.getLong("ordering_seq")));
          }
          return out;
        });
  }

  /** A delivery's place in its ordering key. */
  public record KeyPosition(UUID subscriptionId, String key, long seq) {}

  /** The next delivery still to make after each of these positions, as (delivery id, subscription id) pairs. */
  public Future<List<UUID[]>> nextInKeys(List<KeyPosition> ended) {
    if (ended.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    Tuple args = Tuple.tuple()
        .addArrayOfUUID(ended.stream().map(KeyPosition::subscriptionId).toArray(UUID[]::new))
        .addArrayOfString(ended.stream().map(KeyPosition::key).toArray(String[]::new))
        .addArrayOfLong(ended.stream().map(KeyPosition::seq).toArray(Long[]::new));
    return pool.preparedQuery(NEXT_IN_KEY).execute(args).map(rows -> {
      List<UUID[]> out = new ArrayList<>(rows.size());
      rows.forEach(r -> out.add(new UUID[] {r.getUUID(0), r.getUUID(1)}));
      return out;
    });
  }

  /**
   * Dismisses a delivery that failed for good, so that it no longer holds its ordering key back. Answers its
   * position when it was dismissed just now, an empty Optional for a delivery that exists but did not fail, and
   * null for one that does not exist.
   */
  public Future<java.util.Optional<KeyPosition>> dismiss(Scope scope, UUID id) {
    return pool.preparedQuery("UPDATE deliveries SET dismissed_at = now(), updated_at = now() "
            + "WHERE id = $2 AND status = 'failed' AND dismissed_at IS NULL AND " + SubscriptionRepository.IN_SCOPE
            + " RETURNING subscription_id, ordering_key, ordering_seq, tenant_id")
        .execute(Tuple.of(scope.filter(), id))
        .compose(rows -> {
          if (rows.size() == 1) {
            Row r = rows.iterator().next();
            return Future.succeededFuture(java.util.Optional.of(new KeyPosition(r.getUUID(0), r.getString(1),
                r.getLong(2) == null ? Long.MAX_VALUE : r.getLong(2))));
          }
          return statusOf(scope, id).map(status -> status == null ? null : java.util.Optional.<KeyPosition>empty());
        });
  }

  /** Parks claimed deliveries of a disabled subscription until it is enabled again. */
  public Future<Void> hold(List<UUID> ids) {
    return leases.preparedQuery("WITH h AS (UPDATE deliveries SET status = 'held', lease_until = NULL, "
            + "updated_at = now() WHERE id = ANY($1) AND status = 'delivering' RETURNING id) "
            + "DELETE FROM deliveries_open WHERE delivery_id IN (SELECT id FROM h)")
        .execute(Tuple.of(ids.toArray(UUID[]::new)))
        .mapEmpty();
  }

  /** Gives claimed deliveries back without an attempt (shutdown, or no capacity), due again now. */
  public Future<Void> release(List<UUID> ids) {
    return leases.preparedQuery("UPDATE deliveries SET status = CASE WHEN attempt_count = 0 THEN 'pending' ELSE 'retrying' END, "
            + "next_attempt_at = now(), lease_until = NULL, updated_at = now() WHERE id = ANY($1) AND status = 'delivering'")
        .execute(Tuple.of(ids.toArray(UUID[]::new)))
        .mapEmpty();
  }

  /**
   * Records a batch of attempts in one statement: attempt rows, delivery states, and the subscriptions' consecutive
   * failures. Answers the subscriptions this batch disabled (circuit breaker or 410 Gone) with why.
   */
  public Future<Map<UUID, String>> record(List<AttemptRecord> batch, int breakerThreshold) {
    int n = batch.size();
    UUID[] deliveries = new UUID[n];
    UUID[] subscriptions = new UUID[n];
    String[] urls = new String[n];
    Integer[] numbers = new Integer[n];
    OffsetDateTime[] started = new OffsetDateTime[n];
    Integer[] durations = new Integer[n];
    String[] outcomes = new String[n];
    Integer[] codes = new Integer[n];
    String[] errors = new String[n];
    String[] bodies = new String[n];
    String[] statuses = new String[n];
    OffsetDateTime[] next = new OffsetDateTime[n];
    // Per subscription, in batch order: a success resets the count, each delivery that ends failed adds one.
    Map<UUID, int[]> counts = new LinkedHashMap<>();
    Map<UUID, String> toDisable = new LinkedHashMap<>();
    for (int i = 0; i < n; i++) {
      AttemptRecord a = batch.get(i);
      deliveries[i] = a.deliveryId();
      subscriptions[i] = a.subscriptionId();
      urls[i] = a.targetUrl();
      numbers[i] = a.attemptNumber();
      started[i] = a.startedAt();
      durations[i] = a.durationMs();
      outcomes[i] = a.outcome();
      codes[i] = a.statusCode();
      errors[i] = a.error();
      bodies[i] = a.responseBody();
      statuses[i] = a.newStatus();
      next[i] = a.nextAttemptAt();
      if (a.gone()) {
        toDisable.put(a.subscriptionId(), "target answered 410 Gone");
      }
      boolean success = "succeeded".equals(a.newStatus());
      if (success || "failed".equals(a.newStatus())) {
        int[] c = counts.computeIfAbsent(a.subscriptionId(), k -> new int[2]);
        if (success) {
          c[0] = 1;
          c[1] = 0;
        } else {
          c[1]++;
        }
      }
    }
    UUID[] counted = counts.keySet().toArray(UUID[]::new);
    Boolean[] resets = new Boolean[counted.length];
    Integer[] fails = new Integer[counted.length];
    for (int i = 0; i < counted.length; i++) {
      int[] c = counts.get(counted[i]);
      resets[i] = c[0] == 1;
      fails[i] = c[1];
    }
    Tuple args = Tuple.tuple().addArrayOfUUID(deliveries).addArrayOfUUID(subscriptions).addArrayOfString(urls)
        .addArrayOfInteger(numbers).addArrayOfOffsetDateTime(started).addArrayOfInteger(durations)
        .addArrayOfString(outcomes).addArrayOfInteger(codes).addArrayOfString(errors).addArrayOfString(bodies)
        .addArrayOfString(statuses).addArrayOfOffsetDateTime(next)
        .addArrayOfUUID(counted).addArrayOfBoolean(resets).addArrayOfInteger(fails);
    return pool.preparedQuery(RECORD).execute(args).compose(rows -> {
      for (Row r : rows) {
        int failures = r.getInteger("consecutive_failures");
        if (breakerThreshold > 0 && failures >= breakerThreshold && "enabled".equals(r.getString("status"))) {
          toDisable.putIfAbsent(r.getUUID("id"), "circuit breaker: " + failures + " deliveries in a row failed");
        }
      }
      return toDisable.isEmpty() ? Future.succeededFuture(Map.<UUID, String>of()) : disable(toDisable);
    });
  }

  /** Disables subscriptions (rare: circuit breaker, 410); answers those this call disabled, with why. */
  private Future<Map<UUID, String>> disable(Map<UUID, String> reasons) {
    return pool.withTransaction(tx -> {
      Map<UUID, String> disabled = new HashMap<>();
      Future<Void> chain = Future.succeededFuture();
      for (Map.Entry<UUID, String> e : reasons.entrySet()) {
        chain = chain.compose(x -> SubscriptionRepository.disable(tx, e.getKey(), e.getValue()).map(did -> {
          if (did) {
            disabled.put(e.getKey(), e.getValue());
          }
          return null;
        }));
      }
      return chain.map(disabled);
    });
  }

  /** Every status a delivery can have, as stored. */
  public static final List<String> STATUSES = List.of("pending", "delivering", "retrying", "succeeded", "failed",
      "filtered", "held");

  /** What /deliveries may filter on; null fields do not filter. */
  public record ListFilter(String status, UUID subscriptionId, String eventType, OffsetDateTime since) {}

  /** A page of deliveries, newest first; {@code last*} name the last row, from which the next page starts. */
  public record Page(JsonArray data, boolean more, OffsetDateTime lastCreatedAt, UUID lastId) {}

  /**
   * Deliveries newest first, keyset-paginated on (created_at, id): the page after ({@code afterCreatedAt},
   * {@code afterId}) when given. Only the filters in use go into the SQL, so the planner can pick the index. Every
   * tenant's: from deliveries_recent. One tenant's: the newest of each of its subscriptions from
   * deliveries_subscription, merged; no index of deliveries leads with the tenant, as one would take an insert into
   * one of thousands of leaves per webhook when there are many tenants (BENCHMARKS.md, Tenants).
   */
  public Future<Page> list(Scope scope, ListFilter filter, OffsetDateTime afterCreatedAt, UUID afterId, int limit) {
    String columns = "id, subscription_id, event_type, status, attempt_count, next_attempt_at, last_attempt_at, "
        + "last_status_code, last_error, created_at, updated_at, tenant_id";
    List<Object> args = new ArrayList<>();
    List<String> where = new ArrayList<>();
    args.add(scope.filter());
    if (scope.filter() == null) {
      where.add(SubscriptionRepository.IN_SCOPE);
    }
    if (filter.status() != null) {
      args.add(filter.status());
      where.add("status = $" + args.size());
    }
    if (filter.subscriptionId() != null) {
      args.add(filter.subscriptionId());
      where.add("subscription_id = $" + args.size());
    }
    if (filter.eventType() != null) {
      args.add(filter.eventType());
      where.add("event_type = $" + args.size());
    }
    if (filter.since() != null) {
      args.add(filter.since());
      where.add("created_at >= $" + args.size());
    }
    if (afterCreatedAt != null) {
      args.add(afterCreatedAt);
      args.add(afterId);
      where.add("(created_at, id) < ($" + (args.size() - 1) + ", $" + args.size() + ")");
    }
    args.add(limit + 1);
    String newest = " ORDER BY created_at DESC, id DESC LIMIT $" + args.size();
    String sql;
    if (scope.filter() == null) {
      sql = "SELECT " + columns + " FROM deliveries WHERE " + String.join(" AND ", where) + newest;
    } else {
      where.add(0, "subscription_id = s.id");
      sql = "SELECT d.* FROM subscriptions s CROSS JOIN LATERAL (SELECT " + columns + " FROM deliveries WHERE "
          + String.join(" AND ", where) + newest + ") d WHERE s.tenant_id = $1 "
          + "AND EXISTS (SELECT 1 FROM tenants t WHERE t.id = $1 AND t.status = 'active') "
          + "ORDER BY d.created_at DESC, d.id DESC LIMIT $" + args.size();
    }
    Tuple tuple = Tuple.tuple();
    args.forEach(tuple::addValue);
    return pool.preparedQuery(sql).execute(tuple).map(rows -> {
      JsonArray data = new JsonArray();
      OffsetDateTime lastCreatedAt = null;
      UUID lastId = null;
      boolean more = false;
      for (Row d : rows) {
        if (data.size() == limit) {
          more = true;
          break;
        }
        String status = d.getString("status");
        lastCreatedAt = d.getOffsetDateTime("created_at");
        lastId = d.getUUID("id");
        data.add(new JsonObject()
            .put("webhook_id", lastId.toString())
            .put("tenant_id", d.getUUID("tenant_id").toString())
            .put("subscription_id", d.getUUID("subscription_id").toString())
            .put("event_type", d.getString("event_type"))
            .put("status", status)
            .put("total_attempts", d.getInteger("attempt_count"))
            .put("last_attempt_at", Times.iso(d.getOffsetDateTime("last_attempt_at")))
            .put("last_status_code", d.getInteger("last_status_code"))
            .put("last_error", d.getString("last_error"))
            .put("next_retry_at", "retrying".equals(status) ? Times.iso(d.getOffsetDateTime("next_attempt_at")) : null)
            .put("created_at", Times.iso(lastCreatedAt))
            .put("updated_at", Times.iso(d.getOffsetDateTime("updated_at"))));
      }
      return new Page(data, more, lastCreatedAt, lastId);
    });
  }

  /** How many deliveries are in each status (every status present, zero when none). */
  public Future<JsonObject> countByStatus(Scope scope) {
    // One tenant's through its subscriptions, from deliveries_subscription (see list)
    String sql = scope.filter() == null
        ? "SELECT status, count(*) FROM deliveries WHERE " + SubscriptionRepository.IN_SCOPE + " GROUP BY status"
        : "SELECT status, count(*) FROM deliveries WHERE subscription_id IN (SELECT id FROM subscriptions "
            + "WHERE tenant_id = $1) AND EXISTS (SELECT 1 FROM tenants WHERE id = $1 AND status = 'active') "
            + "GROUP BY status";
    return pool.preparedQuery(sql).execute(Tuple.of(scope.filter())).map(rows -> {
      JsonObject out = new JsonObject();
      STATUSES.forEach(s -> out.put(s, 0L));
      rows.forEach(r -> out.put(r.getString(0), r.getLong(1)));
      return out;
    });
  }

  /** A manual retry: the delivery is due again now, whatever its state but delivering; null when unknown. */
  public Future<UUID> retryNow(Scope scope, UUID deliveryId) {
    return pool.withTransaction(tx -> tx.preparedQuery("WITH u AS (UPDATE deliveries SET status = CASE "
                + "WHEN attempt_count = 0 THEN 'pending' ELSE 'retrying' END, next_attempt_at = now(), "
                + "updated_at = now() WHERE id = $2 AND status <> 'delivering' AND " + SubscriptionRepository.IN_SCOPE
                + " RETURNING id, subscription_id, message_id, tenant_id), " + reopen("u")
                + "SELECT subscription_id, message_id, tenant_id FROM u")
            .execute(Tuple.of(scope.filter(), deliveryId))
            .compose(rows -> {
              if (rows.size() == 0) {
                return Future.succeededFuture(null);
              }
              Row r = rows.iterator().next();
              return new AuditRepository().record(tx, scope, r.getUUID(2), "manual_retry", r.getUUID(0), deliveryId,
                  r.getUUID(1), new JsonObject()).map(r.getUUID(0));
            }));
  }

  /** Whether a delivery exists, and whether it is being attempted right now. */
  public Future<String> statusOf(Scope scope, UUID deliveryId) {
    return pool.preparedQuery("SELECT status FROM deliveries WHERE id = $2 AND " + SubscriptionRepository.IN_SCOPE)
        .execute(Tuple.of(scope.filter(), deliveryId))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getString(0));
  }

  /** Failed deliveries of a subscription since a time become due again; answers their ids. */
  public Future<List<UUID>> recoverFailed(Scope scope, UUID subscriptionId, OffsetDateTime since) {
    return pool.withTransaction(tx -> tx.preparedQuery("WITH u AS (UPDATE deliveries SET status = 'retrying', "
                + "next_attempt_at = now(), updated_at = now() WHERE subscription_id = $2 AND status = 'failed' "
                + "AND created_at >= $3 AND " + SubscriptionRepository.IN_SCOPE + " RETURNING id, tenant_id), "
                + reopen("u") + "SELECT id, tenant_id FROM u")
            .execute(Tuple.of(scope.filter(), subscriptionId, since))
            .compose(rows -> {
              List<UUID> ids = new ArrayList<>();
              rows.forEach(r -> ids.add(r.getUUID(0)));
              UUID tenant = rows.size() == 0 ? scope.home() : rows.iterator().next().getUUID(1);
              return new AuditRepository().record(tx, scope, tenant, "subscription_recovered", subscriptionId,
                  null, null,
                  new JsonObject().put("since", Times.iso(since)).put("deliveries", ids.size())).map(ids);
            }));
  }

  /** The /status view of one webhook: the delivery, its message's event type and its latest attempts. */
  public Future<JsonObject> status(Scope scope, UUID deliveryId, int recentAttempts) {
    return pool.preparedQuery("SELECT id, subscription_id, event_type, status, attempt_count, next_attempt_at, "
            + "last_attempt_at, last_status_code, last_error, created_at, updated_at, tenant_id FROM deliveries "
            + "WHERE id = $2 AND " + SubscriptionRepository.IN_SCOPE)
        .execute(Tuple.of(scope.filter(), deliveryId))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture(null);
          }
          Row d = rows.iterator().next();
          String status = d.getString("status");
          JsonObject out = new JsonObject()
              .put("webhook_id", d.getUUID("id").toString())
              .put("tenant_id", d.getUUID("tenant_id").toString())
              .put("subscription_id", d.getUUID("subscription_id").toString())
              .put("event_type", d.getString("event_type"))
              .put("status", status)
              .put("final_outcome", switch (status) {
                case "succeeded" -> "Success";
                case "failed" -> "Failure";
                default -> null;
              })
              .put("total_attempts", d.getInteger("attempt_count"))
              .put("last_attempt_at", Times.iso(d.getOffsetDateTime("last_attempt_at")))
              .put("last_status_code", d.getInteger("last_status_code"))
              .put("last_error", d.getString("last_error"))
              .put("next_retry_at", "retrying".equals(status) ? Times.iso(d.getOffsetDateTime("next_attempt_at")) : null)
              .put("created_at", Times.iso(d.getOffsetDateTime("created_at")))
              .put("updated_at", Times.iso(d.getOffsetDateTime("updated_at")));
          return pool.preparedQuery("SELECT " + ATTEMPT_COLUMNS + " FROM attempts WHERE delivery_id = $1 "
                  + "ORDER BY attempt_number DESC, id DESC LIMIT $2")
              .execute(Tuple.of(deliveryId, recentAttempts))
              .map(attempts -> out.put("recent_attempts", attemptsJson(attempts)));
        });
  }

  /** A subscription's attempts, newest first. */
  public Future<JsonArray> attemptsOf(Scope scope, UUID subscriptionId, int limit) {
    return pool.preparedQuery("SELECT " + ATTEMPT_COLUMNS + " FROM attempts WHERE subscription_id = $2 "
            + "AND subscription_id IN (SELECT id FROM subscriptions WHERE " + SubscriptionRepository.IN_SCOPE + ") "
            + "ORDER BY started_at DESC, id DESC LIMIT $3")
        .execute(Tuple.of(scope.filter(), subscriptionId, limit))
        .map(DeliveryRepository::attemptsJson);
  }

  private static JsonArray attemptsJson(Iterable<Row> rows) {
    JsonArray out = new JsonArray();
    for (Row r : rows) {
      out.add(new JsonObject()
          .put("webhook_id", r.getUUID("delivery_id").toString())
          .put("subscription_id", r.getUUID("subscription_id").toString())
          .put("target_url", r.getString("target_url"))
          .put("attempt_number", r.getInteger("attempt_number"))
          .put("timestamp", Times.iso(r.getOffsetDateTime("started_at")))
          .put("duration_ms", r.getInteger("duration_ms"))
          .put("outcome", r.getString("outcome"))
          .put("status_code", r.getInteger("status_code"))
          .put("error", r.getString("error"))
          .put("response_body", r.getString("response_body")));
    }
    return out;
  }
}
