package io.hookrelay;

import com.hazelcast.config.XmlConfigBuilder;
import io.hookrelay.api.HealthVerticle;
import io.hookrelay.api.HttpApiVerticle;
import io.hookrelay.config.ApiKeyFile;
import io.hookrelay.config.ConfigException;
import io.hookrelay.config.ConfigLoader;
import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.config.Role;
import io.hookrelay.delivery.DeliveryVerticle;
import io.hookrelay.delivery.SubscriptionCache;
import io.hookrelay.embedded.EmbeddedPostgres;
import io.hookrelay.embedded.EmbeddedRedis;
import io.hookrelay.metrics.Metrics;
import io.hookrelay.metrics.MetricsSamplerVerticle;
import io.hookrelay.ops.OperationalEvents;
import io.hookrelay.ops.OperationalWebhookVerticle;
import io.hookrelay.queue.QueuePollerVerticle;
import io.hookrelay.recovery.RecoveryVerticle;
import io.hookrelay.retention.RetentionVerticle;
import io.hookrelay.store.Database;
import io.hookrelay.tenant.TenantPurgeVerticle;
import io.hookrelay.tracing.Tracing;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.spi.cluster.hazelcast.HazelcastClusterManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
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
  private final Tracing tracing;
  private final List<List<String>> stopStages = new ArrayList<>();
  private boolean stopped;

  private Node(HookrelayConfig config, Vertx vertx, Metrics metrics, EmbeddedPostgres postgres, EmbeddedRedis redis,
      Tracing tracing) {
    this.config = config;
    this.vertx = vertx;
    this.metrics = metrics;
    this.postgres = postgres;
    this.redis = redis;
    this.tracing = tracing;
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
    StartupChecks.httpPortFree(config);
    StartupChecks.embeddedServersAvailable(config);
    EmbeddedPostgres postgres = null;
    EmbeddedRedis redis = null;
    Vertx vertx = null;
    Tracing tracing = Tracing.OFF;
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
              + "    export KEY=$(cat {})\n"
              + "    curl -H \"Authorization: Bearer $KEY\" http://localhost:{}/subscriptions\n",
              key.file(), key.file(), config.httpPort());
        } else {
          log.info("using the API key stored in {}", key.file());
        }
        env = ConfigLoader.with(env, "api_keys", key.value());
      }
      config = ConfigLoader.load(env);
      Database.migrate(config.databaseUrl());
      Metrics metrics = new Metrics();
      // The OTEL_* variables are the SDK's own configuration, handed over as they are.
      tracing = Tracing.start(env, config.propagateTraceContext());
      vertx = build(config, metrics).toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      Node node = new Node(config, vertx, metrics, postgres, redis, tracing);
      node.deploy().toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
      log.info("hookrelay {} up: roles {}, http on {}:{}", Version.VERSION, config.roles(), config.httpHost(),
          config.httpPort());
      return node;
    } catch (Exception e) {
      if (vertx != null) {
        vertx.close();
      }
      tracing.close();
      if (redis != null) {
        redis.close();
      }
      if (postgres != null) {
        postgres.close();
      }
      throw e;
    }
  }

  private static Future<Vertx> build(HookrelayConfig config, Metrics metrics) throws IOException {
    // HTTP server and pool metrics for free; labels stay bounded (route templates, no paths). Event-bus and HTTP
    // client metrics are off: they cost a meter lookup per message and per attempt on the delivery path (a tenth of
    // its CPU in a profile), and hookrelay_attempts_* and hookrelay_attempt_duration_* say the same for attempts.
    VertxOptions options = new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(true)
        .setDisabledMetricsCategories(java.util.Set.of(MetricsDomain.EVENT_BUS.toCategory(),
            MetricsDomain.HTTP_CLIENT.toCategory()))
        .setLabels(java.util.EnumSet.of(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE, Label.POOL_TYPE,
            Label.NAMESPACE, Label.EB_ADDRESS, Label.EB_SIDE, Label.EB_FAILURE)));
    if (config.cluster()) {
      // The event bus is a TCP server of its own: bound here, advertised to the others as the public host.
      options.getEventBusOptions().setHost(config.clusterHost()).setPort(config.clusterPort());
      if (!config.clusterPublicHost().isEmpty()) {
        options.getEventBusOptions().setClusterPublicHost(config.clusterPublicHost());
      }
    }
    var builder = Vertx.builder().with(options).withMetrics(new MicrometerMetricsFactory(metrics.registry()));
    if (config.cluster()) {
      log.info("joining cluster '{}' ({} join, members {}), event bus on {}:{}", config.clusterName(),
          config.clusterJoin(), config.clusterMembers(), config.clusterAdvertisedHost(),
          config.clusterPort() == 0 ? "any free port" : config.clusterPort());
      return builder.withClusterManager(new HazelcastClusterManager(hazelcastConfig(config)))
          .buildClustered();
    }
    return Future.succeededFuture(builder.build());
  }

  /** conf/cluster.xml (the working directory's, else the jar's), its placeholders filled from the configuration. */
  static com.hazelcast.config.Config hazelcastConfig(HookrelayConfig config) throws IOException {
    Properties values = new Properties();
    values.setProperty("hookrelay.cluster.name", config.clusterName());
    values.setProperty("hookrelay.cluster.hazelcast_port", Integer.toString(config.clusterHazelcastPort()));
    values.setProperty("hookrelay.cluster.public_host", config.clusterAdvertisedHost());
    boolean bindToHost = !ConfigLoader.isWildcard(config.clusterHost());
    values.setProperty("hookrelay.cluster.bind_to_host", Boolean.toString(bindToHost));
    values.setProperty("hookrelay.cluster.bind_any", Boolean.toString(!bindToHost));
    values.setProperty("hookrelay.cluster.host", config.clusterHost());
    values.setProperty("hookrelay.cluster.tcp", Boolean.toString(config.clusterJoin().equals("tcp")));
    values.setProperty("hookrelay.cluster.multicast", Boolean.toString(config.clusterJoin().equals("multicast")));
    values.setProperty("hookrelay.cluster.members", String.join(",", config.clusterMembers()));
    Path file = Path.of("conf", "cluster.xml");
    try (InputStream in = Files.isRegularFile(file) ? Files.newInputStream(file)
        : Node.class.getResourceAsStream("/conf/cluster.xml")) {
      if (in == null) {
        throw new ConfigException("conf/cluster.xml: not found in the working directory nor inside the jar");
      }
      return new XmlConfigBuilder(in).setProperties(values).build();
    }
  }

  /** Verticles that start together and, on the way out, stop together. */
  private record Stage(String name, List<Deployment> verticles) {}

  /** One verticle class and how many instances of it. */
  private record Deployment(Supplier<Deployable> verticle, int instances) {}

  private Future<Void> deploy() {
    // The shared pool's connections come from a client owned by whoever created the pool first; created inside a
    // verticle, undeploying that verticle would close it for every other one. Created here, outside any verticle,
    // it lives as long as Vert.x, and verticles can come and go.
    io.vertx.sqlclient.Pool pool = Database.pool(vertx, config.databaseUrl(), config.databasePoolSize());
    // All start at once; they stop in this order: no new webhooks, then no new jobs, then the workers finish what
    // they hold.
    List<Stage> stages = List.of(
        new Stage("api", apiVerticles()),
        new Stage("feeders", feederVerticles()),
        new Stage("workers", workerVerticles()));
    List<List<Future<String>>> deployed = new ArrayList<>();
    for (int i = stages.size() - 1; i >= 0; i--) { // workers first, so that jobs have somewhere to go
      deployed.add(0, stages.get(i).verticles().stream().map(d -> vertx.deployVerticle(d.verticle(),
          new DeploymentOptions().setInstances(d.instances()))).toList());
    }
    List<Future<String>> all = new ArrayList<>(deployed.stream().flatMap(List::stream).toList());
    all.add(OperationalEvents.configure(pool, config)
        .onSuccess(v -> SubscriptionCache.publishChange(vertx, OperationalEvents.SUBSCRIPTION))
        .map("operational subscription"));
    return Future.all(all).onSuccess(v -> deployed.forEach(stage -> stopStages.add(
        stage.stream().map(Future::result).toList()))).mapEmpty();
  }

  /** The HTTP API, or where the node has none, the health endpoints orchestrators and load balancers probe. */
  private List<Deployment> apiVerticles() {
    if (config.hasRole(Role.API)) {
      return List.of(new Deployment(() -> new HttpApiVerticle(config, metrics, tracing), config.httpInstances()));
    }
    return List.of(new Deployment(() -> new HealthVerticle(config, metrics), 1));
  }

  /** What hands out work: the queue poller and recovery (delivery), the retention sweep, the metrics sampler. */
  private List<Deployment> feederVerticles() {
    List<Deployment> feeders = new ArrayList<>();
    if (config.hasRole(Role.DELIVERY)) {
      feeders.add(new Deployment(() -> new QueuePollerVerticle(config, 4096), 1));
      feeders.add(new Deployment(() -> new RecoveryVerticle(config), 1));
    }
    if (config.hasRole(Role.RETENTION)) {
      feeders.add(new Deployment(() -> new RetentionVerticle(config), 1));
      feeders.add(new Deployment(() -> new TenantPurgeVerticle(config, metrics), 1));
    }
    feeders.add(new Deployment(() -> new MetricsSamplerVerticle(config, metrics), 1));
    return feeders;
  }

  /** The delivery instances, and where hookrelay's own events are stored (stopped last, so none is dropped). */
  private List<Deployment> workerVerticles() {
    List<Deployment> workers = new ArrayList<>();
    if (config.hasRole(Role.DELIVERY)) {
      workers.add(new Deployment(() -> new DeliveryVerticle(config, metrics, tracing), config.deliveryInstances()));
    }
    if (!config.operationalWebhookUrl().isEmpty()) {
      workers.add(new Deployment(() -> new OperationalWebhookVerticle(config), 1));
    }
    return workers;
  }

  /** Undeploys stage after stage; each stage's verticles stop together. */
  private Future<Void> undeployInOrder(int stage) {
    if (stage >= stopStages.size()) {
      return Future.succeededFuture();
    }
    List<Future<Void>> undeployed = new ArrayList<>();
    for (String id : stopStages.get(stage)) {
      undeployed.add(vertx.undeploy(id));
    }
    return Future.join(undeployed).<Void>mapEmpty().recover(err -> Future.succeededFuture())
        .compose(v -> undeployInOrder(stage + 1));
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
      undeployInOrder(0).eventually(() -> vertx.close())
          .toCompletionStage().toCompletableFuture().get(bound.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      log.warn("vert.x did not close within {} s: {}", bound.toSeconds(), e.toString());
    }
    tracing.close(); // the last attempts' spans ended before Vert.x closed
    if (redis != null) {
      redis.close();
    }
    if (postgres != null) {
      postgres.close();
    }
    log.info("stopped");
  }
}
