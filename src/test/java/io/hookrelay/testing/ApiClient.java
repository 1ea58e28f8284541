package io.hookrelay.testing;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The API of a node that runs in another JVM, as a client sees it (TestNode's helpers for a {@link NodeProcess}). */
public final class ApiClient {
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String baseUrl;

  public ApiClient(String baseUrl) {
    this.baseUrl = baseUrl;
  }

  public TestNode.Response get(String path) {
    return send("GET", path, null);
  }

  public TestNode.Response post(String path, JsonObject json) {
    return send("POST", path, json == null ? null : json.encode());
  }

  /** Creates a subscription and answers its id. */
  public String subscribe(String targetUrl, JsonObject extra) {
    JsonObject body = new JsonObject().put("target_url", targetUrl);
    if (extra != null) {
      body.mergeIn(extra);
    }
    TestNode.Response r = post("/subscriptions", body);
    if (r.status() != 201) {
      throw new AssertionError("create subscription: " + r);
    }
    return r.json().getString("id");
  }

  public String ingestUrl(String subscriptionId) {
    return baseUrl + "/ingest/" + subscriptionId;
  }

  private TestNode.Response send(String method, String path, String body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + TestNode.API_KEY)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    try {
      HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new TestNode.Response(r.statusCode(), r.body(), r.headers().map());
    } catch (IOException e) {
      throw new IllegalStateException(method + " " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
