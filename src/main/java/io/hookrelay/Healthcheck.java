package io.hookrelay;

import io.hookrelay.config.ConfigException;
import io.hookrelay.config.ConfigLoader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * {@code java -jar hookrelay.jar healthcheck [url]}: exit 0 when the node's {@code /ready} (or the URL given)
 * answers 200 within a few seconds, else 1. For container HEALTHCHECKs in an image without curl, the way
 * {@code svix-server healthcheck} does it.
 */
final class Healthcheck {
  private static final Duration TIMEOUT = Duration.ofSeconds(3);

  private Healthcheck() {}

  static int run(String[] args, Map<String, String> env) {
    String url;
    if (args.length > 0) {
      url = args[0];
    } else {
      try {
        url = "http://127.0.0.1:" + ConfigLoader.load(env).httpPort() + "/ready";
      } catch (ConfigException e) {
        System.err.println("healthcheck: configuration error: " + e.getMessage());
        return 1;
      }
    }
    try {
      HttpResponse<Void> r = HttpClient.newBuilder().connectTimeout(TIMEOUT).build()
          .send(HttpRequest.newBuilder(URI.create(url)).timeout(TIMEOUT).build(), HttpResponse.BodyHandlers.discarding());
      if (r.statusCode() == 200) {
        return 0;
      }
      System.err.println("healthcheck: " + url + " answered " + r.statusCode());
    } catch (IOException | IllegalArgumentException e) {
      // a refused connection has no message, only its type
      System.err.println("healthcheck: " + url + " did not answer ("
          + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()) + ")");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 1;
  }
}
