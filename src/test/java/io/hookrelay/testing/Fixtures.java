package io.hookrelay.testing;

import io.hookrelay.store.Subscription;
import io.hookrelay.tenant.Scope;
import java.util.List;
import java.util.UUID;

/** Domain objects for unit tests, built in one place so that a new field changes one file. */
public final class Fixtures {
  private Fixtures() {}

  /** An enabled v1 subscription with no filter and no previous secret. */
  public static Subscription subscription(String targetUrl, String secret, int maxInFlight, Integer rateLimitPerS) {
    return subscription(Scope.DEFAULT_TENANT, targetUrl, secret, maxInFlight, rateLimitPerS);
  }

  /** The same, of the given tenant. */
  public static Subscription subscription(UUID tenantId, String targetUrl, String secret, int maxInFlight,
      Integer rateLimitPerS) {
    return new Subscription(UUID.randomUUID(), targetUrl, secret, null, null, Subscription.SCHEME_V1, null, List.of(),
        null, Subscription.ENABLED, null, 0, rateLimitPerS, maxInFlight, null, null, tenantId, true);
  }
}
