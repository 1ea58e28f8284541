package io.hookrelay.delivery;

import io.hookrelay.Version;
import io.hookrelay.config.HookrelayConfig;
import io.hookrelay.delivery.OutcomePolicy.Answer;
import io.hookrelay.store.DeliveryRepository.Claimed;
import io.hookrelay.store.Subscription;
import io.hookrelay.tracing.Tracing;
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
import io.hookrelay.delivery.TargetResolver.TargetRefusedException;
import io.hookrelay.store.ClientCertificate;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.TrustOptions;
import java.net.URI;
import java.security.KeyStore;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * One request to a target: resolves its host and refuses private addresses outside the allowed subnets (then connects
 * to the address that was checked), speaks TLS with the target's name for SNI and certificate checks (and the
 * subscription's client certificate, if it has one), goes through the outbound proxy when one is set, sets the
 * subscription's static headers, ours and the Standard Webhooks signature, waits the subscription's timeout (or
 * the node's), sends the payload byte for byte, and keeps at most
 * {@value #RESPONSE_BODY_LIMIT} bytes of the answer. Redirects are not followed. Answers how it went, never fails.
 */
public final class TargetClient {
  static final int RESPONSE_BODY_LIMIT = 4096;
  /** How many clients with distinct client certificates stay open; the least recently used is closed beyond it. */
  static final int MAX_CERTIFICATE_CLIENTS = 64;
  private static final int ERROR_LIMIT = 500;
  private static final long CONNECT_TIMEOUT_MS = 5000;
  private static final String USER_AGENT = "hookrelay/" + Version.VERSION;

  private final Vertx vertx;
  private final boolean allowPrivateTargets;
  private final long timeoutMs;
  private final TargetResolver resolver;
  private final WebClientOptions tlsOptions;
  private final WebClient plain;
  private final WebClient tls;
  private final Map<String, WebClient> withCertificate = new LinkedHashMap<>(16, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, WebClient> eldest) {
      if (size() > MAX_CERTIFICATE_CLIENTS) {
        eldest.getValue().close(); // requests still on it fail and are retried
        return true;
      }
      return false;
    }
  };

  /** What came back: the answer as the outcome policy reads it, and the start of the response body. */
  public record Response(Answer answer, String body) {}

  public TargetClient(Vertx vertx, HookrelayConfig config) {
    this.vertx = vertx;
    this.allowPrivateTargets = config.allowPrivateTargets();
    this.timeoutMs = config.deliveryTimeout().toMillis();
    this.resolver = new TargetResolver(vertx, config);
    WebClientOptions base = new WebClientOptions()
        .setUserAgentEnabled(false)
        .setFollowRedirects(false)
        .setKeepAlive(true)
        .setConnectTimeout((int) Math.min(timeoutMs, CONNECT_TIMEOUT_MS))
        .setDecompressionSupported(false)
        .setProxyOptions(config.deliveryProxy());
    this.plain = WebClient.create(vertx, base, poolOptions());
    // The certificate is checked against the name in the URL, and that name goes out as SNI, even though the
    // connection is made to an address resolved and checked beforehand.
    this.tlsOptions = new WebClientOptions(base).setVerifyHost(true).setForceSni(true);
    if (!config.deliveryCaCertificates().isEmpty()) {
      tlsOptions.setTrustOptions(trustWithJdkDefaults(config.deliveryCaCertificates()));
    }
    if (config.deliveryHttp2()) {
      tlsOptions.setProtocolVersion(HttpVersion.HTTP_2).setUseAlpn(true)
          .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1));
    }
    this.tls = WebClient.create(vertx, tlsOptions, poolOptions());
  }

  private static PoolOptions poolOptions() {
    return new PoolOptions().setHttp1MaxSize(64).setHttp2MaxSize(4).setMaxWaitQueueSize(-1);
  }

  /** The JDK's trusted authorities plus those of the CA file, so that public targets keep working. */
  static TrustOptions trustWithJdkDefaults(List<X509Certificate> extra) {
    try {
      TrustManagerFactory jdk = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      jdk.init((KeyStore) null);
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int n = 0;
      for (TrustManager tm : jdk.getTrustManagers()) {
        if (tm instanceof X509TrustManager x509) {
          for (X509Certificate c : x509.getAcceptedIssuers()) {
            store.setCertificateEntry("jdk-" + n++, c);
          }
        }
      }
      for (X509Certificate c : extra) {
        store.setCertificateEntry("ca-file-" + n++, c);
      }
      TrustManagerFactory combined = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      combined.init(store);
      return TrustOptions.wrap(combined);
    } catch (Exception e) {
      throw new IllegalStateException("cannot build the delivery trust store: " + e.getMessage(), e);
    }
  }

  /** POSTs the claimed delivery's payload to the subscription's target as attempt {@code attemptNumber}. */
  public Future<Response> send(Subscription s, Claimed claimed, int attemptNumber, OffsetDateTime startedAt) {
    return send(s, claimed, attemptNumber, startedAt, null);
  }

  /** The same, traced: the request gets a client span inside {@code trace} (null when tracing is off). */
  public Future<Response> send(Subscription s, Claimed claimed, int attemptNumber, OffsetDateTime startedAt,
      Tracing.Attempt trace) {
    Tracing.Request span = trace == null ? null : trace.startRequest("POST", s.targetUrl());
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
      prepared = request(s.targetUrl(), clientFor(s.targetUrl(), s.clientCertificate()));
    } catch (RuntimeException e) { // a URL that passed the checks at create but still does not parse
      prepared = Future.failedFuture(e);
    }
    return prepared
        .compose(request -> {
          // The subscription's own headers first: the names set below are refused for them at the API, and set last
          // in any case, so that a signature or an attempt number can never be overridden.
          s.policy().headers().forEach(request::putHeader);
          long timeout = s.policy().timeout() != null ? s.policy().timeout().toMillis() : timeoutMs;
          request.timeout(timeout)
              .connectTimeout(Math.min(timeout, CONNECT_TIMEOUT_MS))
              .putHeader("content-type", "application/json")
              .putHeader("user-agent", USER_AGENT)
              .putHeader("webhook-id", webhookId)
              .putHeader("webhook-timestamp", Long.toString(timestamp))
              .putHeader("webhook-signature", Signer.signatureHeader(keys, webhookId, timestamp, body))
              .putHeader("x-webhook-attempt", Integer.toString(attemptNumber));
          if (claimed.eventType() != null) {
            request.putHeader("x-event-type", claimed.eventType());
          }
          if (span != null) {
            span.inject(request::putHeader);
          }
          return request.as(BodyCodec.pipe(responseBody, false)).sendBuffer(claimed.payload());
        })
        .map(response -> {
          if (span != null) {
            span.answered(response.statusCode());
          }
          return new Response(Answer.http(response.statusCode(), response.getHeader("retry-after")),
              responseBody.text());
        })
        .otherwise(err -> {
          String why = describe(err);
          if (span != null) {
            span.failed(err, why);
          }
          return new Response(Answer.noAnswer(why), responseBody.text());
        });
  }

  public Future<Void> close() {
    plain.close();
    tls.close();
    withCertificate.values().forEach(WebClient::close);
    withCertificate.clear();
    resolver.close();
    return Future.succeededFuture();
  }

  /** The client for this target: plain HTTP, TLS, or TLS presenting the subscription's client certificate. */
  private WebClient clientFor(String targetUrl, ClientCertificate certificate) {
    if (!targetUrl.regionMatches(true, 0, "https:", 0, 6)) {
      return plain;
    }
    if (certificate == null) {
      return tls;
    }
    return withCertificate.computeIfAbsent(certificate.fingerprint(), f -> WebClient.create(vertx,
        new WebClientOptions(tlsOptions).setKeyCertOptions(new PemKeyCertOptions()
            .setCertValue(Buffer.buffer(certificate.certPem())).setKeyValue(Buffer.buffer(certificate.keyPem()))),
        poolOptions()));
  }

  /** A POST to the target; when private targets are refused, to an address checked after resolving the name. */
  private Future<HttpRequest<Buffer>> request(String targetUrl, WebClient client) {
    if (allowPrivateTargets) {
      return Future.succeededFuture(client.postAbs(targetUrl));
    }
    URI uri = URI.create(targetUrl);
    String host = uri.getHost();
    boolean secure = "https".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() > 0 ? uri.getPort() : secure ? 443 : 80;
    return resolver.checked(host).map(address -> {
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      RequestOptions options = new RequestOptions().setHost(host).setPort(port).setSsl(secure)
          .setURI(uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery());
      // Connect to the address that was checked, not to whatever a second lookup answers.
      return client.request(HttpMethod.POST, SocketAddress.inetSocketAddress(port, address.getHostAddress()), options);
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
    } else if (ssl(t) != null) {
      text = "tls: " + tlsReason(ssl(t));
    } else if (message.contains("reset") || message.contains("closed")) {
      text = "connection reset: " + message;
    } else {
      text = name + ": " + message;
    }
    return text.length() > ERROR_LIMIT ? text.substring(0, ERROR_LIMIT) : text;
  }

  private static SSLException ssl(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SSLException e) {
        return e;
      }
    }
    return null;
  }

  /** Why a handshake failed, named first, with the JDK's own words after it. */
  static String tlsReason(SSLException e) {
    String reason = "handshake failed";
    for (Throwable c = e; c != null; c = c.getCause()) {
      String m = c.getMessage() == null ? "" : c.getMessage();
      if (c instanceof CertificateExpiredException) {
        reason = "certificate expired";
        break;
      } else if (c instanceof CertificateNotYetValidException) {
        reason = "certificate not yet valid";
        break;
      } else if (m.contains("No subject alternative") || m.contains("No name matching")) {
        reason = "certificate does not match the host name";
        break;
      } else if (m.contains("unable to find valid certification path")) {
        reason = "certificate signed by an unknown authority";
        break;
      } else if (m.contains("Received fatal alert")) {
        reason = "refused by the target (" + m.substring(m.indexOf("Received fatal alert") + 21).trim() + ")";
        break;
      }
    }
    return reason + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
  }
}
