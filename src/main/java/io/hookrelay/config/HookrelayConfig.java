package io.hookrelay.config;

import io.hookrelay.delivery.Cidr;
import io.vertx.core.net.ProxyOptions;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Every setting of a node, read once at start-up (conf/config.json overridden by HOOKRELAY_* variables)
 * and passed down; nothing deeper reads the environment.
 */
public record HookrelayConfig(
    String httpHost,
    int httpPort,
    int httpInstances,
    String databaseUrl,
    int databasePoolSize,
    String redisUrl,
    String redisKeyPrefix,
    Path dataDir,
    List<String> apiKeys,
    boolean allowPrivateTargets,
    List<Duration> retrySchedule,
    int maxAttempts,
    Duration deliveryTimeout,
    int deliveryInstances,
    int maxInFlight,
    int circuitBreakerThreshold,
    Duration secretOverlap,
    Duration visibilityTimeout,
    int maxBodyBytes,
    long backlogLimit,
    int ingestBatchSize,
    Duration ingestBatchDelay,
    Duration recoveryInterval,
    Duration recoveryGrace,
    int retentionHours,
    Duration retentionInterval,
    int retentionBatchSize,
    Set<Role> roles,
    boolean cluster,
    String clusterHost,
    int clusterPort,
    String clusterPublicHost,
    List<String> clusterMembers,
    String clusterJoin,
    String clusterName,
    int clusterHazelcastPort,
    Duration shutdownTimeout,
    String logFormat,
    List<Cidr> allowedTargetSubnets,
    String deliveryHosts,
    List<X509Certificate> deliveryCaCertificates,
    ProxyOptions deliveryProxy,
    boolean deliveryHttp2,
    boolean propagateTraceContext,
    boolean requireKnownEventTypes,
    Duration portalLinkTtl,
    String portalFrameAncestors,
    String publicUrl,
    String operationalWebhookUrl,
    String operationalWebhookSecret) {

  public boolean embeddedDatabase() {
    return databaseUrl.isBlank();
  }

  public boolean embeddedRedis() {
    return redisUrl.isBlank();
  }

  public boolean hasRole(Role role) {
    return roles.contains(role);
  }

  /** The address other nodes reach this one at: the public host when set, else the bound host. */
  public String clusterAdvertisedHost() {
    return clusterPublicHost.isEmpty() ? clusterHost : clusterPublicHost;
  }
}
