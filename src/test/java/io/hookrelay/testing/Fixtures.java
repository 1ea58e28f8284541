package io.hookrelay.testing;

import io.hookrelay.store.ClientCertificate;
import io.hookrelay.store.Subscription;
import java.util.List;
import java.util.UUID;

/** Domain objects for unit tests, built in one place so that a new field changes one file. */
public final class Fixtures {
  private Fixtures() {}

  /** An enabled v1 subscription with no filter, no previous secret and no client certificate. */
  public static Subscription subscription(String targetUrl, String secret, int maxInFlight, Integer rateLimitPerS) {
    return subscription(targetUrl, secret, maxInFlight, rateLimitPerS, null);
  }

  /** The same, presenting {@code certificate} to its target. */
  public static Subscription subscription(String targetUrl, String secret, int maxInFlight, Integer rateLimitPerS,
      ClientCertificate certificate) {
    return new Subscription(UUID.randomUUID(), targetUrl, secret, null, null, Subscription.SCHEME_V1, null, List.of(),
        null, Subscription.ENABLED, null, 0, rateLimitPerS, maxInFlight, null, null, certificate);
  }
}
