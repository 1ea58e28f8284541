package io.hookrelay.delivery;

import io.hookrelay.Version;
import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.delivery.OutcomePolicy.Answer;
import io.hookrelay.store.DeliveryRepository.Claimed;
import io.hookrelay.store.Subscription;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import io.vertx.ext.web.codec.BodyCodec;
import java.net.InetAddress;
import java.net.URI;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * One request to a target: resolves its host and refuses private addresses (then connects to the address that was
 * checked), sets the headers and the Standard Webhooks signature, sends the payload byte for byte, and keeps at most
 * {@value #RESPONSE_BODY_LIMIT} bytes of the answer. Redirects are not followed. Answers how it went, never fails.
 */
public final class TargetClient {
  static final int RESPONSE_BODY_LIMIT = 4096;
  private static final int ERROR_LIMIT = 500;
  private static final String USER_AGENT = "hookrelay/" + Version.VERSION;

  private final Vertx vertx;
  private final boolean allowPrivateTargets;
  private final long timeoutMs;
  private final WebClient client;

  /** What came back: the answer as the outcome policy reads it, and the start of the response body. */
  public record Response(Answer answer, String body) {}

  public TargetClient(Vertx vertx, HookrelayConfig config) {
    this.vertx = vertx;
    this.allowPrivateTargets = config.allowPrivateTargets();
    this.timeoutMs = config.deliveryTimeout().toMillis();
    this.client = WebClient.create(vertx, new WebClientOptions()
            .setUserAgentEnabled(false)
            .setFollowRedirects(false)
            .setKeepAlive(true)
            .setConnectTimeout((int) Math.min(timeoutMs, 5000))
            .setDecompressionSupported(false),
        new PoolOptions().setHttp1MaxSize(64).setMaxWaitQueueSize(-1));
  }

  /** POSTs the claimed delivery's payload to the subscription's target as attempt {@code attemptNumber}. */
  public Future<Response> send(Subscription s, Claimed claimed, int attemptNumber, OffsetDateTime startedAt) {
    long timestamp = startedAt.toEpochSecond();
    byte[] body = claimed.payload().getBytes();
    List<SigningKey> keys = new ArrayList<>(2);
    for (String secret : s.signingSecrets(startedAt)) {
      keys.add(SigningKey.parse(secret));
    }
    String webhookId = claimed.id().toString();
    BoundedBody responseBody = new BoundedBody(RESPONSE_BODY_LIMIT);
    Future<HttpRequest<Buffer>> prepared;
    try {
      prepared = request(s.targetUrl());
    } catch (RuntimeException e) { // a URL that passed the checks at create but still does not parse
      prepared = Future.failedFuture(e);
    }
    return prepared
        .compose(request -> {
          request.timeout(timeoutMs)
              .putHeader("content-type", "application/json")
              .putHeader("user-agent", USER_AGENT)
              .putHeader("webhook-id", webhookId)
              .putHeader("webhook-timestamp", Long.toString(timestamp))
              .putHeader("webhook-signature", Signer.signatureHeader(keys, webhookId, timestamp, body))
              .putHeader("x-webhook-attempt", Integer.toString(attemptNumber));
          if (claimed.eventType() != null) {
            request.putHeader("x-event-type", claimed.eventType());
          }
          return request.as(BodyCodec.pipe(responseBody, false)).sendBuffer(claimed.payload());
        })
        .map(response -> new Response(Answer.http(response.statusCode(), response.getHeader("retry-after")),
            responseBody.text()))
        .otherwise(err -> new Response(Answer.noAnswer(describe(err)), responseBody.text()));
  }

  public Future<Void> close() {
    client.close();
    return Future.succeededFuture();
  }

  /** A POST to the target; when private targets are refused, to an address checked after resolving the name. */
  private Future<HttpRequest<Buffer>> request(String targetUrl) {
    if (allowPrivateTargets) {
      return Future.succeededFuture(client.postAbs(targetUrl));
    }
    URI uri = URI.create(targetUrl);
    String host = uri.getHost();
    boolean tls = "https".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() > 0 ? uri.getPort() : tls ? 443 : 80;
    return vertx.executeBlocking(() -> InetAddress.getAllByName(host), false).compose(addresses -> {
      for (InetAddress a : addresses) {
        if (TargetGuard.isPrivate(a)) {
          return Future.failedFuture(new TargetRefusedException(host + " resolves to a private address"));
        }
      }
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      RequestOptions options = new RequestOptions().setHost(host).setPort(port).setSsl(tls)
          .setURI(uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery());
      // Connect to the address that was checked, not to whatever a second lookup answers.
      return Future.succeededFuture(client.request(HttpMethod.POST,
          SocketAddress.inetSocketAddress(port, addresses[0].getHostAddress()), options));
    });
  }

  /** A short, stable description of why an attempt got no HTTP answer. */
  static String describe(Throwable t) {
    String name = t.getClass().getSimpleName();
    String message = t.getMessage() == null ? "" : t.getMessage();
    String text;
    if (t instanceof TargetRefusedException) {
      text = "target refused: " + message;
    } else if (t instanceof java.util.concurrent.TimeoutException || name.contains("Timeout")) {
      text = "timeout: " + message;
    } else if (t instanceof java.net.ConnectException || message.contains("Connection refused")) {
      text = "connection refused: " + message;
    } else if (t instanceof java.net.UnknownHostException || name.contains("UnknownHost")) {
      text = "dns: unknown host " + message;
    } else if (t instanceof javax.net.ssl.SSLException) {
      text = "tls: " + message;
    } else if (message.contains("reset") || message.contains("closed")) {
      text = "connection reset: " + message;
    } else {
      text = name + ": " + message;
    }
    return text.length() > ERROR_LIMIT ? text.substring(0, ERROR_LIMIT) : text;
  }

  /** The target resolved to an address that is refused. */
  static final class TargetRefusedException extends RuntimeException {
    TargetRefusedException(String message) {
      super(message, null, false, false);
    }
  }
}
