package io.hookrelay.store;

import io.vertx.core.json.JsonObject;
import java.time.OffsetDateTime;

/**
 * The certificate and private key a subscription presents to its target (mutual TLS), as PEM; the API shows only
 * the certificate's subject, fingerprint and expiry, never the key.
 */
public record ClientCertificate(String certPem, String keyPem, String subject, String fingerprint,
    OffsetDateTime notAfter) {

  /** The public view. */
  public JsonObject toJson() {
    return new JsonObject().put("subject", subject).put("fingerprint_sha256", fingerprint)
        .put("not_after", Times.iso(notAfter));
  }

  @Override
  public String toString() {
    return "ClientCertificate[" + subject + ", sha256 " + fingerprint + "]";
  }
}
