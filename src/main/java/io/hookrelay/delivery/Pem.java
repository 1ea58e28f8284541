package io.hookrelay.delivery;

import io.hookrelay.store.ClientCertificate;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import javax.net.ssl.X509KeyManager;

/** Reads PEM certificates and client certificate/key pairs, with the reason when they cannot be used. */
public final class Pem {
  private Pem() {}

  /** Every certificate in a PEM text (a bundle or a chain); fails with the reason when one does not parse. */
  public static List<X509Certificate> certificates(String text) {
    if (text == null || !text.contains("-----BEGIN CERTIFICATE-----")) {
      throw new IllegalArgumentException("holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
    }
    try {
      return CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(text.getBytes(StandardCharsets.US_ASCII))).stream()
          .map(c -> (X509Certificate) c).toList();
    } catch (CertificateException e) {
      throw new IllegalArgumentException("is not a readable PEM certificate (" + e.getMessage() + ")");
    }
  }

  /**
   * A client certificate (leaf first, then any intermediates) and its private key (PKCS#8, or PKCS#1 RSA), checked
   * to belong together; fails naming the part that is wrong ("cert: ...", "key: ...").
   */
  public static ClientCertificate clientCertificate(Vertx vertx, String certPem, String keyPem) {
    List<X509Certificate> chain;
    try {
      chain = certificates(certPem);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cert " + e.getMessage());
    }
    X509Certificate leaf = chain.get(0);
    if (keyPem == null || !keyPem.contains("PRIVATE KEY-----")) {
      throw new IllegalArgumentException("key holds no PEM private key (-----BEGIN PRIVATE KEY-----)");
    }
    PrivateKey key;
    try {
      X509KeyManager keys = (X509KeyManager) new PemKeyCertOptions().setCertValue(Buffer.buffer(certPem))
          .setKeyValue(Buffer.buffer(keyPem)).getKeyManagerFactory(vertx).getKeyManagers()[0];
      String[] aliases = keys.getClientAliases(leaf.getPublicKey().getAlgorithm(), null);
      key = aliases == null || aliases.length == 0 ? null : keys.getPrivateKey(aliases[0]);
    } catch (Exception e) {
      throw new IllegalArgumentException("key is not a readable PEM private key (" + e.getMessage() + ")");
    }
    if (key == null || !belongTogether(leaf, key)) {
      throw new IllegalArgumentException("key does not belong to the certificate's public key");
    }
    return new ClientCertificate(certPem, keyPem, leaf.getSubjectX500Principal().getName(), fingerprint(leaf),
        OffsetDateTime.ofInstant(leaf.getNotAfter().toInstant(), ZoneOffset.UTC));
  }

  /** The SHA-256 of the certificate's DER form, as lower-case hex. */
  public static String fingerprint(X509Certificate certificate) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean belongTogether(X509Certificate certificate, PrivateKey key) {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "Ed25519", "EdDSA" -> "Ed25519";
      default -> null;
    };
    if (algorithm == null) {
      return false;
    }
    try {
      byte[] probe = "hookrelay client certificate check".getBytes(StandardCharsets.US_ASCII);
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(probe);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(certificate.getPublicKey());
      verifier.update(probe);
      return verifier.verify(signature);
    } catch (Exception e) {
      return false;
    }
  }
}
