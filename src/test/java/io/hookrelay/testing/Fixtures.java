package io.hookrelay.testing;

import io.hookrelay.store.Subscription;
import io.hookrelay.store.SubscriptionPolicy;
import java.util.List;
import java.util.UUID;

/** Domain objects for unit tests, built in one place so that a new field changes one file. */
public final class Fixtures {
  private Fixtures() {}

  /** An enabled v1 subscription with no filter and no previous secret, with the node's delivery policy. */
  public static Subscription subscription(String targetUrl, String secret, int maxInFlight, Integer rateLimitPerS) {
    return new Subscription(UUID.randomUUID(), targetUrl, secret, null, null, Subscription.SCHEME_V1, null, List.of(),
        null, Subscription.ENABLED, null, 0, rateLimitPerS, maxInFlight, SubscriptionPolicy.NODE_DEFAULTS, null, null);
  }

  /** The same with its own delivery policy. */
  public static Subscription subscription(String targetUrl, String secret, SubscriptionPolicy policy) {
    Subscription s = subscription(targetUrl, secret, 32, null);
    return new Subscription(s.id(), s.targetUrl(), s.secret(), null, null, s.signatureScheme(), null, s.eventTypes(),
        null, s.status(), null, 0, null, s.maxInFlight(), policy, null, null);
  }
}
