package io.hookrelay.store;

import io.hookrelay.tenant.Scope;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The subscriptions table: CRUD, secret rotation, and the circuit breaker's enable/disable. Every call from the API
 * takes a {@link Scope}: rows of another tenant, or of a tenant being deleted, are not found, exactly like rows that
 * do not exist.
 */
public final class SubscriptionRepository {
  private static final String COLUMNS = Subscription.COLUMNS;
  private static final String SELECT = "SELECT " + COLUMNS + ", "
      + "(SELECT t.status FROM tenants t WHERE t.id = subscriptions.tenant_id) AS tenant_status FROM subscriptions";
  /** The scope's condition on a tenant_id column, with the scope's tenant (or null for every tenant) as $1. */
  static final String IN_SCOPE = inScope(1);
  private static final String RETURNING = " RETURNING " + COLUMNS + ", 'active' AS tenant_status";

  /** Who changed a subscription, as the audit log records it ({@code actor}) and disabled_reason says. */
  public static final String API = "api";
  public static final String DASHBOARD = "dashboard";
  public static final String BREAKER = "circuit_breaker";
  public static final String RECEIVER = "receiver";

  private final Pool pool;
  private final AuditRepository audit = new AuditRepository();

  public SubscriptionRepository(Pool pool) {
    this.pool = pool;
  }

  /**
   * What a PATCH may change; a null field is left as it is, except where its {@code set…} flag says otherwise.
   * A {@code signatureScheme} other than the current one switches to {@code newKeys}' key of that scheme.
   */
  public record Patch(String targetUrl, boolean setEvents, List<String> events, boolean setDescription,
      String description, boolean setRateLimit, Integer rateLimitPerS, Integer maxInFlight, String status,
      String secret, String signatureScheme, NewKeys newKeys, boolean setClientCertificate,
      ClientCertificate clientCertificate, String ordering, String orderingOnFailure,
      PolicyPatch policy) {}

  /**
   * What a PATCH does to the delivery policy: each {@code set…} flag replaces its value (null: back to the node's
   * default). Headers merge: {@code setHeaders} are added or replaced, {@code removeHeaders} dropped, and
   * {@code clearHeaders} drops them all. Header names are lower case.
   */
  public record PolicyPatch(boolean setRetrySchedule, List<Duration> retrySchedule, boolean setMaxAttempts,
      Integer maxAttempts, boolean setTimeout, Duration timeout, boolean clearHeaders, Map<String, String> setHeaders,
      List<String> removeHeaders) {
    public static final PolicyPatch NONE = new PolicyPatch(false, null, false, null, false, null, false, null, List.of());
  }

  /** The constraint that holds a subscription to at most 20 headers (a PATCH merges, so it is checked there). */
  public static final String HEADERS_LIMIT_CONSTRAINT = "subscriptions_headers_at_most_20";

  /**
   * Fresh keys of both schemes, made before the statement runs: the row's scheme, read in the same UPDATE, picks
   * one, so a rotation cannot race a change of scheme. {@code v1Secret} may be one the user gave.
   */
  public record NewKeys(String v1Secret, String v1aPrivateKey, String v1aPublicKey) {}

  /** The scope's condition on a tenant_id column, the scope's tenant (or null for every tenant) being ${@code n}. */
  static String inScope(int n) {
    return "tenant_id IN (SELECT id FROM tenants WHERE status = 'active' AND ($" + n + "::uuid IS NULL OR id = $" + n
        + "))";
  }

  /** The tenant already has as many subscriptions as its max_subscriptions allows. */
  public static final class LimitReached extends RuntimeException {
    private final int limit;

    public LimitReached(int limit) {
      super("max_subscriptions reached", null, false, false);
      this.limit = limit;
    }

    public int limit() {
      return limit;
    }
  }

  /** The scope's home tenant is gone (being deleted) or was never there. */
  public static final class TenantGone extends RuntimeException {
    public TenantGone() {
      super("tenant gone", null, false, false);
    }
  }

  /**
   * Creates a subscription in the scope's home tenant, within its max_subscriptions (the tenant row is locked for
   * the count, so concurrent creates cannot overshoot); for v1a, {@code secret} is the "whsk_" private key and
   * {@code publicKey} its "whpk_".
   */
  public Future<Subscription> create(Scope scope, UUID id, String targetUrl, String signatureScheme, String secret,
      String publicKey, List<String> events, String description, Integer rateLimitPerS, int maxInFlight,
      ClientCertificate clientCertificate, String ordering, String orderingOnFailure,
      SubscriptionPolicy policy) {
    UUID tenant = scope.home();
    Tuple args = Tuple.tuple().addUUID(id).addString(targetUrl).addString(signatureScheme).addString(secret)
        .addString(publicKey).addArrayOfString(events == null ? null : events.toArray(String[]::new))
        .addString(description).addInteger(rateLimitPerS).addInteger(maxInFlight);
    addClientCertificate(args, clientCertificate);
    args.addString(ordering).addString(orderingOnFailure)
        .addArrayOfLong(millis(policy.retrySchedule())).addInteger(policy.maxAttempts())
        .addInteger(policy.timeout() == null ? null : (int) policy.timeout().toMillis())
        .addJsonObject(policy.headers().isEmpty() ? null : new JsonObject(new HashMap<>(policy.headers())))
        .addUUID(tenant);
    return pool.withTransaction(tx -> tx.preparedQuery("SELECT max_subscriptions FROM tenants WHERE id = $1 "
            + "AND status = 'active' FOR UPDATE").execute(Tuple.of(tenant))
        .compose(t -> {
          if (t.size() == 0) {
            return Future.failedFuture(new TenantGone());
          }
          Integer max = t.iterator().next().getInteger(0);
          if (max == null) {
            return Future.succeededFuture();
          }
          return tx.preparedQuery("SELECT count(*) FROM subscriptions WHERE tenant_id = $1").execute(Tuple.of(tenant))
              .compose(c -> c.iterator().next().getLong(0) >= max
                  ? Future.failedFuture(new LimitReached(max)) : Future.succeededFuture());
        })
        .compose(v -> tx.preparedQuery("INSERT INTO subscriptions (id, target_url, signature_scheme, secret, "
                + "public_key, event_types, description, rate_limit_per_s, max_in_flight, client_cert_pem, "
                + "client_key_pem, client_cert_subject, client_cert_sha256, client_cert_not_after, ordering, "
                + "ordering_on_failure, retry_schedule_ms, max_attempts, timeout_ms, headers, tenant_id) "
                + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, "
                + "$20, $21)" + RETURNING)
            .execute(args))
        .compose(rows -> audit.record(tx, scope, tenant, "subscription_created", id, null, null,
                new JsonObject().put("target_url", targetUrl).put("signature_scheme", signatureScheme))
            .map(v -> Subscription.from(rows.iterator().next()))));
  }

  public Future<List<Subscription>> list(Scope scope, int skip, int limit) {
    return pool.preparedQuery(SELECT + " WHERE " + IN_SCOPE + " ORDER BY created_at, id OFFSET $2 LIMIT $3")
        .execute(Tuple.of(scope.filter(), skip, limit))
        .map(SubscriptionRepository::all);
  }

  /** How many subscriptions the scope reaches in each status (both present, zero when none). */
  public Future<JsonObject> countByStatus(Scope scope) {
    return pool.preparedQuery("SELECT status, count(*) FROM subscriptions WHERE " + IN_SCOPE + " GROUP BY status")
        .execute(Tuple.of(scope.filter())).map(rows -> {
          JsonObject out = new JsonObject().put("enabled", 0L).put("disabled", 0L);
          rows.forEach(r -> out.put(r.getString(0), r.getLong(1)));
          return out;
        });
  }

  /** Every subscription, for the per-node caches that route fan-out and delivery (the system's view). */
  public Future<List<Subscription>> all() {
    return pool.preparedQuery(SELECT).execute().map(SubscriptionRepository::all);
  }

  /** One subscription whatever its tenant's state, for the caches of the ingest and delivery paths. */
  public Future<Subscription> findForDelivery(UUID id) {
    return pool.preparedQuery(SELECT + " WHERE id = $1").execute(Tuple.of(id)).map(SubscriptionRepository::one);
  }

  public Future<Subscription> find(Scope scope, UUID id) {
    return pool.preparedQuery(SELECT + " WHERE " + IN_SCOPE + " AND id = $2")
        .execute(Tuple.of(scope.filter(), id))
        .map(SubscriptionRepository::one);
  }

  /**
   * Applies a patch. A new secret, or a change of scheme, rotates: the old key keeps signing until
   * {@code previousSecretExpiresAt}. A patch that changes nothing leaves the row alone: no new updated_at and no
   * audit row. Answers the subscription as it now is; null when there is none with this id, and also when a secret
   * was given for a subscription that is (or becomes) v1a, which takes no secret: {@link #find} tells the two apart.
   */
  public Future<Subscription> update(Scope scope, UUID id, Patch p, OffsetDateTime previousSecretExpiresAt,
      String actor) {
    // $11 the secret the user gave, $13 the scheme asked for, $14..$16 the candidate new keys, $17 disabled_reason,
    // $18 whether the client certificate is set (or removed), $19..$23 its columns, $24 and $25 the ordering
    // settings, $26..$34 the delivery policy, $35 the scope's tenant
    String changesKey = "($11::text IS NOT NULL OR ($13::text IS NOT NULL AND $13 <> signature_scheme))";
    String newScheme = "COALESCE($13, signature_scheme)";
    // Each column's new value, written once: the SET list and the "does anything change" test both come from it.
    String[][] columns = {
        {"target_url", "COALESCE($2, target_url)"},
        {"event_types", "CASE WHEN $3 THEN $4 ELSE event_types END"},
        {"description", "CASE WHEN $5 THEN $6 ELSE description END"},
        {"rate_limit_per_s", "CASE WHEN $7 THEN $8 ELSE rate_limit_per_s END"},
        {"max_in_flight", "COALESCE($9, max_in_flight)"},
        {"status", "COALESCE($10, status)"},
        {"client_cert_pem", "CASE WHEN $18 THEN $19 ELSE client_cert_pem END"},
        {"client_key_pem", "CASE WHEN $18 THEN $20 ELSE client_key_pem END"},
        {"client_cert_subject", "CASE WHEN $18 THEN $21 ELSE client_cert_subject END"},
        {"client_cert_sha256", "CASE WHEN $18 THEN $22 ELSE client_cert_sha256 END"},
        {"client_cert_not_after", "CASE WHEN $18 THEN $23 ELSE client_cert_not_after END"},
        {"ordering", "COALESCE($24, ordering)"},
        {"ordering_on_failure", "COALESCE($25, ordering_on_failure)"},
        // $26..$34 the delivery policy; headers merge ($33 added or replaced, $34 removed, $32 clears them all)
        {"retry_schedule_ms", "CASE WHEN $26 THEN $27 ELSE retry_schedule_ms END"},
        {"max_attempts", "CASE WHEN $28 THEN $29 ELSE max_attempts END"},
        {"timeout_ms", "CASE WHEN $30 THEN $31 ELSE timeout_ms END"},
        {"headers", "CASE WHEN $32 THEN NULL WHEN $33::jsonb IS NULL AND cardinality($34::text[]) = 0 THEN headers "
            + "ELSE NULLIF((COALESCE(headers, '{}'::jsonb) || COALESCE($33::jsonb, '{}'::jsonb)) - $34::text[], "
            + "'{}'::jsonb) END"}};
    StringBuilder set = new StringBuilder();
    StringBuilder changes = new StringBuilder(changesKey);
    for (String[] c : columns) {
      set.append(c[0]).append(" = ").append(c[1]).append(", ");
      changes.append(" OR ").append(c[0]).append(" IS DISTINCT FROM ").append(c[1]);
    }
    String sql = "UPDATE subscriptions SET " + set
        + "disabled_reason = CASE WHEN $10 = 'disabled' AND status <> 'disabled' THEN $17 "
        + "  WHEN $10 = 'enabled' THEN NULL ELSE disabled_reason END, "
        + "consecutive_failures = CASE WHEN $10 = 'enabled' THEN 0 ELSE consecutive_failures END, "
        + "previous_secret = CASE WHEN " + changesKey + " THEN secret ELSE previous_secret END, "
        + "previous_secret_expires_at = CASE WHEN " + changesKey + " THEN $12 ELSE previous_secret_expires_at END, "
        + "secret = CASE WHEN NOT " + changesKey + " THEN secret WHEN " + newScheme + " = 'v1a' THEN $15 ELSE $14 END, "
        + "public_key = CASE WHEN NOT " + changesKey + " THEN public_key WHEN " + newScheme + " = 'v1a' THEN $16 END, "
        + "signature_scheme = " + newScheme + ", "
        + "updated_at = now() WHERE id = $1 AND NOT ($11::text IS NOT NULL AND " + newScheme + " = 'v1a') "
        + "AND (" + changes + ") AND " + inScope(35) + RETURNING;
    NewKeys keys = p.newKeys() != null ? p.newKeys() : new NewKeys(null, null, null);
    Tuple args = Tuple.tuple().addUUID(id).addString(p.targetUrl()).addBoolean(p.setEvents())
        .addArrayOfString(p.events() == null ? null : p.events().toArray(String[]::new))
        .addBoolean(p.setDescription()).addString(p.description()).addBoolean(p.setRateLimit())
        .addInteger(p.rateLimitPerS()).addInteger(p.maxInFlight()).addString(p.status()).addString(p.secret())
        .addOffsetDateTime(previousSecretExpiresAt).addString(p.signatureScheme())
        .addString(keys.v1Secret()).addString(keys.v1aPrivateKey()).addString(keys.v1aPublicKey())
        .addString(disabledReason(actor)).addBoolean(p.setClientCertificate());
    addClientCertificate(args, p.clientCertificate());
    args.addString(p.ordering()).addString(p.orderingOnFailure());
    PolicyPatch policy = p.policy() != null ? p.policy() : PolicyPatch.NONE;
    args.addBoolean(policy.setRetrySchedule()).addArrayOfLong(millis(policy.retrySchedule()))
        .addBoolean(policy.setMaxAttempts()).addInteger(policy.maxAttempts())
        .addBoolean(policy.setTimeout()).addInteger(policy.timeout() == null ? null : (int) policy.timeout().toMillis())
        .addBoolean(policy.clearHeaders())
        .addJsonObject(policy.setHeaders() == null ? null : new JsonObject(new HashMap<>(policy.setHeaders())))
        .addArrayOfString(policy.removeHeaders().toArray(String[]::new))
        .addUUID(scope.filter());
    return pool.withTransaction(tx -> tx.preparedQuery(sql).execute(args).compose(rows -> {
      Subscription updated = one(rows);
      if (updated == null) {
        // Nothing changed, no such subscription, or a secret for a v1a one: either way there is nothing to record.
        return tx.preparedQuery(SELECT + " WHERE " + IN_SCOPE + " AND id = $2").execute(Tuple.of(scope.filter(), id))
            .map(SubscriptionRepository::one)
            .map(existing -> existing != null && p.secret() != null && Subscription.SCHEME_V1A.equals(
                p.signatureScheme() != null ? p.signatureScheme() : existing.signatureScheme()) ? null : existing);
      }
      JsonObject details = new JsonObject().put("actor", actor);
      if (p.targetUrl() != null) details.put("target_url", p.targetUrl());
      if (p.setEvents()) details.put("events", p.events());
      if (p.setDescription()) details.put("description_changed", true);
      if (p.setRateLimit()) details.put("rate_limit_per_s", p.rateLimitPerS());
      if (p.maxInFlight() != null) details.put("max_in_flight", p.maxInFlight());
      if (p.status() != null) details.put("status", p.status());
      if (p.ordering() != null) details.put("ordering", p.ordering());
      if (p.orderingOnFailure() != null) details.put("ordering_on_failure", p.orderingOnFailure());
      if (p.signatureScheme() != null) details.put("signature_scheme", updated.signatureScheme());
      if (p.setClientCertificate()) {
        details.put("client_certificate", p.clientCertificate() == null ? null : p.clientCertificate().fingerprint());
      }
      if (policy.setRetrySchedule() || policy.setMaxAttempts() || policy.setTimeout()) details.put("policy_changed", true);
      // names only: header values may be credentials, and the audit log never holds secrets
      if (policy.clearHeaders() || policy.setHeaders() != null || !policy.removeHeaders().isEmpty()) {
        details.put("headers", new io.vertx.core.json.JsonArray(updated.policy().headers().keySet().stream().sorted().toList()));
      }
      if (updated.secret().equals(keys.v1Secret()) || updated.secret().equals(keys.v1aPrivateKey())) {
        details.put("secret_rotated", true);
      }
      return audit.record(tx, scope, updated.tenantId(), "subscription_updated", id, null, null, details)
          .map(updated);
    }));
  }

  /** The five client certificate columns, in table order; all null when there is none. */
  private static void addClientCertificate(Tuple args, ClientCertificate c) {
    args.addString(c == null ? null : c.certPem()).addString(c == null ? null : c.keyPem())
        .addString(c == null ? null : c.subject()).addString(c == null ? null : c.fingerprint())
        .addOffsetDateTime(c == null ? null : c.notAfter());
  }

  private static String disabledReason(String actor) {
    return DASHBOARD.equals(actor) ? "disabled from the dashboard" : "disabled through the API";
  }

  public Future<Boolean> delete(Scope scope, UUID id, String actor) {
    // Its deliveries go with it (ON DELETE CASCADE); the open ones leave deliveries_open and the attempts go too,
    // neither of which has a key to cascade from. The cascade locks the deliveries the delivery path may be claiming
    // or recording at that moment, in another order: a deadlock is retried.
    return Database.retryingDeadlocks(3, () -> pool.withTransaction(tx -> tx.preparedQuery(
            "WITH s AS (DELETE FROM subscriptions WHERE id = $2 AND "
            + IN_SCOPE + " RETURNING id, tenant_id), o AS (DELETE FROM deliveries_open WHERE delivery_id IN "
            + "(SELECT d.id FROM deliveries d JOIN s ON d.subscription_id = s.id)), "
            + "a AS (DELETE FROM attempts WHERE subscription_id IN (SELECT id FROM s)) SELECT tenant_id FROM s")
        .execute(Tuple.of(scope.filter(), id))
        .compose(rows -> rows.size() == 0
            ? Future.succeededFuture(false)
            : audit.record(tx, scope, rows.iterator().next().getUUID(0), "subscription_deleted", id, null, null,
                new JsonObject().put("actor", actor)).map(true))));
  }

  /**
   * Rotates to the new key of the subscription's own scheme; the old key keeps signing until {@code previousExpiresAt}.
   * Answers null when there is no such subscription, and also when {@code secretGiven} and the subscription is v1a,
   * which takes no secret: {@link #find} tells the two apart.
   */
  public Future<Subscription> rotateSecret(Scope scope, UUID id, NewKeys keys, boolean secretGiven,
      OffsetDateTime previousExpiresAt) {
    return pool.withTransaction(tx -> tx.preparedQuery("UPDATE subscriptions SET previous_secret = secret, "
            + "previous_secret_expires_at = $3, "
            + "secret = CASE WHEN signature_scheme = 'v1a' THEN $4 ELSE $2 END, "
            + "public_key = CASE WHEN signature_scheme = 'v1a' THEN $5 END, "
            + "updated_at = now() WHERE id = $1 AND NOT ($6 AND signature_scheme = 'v1a') AND " + inScope(7)
            + RETURNING)
        .execute(Tuple.tuple().addUUID(id).addString(keys.v1Secret()).addOffsetDateTime(previousExpiresAt)
            .addString(keys.v1aPrivateKey()).addString(keys.v1aPublicKey()).addBoolean(secretGiven)
            .addUUID(scope.filter()))
        .compose(rows -> {
          Subscription s = one(rows);
          return s == null ? Future.succeededFuture(null)
              : audit.record(tx, scope, s.tenantId(), "secret_rotated", id, null, null,
                  new JsonObject().put("previous_secret_expires_at", Times.iso(previousExpiresAt))).map(s);
        }));
  }

  /** Enables a subscription and turns its held deliveries back into pending ones; returns their ids to enqueue. */
  public Future<EnableResult> enable(Scope scope, UUID id, String actor) {
    return pool.withTransaction(tx -> tx.preparedQuery("UPDATE subscriptions SET status = 'enabled', "
            + "disabled_reason = NULL, consecutive_failures = 0, updated_at = now() WHERE id = $2 AND " + IN_SCOPE
            + RETURNING)
        .execute(Tuple.of(scope.filter(), id))
        .compose(rows -> {
          Subscription s = one(rows);
          if (s == null) {
            return Future.succeededFuture(null);
          }
          return tx.preparedQuery("WITH u AS (UPDATE deliveries SET status = 'pending', next_attempt_at = now(), "
                  + "updated_at = now() WHERE subscription_id = $1 AND status = 'held' RETURNING id), "
                  + DeliveryRepository.reopen("u") + "SELECT id FROM u")
              .execute(Tuple.of(id))
              .compose(resumed -> {
                List<UUID> ids = new ArrayList<>();
                resumed.forEach(r -> ids.add(r.getUUID(0)));
                return audit.record(tx, scope, s.tenantId(), "subscription_enabled", id, null, null,
                        new JsonObject().put("actor", actor).put("resumed_deliveries", ids.size()))
                    .map(new EnableResult(s, ids));
              });
        }));
  }

  public record EnableResult(Subscription subscription, List<UUID> resumedDeliveries) {}

  /**
   * Turns a subscription off from the delivery path (circuit breaker, 410 Gone); true when this call disabled it,
   * so that only one caller audits and announces it. The system acts here, on whatever tenant's subscription.
   */
  public static Future<Boolean> disable(SqlClient client, UUID id, String reason) {
    return client.preparedQuery("UPDATE subscriptions SET status = 'disabled', disabled_reason = $2, updated_at = now() "
            + "WHERE id = $1 AND status = 'enabled' RETURNING tenant_id")
        .execute(Tuple.of(id, reason))
        .compose(rows -> rows.size() == 0
            ? Future.succeededFuture(false)
            : new AuditRepository().record(client, Scope.SYSTEM, rows.iterator().next().getUUID(0),
                "subscription_disabled", id, null, null, new JsonObject()
                    .put("actor", reason.startsWith("circuit breaker") ? BREAKER : RECEIVER).put("reason", reason))
                .map(true));
  }

  private static Long[] millis(List<Duration> schedule) {
    return schedule == null ? null : schedule.stream().map(Duration::toMillis).toArray(Long[]::new);
  }

  private static List<Subscription> all(RowSet<Row> rows) {
    List<Subscription> out = new ArrayList<>(rows.size());
    rows.forEach(r -> out.add(Subscription.from(r)));
    return out;
  }

  private static Subscription one(RowSet<Row> rows) {
    var it = rows.iterator();
    return it.hasNext() ? Subscription.from(it.next()) : null;
  }
}
