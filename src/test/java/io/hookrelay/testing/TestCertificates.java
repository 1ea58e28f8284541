package io.hookrelay.testing;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/** Certificates made in the test: a CA of its own, and leaves it signs (valid, expired, for names or addresses). */
public final class TestCertificates {
  private static final AtomicLong serials = new AtomicLong(System.currentTimeMillis());

  private TestCertificates() {}

  /** A certificate and its key, with PEM forms for servers, clients and the API. */
  public record Issued(X509Certificate certificate, PrivateKey key) {
    public String certPem() {
      return pem("CERTIFICATE", der(certificate));
    }

    public String keyPem() {
      return pem("PRIVATE KEY", key.getEncoded());
    }

    public PemKeyCertOptions keyCertOptions() {
      return new PemKeyCertOptions().setCertValue(Buffer.buffer(certPem())).setKeyValue(Buffer.buffer(keyPem()));
    }

    /** Trusts this certificate (as a CA). */
    public PemTrustOptions trustOptions() {
      return new PemTrustOptions().addCertValue(Buffer.buffer(certPem()));
    }

    /** This certificate's PEM in a temporary file, as HOOKRELAY_DELIVERY_CA_FILE takes it. */
    public Path writePem() {
      try {
        Path file = Files.createTempFile("hookrelay-ca", ".pem");
        Files.writeString(file, certPem());
        return file;
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** A self-signed CA. */
  public static Issued authority(String name) {
    KeyPair keys = keyPair();
    return sign("CN=" + name, keys, "CN=" + name, keys.getPrivate(), true, List.of(), List.of(),
        Instant.now().minus(Duration.ofDays(1)), Instant.now().plus(Duration.ofDays(30)));
  }

  /** A leaf valid now for these DNS names, signed by the CA. */
  public static Issued leaf(Issued ca, String... dnsNames) {
    return leaf(ca, List.of(dnsNames), List.of(), Instant.now().minus(Duration.ofDays(1)),
        Instant.now().plus(Duration.ofDays(30)));
  }

  /** A leaf for these DNS names and IP addresses, valid between the two instants. */
  public static Issued leaf(Issued ca, List<String> dnsNames, List<String> ipAddresses, Instant notBefore,
      Instant notAfter) {
    String cn = dnsNames.isEmpty() ? ipAddresses.get(0) : dnsNames.get(0);
    return sign("CN=" + cn, keyPair(), ca.certificate().getSubjectX500Principal().getName(), ca.key(), false,
        dnsNames, ipAddresses, notBefore, notAfter);
  }

  private static Issued sign(String subject, KeyPair keys, String issuer, PrivateKey issuerKey, boolean isCa,
      List<String> dnsNames, List<String> ipAddresses, Instant notBefore, Instant notAfter) {
    try {
      JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(new X500Name(issuer),
          BigInteger.valueOf(serials.incrementAndGet()), Date.from(notBefore), Date.from(notAfter),
          new X500Name(subject), keys.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(isCa));
      if (isCa) {
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      } else {
        List<GeneralName> names = new ArrayList<>();
        dnsNames.forEach(n -> names.add(new GeneralName(GeneralName.dNSName, n)));
        ipAddresses.forEach(n -> names.add(new GeneralName(GeneralName.iPAddress, n)));
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
        b.addExtension(Extension.extendedKeyUsage, false,
            new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      }
      X509Certificate cert = new JcaX509CertificateConverter()
          .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(issuerKey)));
      return new Issued(cert, keys.getPrivate());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair keyPair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] der(X509Certificate c) {
    try {
      return c.getEncoded();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }
}
