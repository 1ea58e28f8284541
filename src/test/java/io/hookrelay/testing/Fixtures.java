package io.hookrelay.testing;

import io.hookrelay.store.ClientCertificate;
import io.hookrelay.store.DeliveryRepository.Claimed;
import io.vertx.core.buffer.Buffer;
import java.time.OffsetDateTime;
import io.hookrelay.store.Subscription;
import io.hookrelay.tenant.Scope;
import io.hookrelay.store.SubscriptionPolicy;
import java.util.List;
import java.util.UUID;

/** Domain objects for unit tests, built in one place so that a new field changes one file. */
public final class Fixtures {
  private Fixtures() {}

  /** A claimed delivery, as the claim answers it: untraced and unordered. */
  public static Claimed claimed(UUID id, UUID subscriptionId, int attemptCount, String eventType,
      OffsetDateTime createdAt, Buffer payload) {
    return new Claimed(id, subscriptionId, attemptCount, eventType, createdAt, payload, null, null, null);
  }

  /** An enabled v1 subscription with no filter, no previous secret, no client certificate, the node's policy. */
  public static Subscription subscription(String targetUrl, String secret, int maxInFlight, Integer rateLimitPerS) {
    return subscription(Scope.DEFAULT_TENANT, targetUrl, secret, maxInFlight, rateLimitPerS, null);
  }

  /** The same, presenting {@code certificate} to its target. */
  public static Subscription subscription(String targetUrl, String secret, int maxInFlight, Integer rateLimitPerS,
      ClientCertificate certificate) {
    return subscription(Scope.DEFAULT_TENANT, targetUrl, secret, maxInFlight, rateLimitPerS, certificate);
  }

  /** The same, of the given tenant. */
  public static Subscription subscription(UUID tenantId, String targetUrl, String secret, int maxInFlight,
      Integer rateLimitPerS) {
    return subscription(tenantId, targetUrl, secret, maxInFlight, rateLimitPerS, null);
  }

  private static Subscription subscription(UUID tenantId, String targetUrl, String secret, int maxInFlight,
      Integer rateLimitPerS, ClientCertificate certificate) {
    return new Subscription(UUID.randomUUID(), targetUrl, secret, null, null, Subscription.SCHEME_V1, null, List.of(),
        null, Subscription.ENABLED, null, 0, rateLimitPerS, maxInFlight, SubscriptionPolicy.NODE_DEFAULTS, null, null,
        certificate, Subscription.ORDERING_NONE, Subscription.ON_FAILURE_SKIP, tenantId, true);
  }

  /** The same with its own delivery policy. */
  public static Subscription subscription(String targetUrl, String secret, SubscriptionPolicy policy) {
    Subscription s = subscription(targetUrl, secret, 32, null);
    return new Subscription(s.id(), s.targetUrl(), s.secret(), null, null, s.signatureScheme(), null, s.eventTypes(),
        null, s.status(), null, 0, null, s.maxInFlight(), policy, null, null, null, s.ordering(), s.orderingOnFailure(),
        s.tenantId(), true);
  }
}
