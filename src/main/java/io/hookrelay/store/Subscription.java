package io.hookrelay.store;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A subscriber's endpoint: where to deliver, which events it wants, how to sign, its own delivery policy (retries,
 * timeout, headers), and its circuit state.
 */
public record Subscription(
    UUID id,
    String targetUrl,
    String secret,
    String previousSecret,
    OffsetDateTime previousSecretExpiresAt,
    String signatureScheme,
    String publicKey,
    List<String> eventTypes,
    String description,
    String status,
    String disabledReason,
    int consecutiveFailures,
    Integer rateLimitPerS,
    int maxInFlight,
    SubscriptionPolicy policy,
    OffsetDateTime createdAt,
    OffsetDateTime updatedAt,
    ClientCertificate clientCertificate,
    String ordering,
    String orderingOnFailure,
    UUID tenantId,
    boolean tenantActive) {

  public static final String ENABLED = "enabled";
  /** Columns to select, with the tenant's state (a subscription of a tenant being deleted is skipped at once). */
  static final String COLUMNS = "id, target_url, secret, previous_secret, previous_secret_expires_at, "
      + "signature_scheme, public_key, event_types, description, status, disabled_reason, consecutive_failures, "
      + "rate_limit_per_s, max_in_flight, created_at, updated_at, client_cert_pem, client_key_pem, client_cert_subject, "
      + "client_cert_sha256, client_cert_not_after, ordering, ordering_on_failure, retry_schedule_ms, max_attempts, "
      + "timeout_ms, headers, tenant_id";

  public static final String DISABLED = "disabled";
  /** Standard Webhooks symmetric signatures: HMAC-SHA256 with a shared "whsec_" secret. */
  public static final String SCHEME_V1 = "v1";
  /** Standard Webhooks asymmetric signatures: ed25519, the private key stays here, receivers get the "whpk_" key. */
  public static final String SCHEME_V1A = "v1a";
  public static final List<String> SIGNATURE_SCHEMES = List.of(SCHEME_V1, SCHEME_V1A);

  /** Deliveries in no particular order (the default). */
  public static final String ORDERING_NONE = "none";
  /** For one ordering key, webhook n+1 is not attempted before webhook n has ended. */
  public static final String ORDERING_PER_KEY = "per_key";
  public static final List<String> ORDERINGS = List.of(ORDERING_NONE, ORDERING_PER_KEY);
  /** A delivery of an ordered key that failed for good: recorded, and the key moves on. */
  public static final String ON_FAILURE_SKIP = "skip";
  /** A delivery of an ordered key that failed for good holds the key until it is retried or dismissed. */
  public static final String ON_FAILURE_BLOCK = "block";
  public static final List<String> ON_FAILURES = List.of(ON_FAILURE_SKIP, ON_FAILURE_BLOCK);

  public boolean enabled() {
    return ENABLED.equals(status);
  }

  /** The ordering key a webhook gets here: none when this subscription is unordered; without a key, one stream. */
  public String orderingKeyFor(String given) {
    if (!ORDERING_PER_KEY.equals(ordering)) {
      return null;
    }
    return given == null ? "" : given;
  }

  /** Whether this subscription wants an event of the given type; a filter entry may end in '*' to match a prefix. */
  public boolean wants(String eventType) {
    return EventFilter.matches(eventTypes, eventType);
  }

  /** The secrets that sign right now: the current one, and the previous one while its overlap lasts. */
  public List<String> signingSecrets(OffsetDateTime now) {
    if (previousSecret != null && previousSecretExpiresAt != null && previousSecretExpiresAt.isAfter(now)) {
      return List.of(secret, previousSecret);
    }
    return List.of(secret);
  }

  static Subscription from(Row row) {
    String[] types = row.getArrayOfStrings("event_types");
    return new Subscription(
        row.getUUID("id"),
        row.getString("target_url"),
        row.getString("secret"),
        row.getString("previous_secret"),
        row.getOffsetDateTime("previous_secret_expires_at"),
        row.getString("signature_scheme"),
        row.getString("public_key"),
        types == null ? null : Arrays.asList(types),
        row.getString("description"),
        row.getString("status"),
        row.getString("disabled_reason"),
        row.getInteger("consecutive_failures"),
        row.getInteger("rate_limit_per_s"),
        row.getInteger("max_in_flight"),
        policy(row),
        row.getOffsetDateTime("created_at"),
        row.getOffsetDateTime("updated_at"),
        row.getString("client_cert_pem") == null ? null : new ClientCertificate(row.getString("client_cert_pem"),
            row.getString("client_key_pem"), row.getString("client_cert_subject"),
            row.getString("client_cert_sha256"), row.getOffsetDateTime("client_cert_not_after")),
        row.getString("ordering"),
        row.getString("ordering_on_failure"),
        row.getUUID("tenant_id"),
        !"deleting".equals(row.getString("tenant_status")));
  }

  private static SubscriptionPolicy policy(Row row) {
    Long[] schedule = row.getArrayOfLongs("retry_schedule_ms");
    Integer timeoutMs = row.getInteger("timeout_ms");
    JsonObject headers = row.getJsonObject("headers");
    Map<String, String> named = new HashMap<>();
    if (headers != null) {
      headers.forEach(e -> named.put(e.getKey(), (String) e.getValue()));
    }
    return new SubscriptionPolicy(
        schedule == null ? null : Arrays.stream(schedule).map(Duration::ofMillis).toList(),
        row.getInteger("max_attempts"),
        timeoutMs == null ? null : Duration.ofMillis(timeoutMs),
        named);
  }

  /**
   * The public view: never the secret, a private key, nor the client certificate's key (the v1a public key is no
   * secret and receivers need it); header values masked.
   */
  public JsonObject toJson() {
    JsonObject view = new JsonObject()
        .put("id", id.toString())
        .put("tenant_id", tenantId.toString())
        .put("target_url", targetUrl)
        .put("signature_scheme", signatureScheme)
        .put("public_key", publicKey)
        .put("events", eventTypes == null ? null : new JsonArray(eventTypes))
        .put("description", description)
        .put("status", status)
        .put("disabled_reason", disabledReason)
        .put("consecutive_failures", consecutiveFailures)
        .put("rate_limit_per_s", rateLimitPerS)
        .put("max_in_flight", maxInFlight)
        .put("ordering", ordering)
        .put("ordering_on_failure", orderingOnFailure);
    policy.putInto(view);
    return view
        .put("created_at", Times.iso(createdAt))
        .put("updated_at", Times.iso(updatedAt))
        .put("client_certificate", clientCertificate == null ? null : clientCertificate.toJson());
  }
}
