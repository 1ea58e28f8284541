package io.hookrelay;

import io.hookrelay.api.HttpApiVerticle;
import io.hookrelay.config.ApiKeyFile;
import io.hookrelay.config.ConfigLoader;
import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.config.Role;
import io.hookrelay.delivery.DeliveryVerticle;
import io.hookrelay.embedded.EmbeddedPostgres;
import io.hookrelay.embedded.EmbeddedRedis;
import io.hookrelay.metrics.Metrics;
import io.hookrelay.metrics.MetricsSamplerVerticle;
import io.hookrelay.queue.QueuePollerVerticle;
import io.hookrelay.recovery.RecoveryVerticle;
import io.hookrelay.store.Database;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running hookrelay node: its embedded servers (when no URLs are configured), the schema, the Vert.x instance
 * and the verticles its roles ask for. Starting is blocking and happens before any event loop work.
 */
public final class Node {
  private static final Logger log = LoggerFactory.getLogger(Node.class);

  private final HookrelayConfig config;
  private final Vertx vertx;
  private final Metrics metrics;
  private final EmbeddedPostgres postgres;
  private final EmbeddedRedis redis;
  private boolean stopped;

  private Node(HookrelayConfig config, Vertx vertx, Metrics metrics, EmbeddedPostgres postgres, EmbeddedRedis redis) {
    this.config = config;
    this.vertx = vertx;
    this.metrics = metrics;
    this.postgres = postgres;
    this.redis = redis;
  }

  public HookrelayConfig config() {
    return config;
  }

  public Vertx vertx() {
    return vertx;
  }

  /** This node's meters (and the registry /metrics serves). */
  public Metrics metrics() {
    return metrics;
  }

  /** Starts a node from these variables (the environment, or a test's). Blocking. */
  public static Node start(Map<String, String> env) throws Exception {
    HookrelayConfig config = ConfigLoader.load(env);
    EmbeddedPostgres postgres = null;
    EmbeddedRedis redis = null;
    Vertx vertx = null;
    try {
      if (config.embeddedDatabase()) {
        postgres = EmbeddedPostgres.start(config.dataDir().resolve("postgres"));
        env = ConfigLoader.with(env, "database_url", postgres.url());
      }
      if (config.embeddedRedis()) {
        redis = EmbeddedRedis.start(config.dataDir().resolve("redis"));
        env = ConfigLoader.with(env, "redis_url", redis.url());
      }
      if (config.apiKeys().isEmpty()) {
        ApiKeyFile.Key key = ApiKeyFile.ensure(config.dataDir());
        if (key.generated()) {
          log.warn("no HOOKRELAY_API_KEYS set: generated an API key and stored it in {}\n\n"
              + "    export HOOKRELAY_KEY={}\n"
              + "    curl -H \"Authorization: Bearer $HOOKRELAY_KEY\" http://localhost:{}/subscriptions\n",
              key.file(), key.value(), config.httpPort());
        } else {
          log.info("using the API key stored in {}", key.file());
        }
        env = ConfigLoader.with(env, "api_keys", key.value());
      }
      config = ConfigLoader.load(env);
      Database.migrate(config.databaseUrl());
      Metrics metrics = new Metrics();
      vertx = build(config, metrics).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      Node node = new Node(config, vertx, metrics, postgres, redis);
      node.deploy().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      log.info("hookrelay {} up: roles {}, http on {}:{}", Version.VERSION, config.roles(), config.httpHost(),
          config.httpPort());
      return node;
    } catch (Exception e) {
      if (vertx != null) {
        vertx.close();
      }
      if (redis != null) {
        redis.close();
      }
      if (postgres != null) {
        postgres.close();
      }
      throw e;
    }
  }

  private static Future<Vertx> build(HookrelayConfig config, Metrics metrics) {
    // HTTP server, client, pool and event-bus metrics for free; labels stay bounded (route templates, no paths).
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        .setLabels(java.util.EnumSet.of(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE, Label.POOL_TYPE,
            Label.NAMESPACE, Label.EB_ADDRESS, Label.EB_SIDE, Label.EB_FAILURE)));
    var builder = Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(metrics.registry()));
    if (config.cluster()) {
      return builder.withClusterManager(new io.vertx.spi.cluster.hazelcast.HazelcastClusterManager())
          .buildClustered();
    }
    return Future.succeededFuture(builder.build());
  }

  private Future<Void> deploy() {
    List<Future<String>> deployments = new ArrayList<>();
    if (config.hasRole(Role.DELIVERY)) {
      deployments.add(vertx.deployVerticle(() -> new DeliveryVerticle(config, metrics),
          new DeploymentOptions().setInstances(config.deliveryInstances())));
      deployments.add(vertx.deployVerticle(new QueuePollerVerticle(config, 4096)));
      deployments.add(vertx.deployVerticle(new RecoveryVerticle(config)));
    }
    if (config.hasRole(Role.API)) {
      deployments.add(vertx.deployVerticle(() -> new HttpApiVerticle(config, metrics),
          new DeploymentOptions().setInstances(config.httpInstances())));
    }
    deployments.add(vertx.deployVerticle(new MetricsSamplerVerticle(config, metrics)));
    return Future.all(deployments).mapEmpty();
  }

  /** Graceful stop: verticles stop taking work and finish what they hold, then the embedded servers stop. */
  public synchronized void stop() {
    if (stopped) {
      return;
    }
    stopped = true;
    Duration bound = config.shutdownTimeout();
    log.info("stopping (at most {} s)", bound.toSeconds());
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(bound.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn("vert.x did not close within {} s: {}", bound.toSeconds(), e.toString());
    }
    if (redis != null) {
      redis.close();
    }
    if (postgres != null) {
      postgres.close();
    }
    log.info("stopped");
  }
}
