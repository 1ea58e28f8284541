package io.hookrelay.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.Main;
import io.hookrelay.testing.Await;
import io.hookrelay.testing.TestNode;
import io.hookrelay.testing.TestReceiver;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Three clustered nodes on loopback sharing one PostgreSQL database and one Redis prefix, roles split as in
 * production: node A (in this JVM) serves the API only; B and C are delivery-only nodes, each a child JVM running
 * {@code io.hookrelay.Main}, so that killing one is a real kill -9. Which node made an attempt is read from the
 * DEBUG line each delivery node logs per attempt.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest {
  private static final Duration DEADLINE = Duration.ofSeconds(60);

  private static Map<String, String> shared;
  private static TestNode api;
  private static DeliveryNode b;
  private static DeliveryNode c;
  private static final List<TestReceiver> receivers = new ArrayList<>();

  @BeforeAll
  static void startCluster() throws IOException {
    shared = TestNode.defaults();
    int[] hazelcastPorts = {TestNode.freePort(), TestNode.freePort(), TestNode.freePort()};
    shared.put("HOOKRELAY_CLUSTER", "true");
    // A name of its own, so that no other cluster on this machine (another test run) merges with this one.
    shared.put("HOOKRELAY_CLUSTER_NAME", "hookrelay-test-" + UUID.randomUUID().toString().substring(0, 8));
    shared.put("HOOKRELAY_CLUSTER_HOST", "127.0.0.1");
    shared.put("HOOKRELAY_CLUSTER_MEMBERS", "127.0.0.1:" + hazelcastPorts[0] + ",127.0.0.1:" + hazelcastPorts[1]
        + ",127.0.0.1:" + hazelcastPorts[2]);
    // Short, so that a dead node's entries come back quickly: claimed after 3 s idle.
    shared.put("HOOKRELAY_DELIVERY_TIMEOUT", "1s");
    shared.put("HOOKRELAY_VISIBILITY_TIMEOUT", "3s");

    Map<String, String> a = new HashMap<>(shared);
    a.put("HOOKRELAY_ROLES", "api");
    a.put("HOOKRELAY_CLUSTER_HAZELCAST_PORT", Integer.toString(hazelcastPorts[0]));
    api = TestNode.startWith(a);
    b = DeliveryNode.start("b", hazelcastPorts[1]);
    c = DeliveryNode.start("c", hazelcastPorts[2]);
    b.awaitUp();
    c.awaitUp();
  }

  @AfterAll
  static void stopCluster() {
    for (DeliveryNode n : new DeliveryNode[] {b, c}) {
      if (n != null) {
        n.kill();
      }
    }
    if (api != null) {
      api.close();
    }
    receivers.forEach(TestReceiver::close);
  }

  @Test
  @Order(0)
  void aDeliveryNodeAnswersHealthAndReadyButServesNoApi() throws Exception {
    assertThat(b.get("/health").statusCode()).isEqualTo(200);
    assertThat(b.get("/ready").statusCode()).isEqualTo(200);
    HttpResponse<String> api = b.get("/subscriptions");
    assertThat(api.statusCode()).isEqualTo(404);
    assertThat(new JsonObject(api.body()).getString("error")).isNotBlank();
  }

  @Test
  @Order(1)
  void webhooksIngestedOnTheApiNodeAreDeliveredByBothDeliveryNodes() {
    TestReceiver receiver = receiver(0);
    String subscription = api.subscribe(receiver.url(), null).getString("id");
    long bBefore = b.attempts();
    long cBefore = c.attempts();

    List<String> ids = ingest(subscription, 100);

    awaitSucceeded(ids);
    assertThat(distinctWebhookIds(receiver)).containsAll(ids);
    assertThat(b.attempts() - bBefore).as("attempts made by node b").isPositive();
    assertThat(c.attempts() - cBefore).as("attempts made by node c").isPositive();
  }

  @Test
  @Order(2)
  void aSubscriptionChangedOnTheApiNodeIsSeenByEveryDeliveryNodeAtOnce() {
    TestReceiver before = receiver(0);
    TestReceiver after = receiver(0);
    String subscription = api.subscribe(before.url(), null).getString("id");
    // Enough webhooks that every delivery verticle on both nodes has the subscription cached.
    awaitSucceeded(ingest(subscription, 40));
    assertThat(before.count()).isEqualTo(40);

    assertThat(api.patch("/subscriptions/" + subscription, new JsonObject().put("target_url", after.url())).status())
        .isEqualTo(200);
    List<String> ids = ingest(subscription, 40);

    awaitSucceeded(ids);
    assertThat(distinctWebhookIds(after)).containsExactlyInAnyOrderElementsOf(ids);
    assertThat(before.count()).as("requests to the old target_url after the change").isEqualTo(40);
  }

  @Test
  @Order(3)
  void aDeliveryNodeKilledMidLoadLosesNoWebhook() {
    // Slow answers keep many deliveries in flight on both nodes when one of them dies.
    TestReceiver receiver = receiver(400);
    String subscription = api.subscribe(receiver.url(), null).getString("id");
    List<String> ids = ingest(subscription, 300);
    long bBefore = b.attempts();
    receiver.awaitCount(40, DEADLINE);
    Await.until(DEADLINE, "node b to make attempts", () -> b.attempts() > bBefore);

    b.kill();
    long succeededAtKill = api.count("SELECT count(*) FROM deliveries WHERE status = 'succeeded' AND subscription_id = '"
        + subscription + "'");
    assertThat(succeededAtKill).as("deliveries finished when node b died").isLessThan(ids.size());

    awaitSucceeded(ids);
    assertThat(distinctWebhookIds(receiver)).containsAll(ids);
  }

  private static TestReceiver receiver(long delayMs) {
    TestReceiver r = TestReceiver.start(n -> TestReceiver.Answer.delayed(200, delayMs));
    receivers.add(r);
    return r;
  }

  private static List<String> ingest(String subscription, int n) {
    List<String> ids = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      ids.add(api.ingest(subscription, new JsonObject().put("n", i)));
    }
    return ids;
  }

  private static void awaitSucceeded(List<String> ids) {
    String list = "'" + String.join("','", ids) + "'";
    Await.until(DEADLINE, ids.size() + " deliveries to succeed", () ->
        api.count("SELECT count(*) FROM deliveries WHERE status = 'succeeded' AND id IN (" + list + ")") == ids.size());
  }

  private static Set<String> distinctWebhookIds(TestReceiver receiver) {
    Set<String> ids = new HashSet<>();
    receiver.received().forEach(r -> ids.add(r.header("webhook-id")));
    return ids;
  }

  /** A delivery-only node in a child JVM: the real entry point, its output in a file, killable with kill -9. */
  private static final class DeliveryNode {
    private final String name;
    private final Process process;
    private final Path log;
    private final int httpPort;
    private final HttpClient http = HttpClient.newHttpClient();

    private DeliveryNode(String name, Process process, Path log, int httpPort) {
      this.name = name;
      this.process = process;
      this.log = log;
      this.httpPort = httpPort;
    }

    static DeliveryNode start(String name, int hazelcastPort) throws IOException {
      Path log = Files.createTempFile("hookrelay-cluster-" + name, ".log");
      List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
          "-Xmx384m", "-XX:+UseSerialGC", "-Dlogback.configurationFile=cluster-node-logback.xml",
          "-cp", System.getProperty("java.class.path"), Main.class.getName(), "serve");
      ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
      builder.environment().putAll(shared);
      builder.environment().put("HOOKRELAY_ROLES", "delivery");
      int httpPort = TestNode.freePort();
      builder.environment().put("HOOKRELAY_HTTP_PORT", Integer.toString(httpPort));
      builder.environment().put("HOOKRELAY_CLUSTER_HAZELCAST_PORT", Integer.toString(hazelcastPort));
      builder.environment().put("HOOKRELAY_DATA_DIR", Files.createTempDirectory("hookrelay-" + name).toString());
      return new DeliveryNode(name, builder.start(), log, httpPort);
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path)).build(),
          HttpResponse.BodyHandlers.ofString());
    }

    void awaitUp() {
      Await.until(DEADLINE, "node " + name + " to start (log: " + log + ")", () -> {
        if (!process.isAlive()) {
          throw new AssertionError("node " + name + " exited with " + process.exitValue() + ":\n" + lines());
        }
        return lines().stream().anyMatch(l -> l.contains("hookrelay") && l.contains(" up: roles"));
      });
    }

    /** Delivery attempts this node has logged so far. */
    long attempts() {
      return lines().stream().filter(l -> l.contains("DeliveryVerticle") && l.contains(" of delivery ")).count();
    }

    void kill() {
      process.destroyForcibly();
      try {
        process.waitFor();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private List<String> lines() {
      try {
        return Files.readAllLines(log, StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
