package io.hookrelay.testing;

import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTPS receiver for TLS tests: serves the certificate it is given (with SNI on, optionally requiring a client
 * certificate from a CA, optionally offering HTTP/2 by ALPN), answers 200, and records what each request showed of
 * the handshake.
 */
public final class TlsReceiver implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final List<Seen> seen = new CopyOnWriteArrayList<>();
  private HttpServer server;

  /** What one request showed: the SNI name, the protocol, the Host header, the client certificate's subject. */
  public record Seen(String serverName, HttpVersion version, String host, String clientSubject) {}

  /** Serves this certificate. */
  public static TlsReceiver start(TestCertificates.Issued certificate) {
    return start(options(certificate));
  }

  /** Serves this certificate and requires a client certificate signed by {@code clientCa}. */
  public static TlsReceiver requiringClientCertificate(TestCertificates.Issued certificate,
      TestCertificates.Issued clientCa) {
    return start(options(certificate).setClientAuth(ClientAuth.REQUIRED).setTrustOptions(clientCa.trustOptions()));
  }

  /** Serves this certificate and offers HTTP/2 and HTTP/1.1 by ALPN. */
  public static TlsReceiver offeringHttp2(TestCertificates.Issued certificate) {
    return start(options(certificate).setUseAlpn(true)
        .setAlpnVersions(List.of(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1)));
  }

  private static HttpServerOptions options(TestCertificates.Issued certificate) {
    return new HttpServerOptions().setSsl(true).setSni(true).setKeyCertOptions(certificate.keyCertOptions());
  }

  private static TlsReceiver start(HttpServerOptions options) {
    TlsReceiver r = new TlsReceiver();
    try {
      r.server = r.vertx.createHttpServer(options).requestHandler(r::handle).listen(0, "127.0.0.1")
          .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return r;
  }

  private void handle(HttpServerRequest request) {
    String client;
    try {
      client = ((X509Certificate) request.connection().peerCertificates().get(0)).getSubjectX500Principal().getName();
    } catch (Exception e) {
      client = null;
    }
    seen.add(new Seen(request.connection().indicatedServerName(), request.version(), request.authority() == null
        ? null : request.authority().host(), client));
    request.body().onComplete(ar -> request.response().setStatusCode(200).end("ok"));
  }

  public int port() {
    return server.actualPort();
  }

  /** The URL of this receiver under a host name (which the test's hosts file maps to 127.0.0.1). */
  public String url(String host) {
    return "https://" + host + ":" + port() + "/hook";
  }

  public List<Seen> seen() {
    return List.copyOf(seen);
  }

  public int count() {
    return seen.size();
  }

  @Override
  public void close() {
    vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
  }
}
