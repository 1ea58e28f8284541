package io.hookrelay.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** The subscriptions table: CRUD, secret rotation, and the circuit breaker's enable/disable. */
public final class SubscriptionRepository {
  private static final String COLUMNS = "id, target_url, secret, previous_secret, previous_secret_expires_at, event_types, "
      + "description, status, disabled_reason, consecutive_failures, rate_limit_per_s, max_in_flight, created_at, updated_at, "
      + "client_cert_pem, client_key_pem, client_cert_subject, client_cert_sha256, client_cert_not_after";

  private final Pool pool;
  private final AuditRepository audit = new AuditRepository();

  public SubscriptionRepository(Pool pool) {
    this.pool = pool;
  }

  /** What a PATCH may change; a null field is left as it is, except where its {@code set…} flag says otherwise. */
  public record Patch(String targetUrl, boolean setEvents, List<String> events, boolean setDescription,
      String description, boolean setRateLimit, Integer rateLimitPerS, Integer maxInFlight, String status,
      String secret, boolean setClientCertificate, ClientCertificate clientCertificate) {}

  public Future<Subscription> create(UUID id, String targetUrl, String secret, List<String> events, String description,
      Integer rateLimitPerS, int maxInFlight, ClientCertificate clientCertificate) {
    Tuple args = Tuple.of(id, targetUrl, secret, events == null ? null : events.toArray(String[]::new), description,
        rateLimitPerS, maxInFlight);
    addClientCertificate(args, clientCertificate);
    return pool.withTransaction(tx -> tx.preparedQuery(
            "INSERT INTO subscriptions (id, target_url, secret, event_types, description, rate_limit_per_s, max_in_flight, "
                + "client_cert_pem, client_key_pem, client_cert_subject, client_cert_sha256, client_cert_not_after) "
                + "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING " + COLUMNS)
        .execute(args)
        .compose(rows -> audit.record(tx, "subscription_created", id, null, null,
                new JsonObject().put("target_url", targetUrl))
            .map(v -> Subscription.from(rows.iterator().next()))));
  }

  public Future<List<Subscription>> list(int skip, int limit) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM subscriptions ORDER BY created_at, id OFFSET $1 LIMIT $2")
        .execute(Tuple.of(skip, limit))
        .map(SubscriptionRepository::all);
  }

  /** Every subscription, for the per-node caches that route fan-out. */
  public Future<List<Subscription>> all() {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM subscriptions").execute().map(SubscriptionRepository::all);
  }

  public Future<Subscription> find(UUID id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM subscriptions WHERE id = $1")
        .execute(Tuple.of(id))
        .map(SubscriptionRepository::one);
  }

  public Future<Subscription> update(UUID id, Patch p, OffsetDateTime previousSecretExpiresAt) {
    String sql = "UPDATE subscriptions SET "
        + "target_url = COALESCE($2, target_url), "
        + "event_types = CASE WHEN $3 THEN $4 ELSE event_types END, "
        + "description = CASE WHEN $5 THEN $6 ELSE description END, "
        + "rate_limit_per_s = CASE WHEN $7 THEN $8 ELSE rate_limit_per_s END, "
        + "max_in_flight = COALESCE($9, max_in_flight), "
        + "status = COALESCE($10, status), "
        + "disabled_reason = CASE WHEN $10 = 'disabled' THEN 'disabled through the API' "
        + "  WHEN $10 = 'enabled' THEN NULL ELSE disabled_reason END, "
        + "consecutive_failures = CASE WHEN $10 = 'enabled' THEN 0 ELSE consecutive_failures END, "
        + "previous_secret = CASE WHEN $11::text IS NOT NULL THEN secret ELSE previous_secret END, "
        + "previous_secret_expires_at = CASE WHEN $11::text IS NOT NULL THEN $12 ELSE previous_secret_expires_at END, "
        + "secret = COALESCE($11, secret), "
        + "client_cert_pem = CASE WHEN $13 THEN $14 ELSE client_cert_pem END, "
        + "client_key_pem = CASE WHEN $13 THEN $15 ELSE client_key_pem END, "
        + "client_cert_subject = CASE WHEN $13 THEN $16 ELSE client_cert_subject END, "
        + "client_cert_sha256 = CASE WHEN $13 THEN $17 ELSE client_cert_sha256 END, "
        + "client_cert_not_after = CASE WHEN $13 THEN $18 ELSE client_cert_not_after END, "
        + "updated_at = now() WHERE id = $1 RETURNING " + COLUMNS;
    Tuple args = Tuple.tuple().addUUID(id).addString(p.targetUrl()).addBoolean(p.setEvents())
        .addArrayOfString(p.events() == null ? null : p.events().toArray(String[]::new))
        .addBoolean(p.setDescription()).addString(p.description()).addBoolean(p.setRateLimit())
        .addInteger(p.rateLimitPerS()).addInteger(p.maxInFlight()).addString(p.status()).addString(p.secret())
        .addOffsetDateTime(previousSecretExpiresAt).addBoolean(p.setClientCertificate());
    addClientCertificate(args, p.clientCertificate());
    return pool.withTransaction(tx -> tx.preparedQuery(sql).execute(args).compose(rows -> {
      Subscription updated = one(rows);
      if (updated == null) {
        return Future.succeededFuture(null);
      }
      JsonObject details = new JsonObject();
      if (p.targetUrl() != null) details.put("target_url", p.targetUrl());
      if (p.setEvents()) details.put("events", p.events());
      if (p.status() != null) details.put("status", p.status());
      if (p.secret() != null) details.put("secret_rotated", true);
      if (p.setClientCertificate()) {
        details.put("client_certificate", p.clientCertificate() == null ? null : p.clientCertificate().fingerprint());
      }
      return audit.record(tx, "subscription_updated", id, null, null, details).map(updated);
    }));
  }

  public Future<Boolean> delete(UUID id) {
    return pool.withTransaction(tx -> tx.preparedQuery("DELETE FROM subscriptions WHERE id = $1").execute(Tuple.of(id))
        .compose(rows -> rows.rowCount() == 0
            ? Future.succeededFuture(false)
            : audit.record(tx, "subscription_deleted", id, null, null, new JsonObject()).map(true)));
  }

  public Future<Subscription> rotateSecret(UUID id, String newSecret, OffsetDateTime previousExpiresAt) {
    return pool.withTransaction(tx -> tx.preparedQuery("UPDATE subscriptions SET previous_secret = secret, "
            + "previous_secret_expires_at = $3, secret = $2, updated_at = now() WHERE id = $1 RETURNING " + COLUMNS)
        .execute(Tuple.of(id, newSecret, previousExpiresAt))
        .compose(rows -> {
          Subscription s = one(rows);
          return s == null ? Future.succeededFuture(null)
              : audit.record(tx, "secret_rotated", id, null, null,
                  new JsonObject().put("previous_secret_expires_at", Times.iso(previousExpiresAt))).map(s);
        }));
  }

  /** Enables a subscription and turns its held deliveries back into pending ones; returns their ids to enqueue. */
  public Future<EnableResult> enable(UUID id) {
    return pool.withTransaction(tx -> tx.preparedQuery("UPDATE subscriptions SET status = 'enabled', disabled_reason = NULL, "
            + "consecutive_failures = 0, updated_at = now() WHERE id = $1 RETURNING " + COLUMNS)
        .execute(Tuple.of(id))
        .compose(rows -> {
          Subscription s = one(rows);
          if (s == null) {
            return Future.succeededFuture(null);
          }
          return tx.preparedQuery("UPDATE deliveries SET status = 'pending', next_attempt_at = now(), updated_at = now() "
                  + "WHERE subscription_id = $1 AND status = 'held' RETURNING id")
              .execute(Tuple.of(id))
              .compose(resumed -> {
                List<UUID> ids = new ArrayList<>();
                resumed.forEach(r -> ids.add(r.getUUID(0)));
                return audit.record(tx, "subscription_enabled", id, null, null,
                        new JsonObject().put("resumed_deliveries", ids.size()))
                    .map(new EnableResult(s, ids));
              });
        }));
  }

  public record EnableResult(Subscription subscription, List<UUID> resumedDeliveries) {}

  /**
   * Turns a subscription off from the delivery path (circuit breaker, 410 Gone); true when this call disabled it,
   * so that only one caller audits and announces it.
   */
  public static Future<Boolean> disable(SqlClient client, UUID id, String reason) {
    return client.preparedQuery("UPDATE subscriptions SET status = 'disabled', disabled_reason = $2, updated_at = now() "
            + "WHERE id = $1 AND status = 'enabled'")
        .execute(Tuple.of(id, reason))
        .compose(rows -> rows.rowCount() == 0
            ? Future.succeededFuture(false)
            : new AuditRepository().record(client, "subscription_disabled", id, null, null,
                new JsonObject().put("reason", reason)).map(true));
  }

  /** The five client certificate columns, in table order; all null when there is none. */
  private static void addClientCertificate(Tuple args, ClientCertificate c) {
    args.addString(c == null ? null : c.certPem()).addString(c == null ? null : c.keyPem())
        .addString(c == null ? null : c.subject()).addString(c == null ? null : c.fingerprint())
        .addOffsetDateTime(c == null ? null : c.notAfter());
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
