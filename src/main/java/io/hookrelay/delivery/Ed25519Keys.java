package io.hookrelay.delivery;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.interfaces.EdECPrivateKey;
import java.security.spec.EdECPrivateKeySpec;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The v1a key formats of Standard Webhooks on the JDK's own Ed25519 provider: "whsk_" + base64 of the 32-byte private
 * seed, "whpk_" + base64 of the 32-byte public key (the same raw forms as RFC 8032 and Go's crypto/ed25519).
 */
final class Ed25519Keys {
  static final String PRIVATE_PREFIX = "whsk_";
  static final String PUBLIC_PREFIX = "whpk_";
  static final String ALGORITHM = "Ed25519";
  private static final int KEY_BYTES = 32;
  // SubjectPublicKeyInfo for id-Ed25519 (1.3.101.112) up to the BIT STRING holding the 32 raw bytes (RFC 8410)
  private static final byte[] X509_PREFIX = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};
  private static final int MAX_CACHED = 4096;
  private static final ConcurrentMap<String, SigningKey.Ed25519> PARSED = new ConcurrentHashMap<>();

  private Ed25519Keys() {}

  static Signer.KeyPair generate() {
    KeyPair pair;
    try {
      pair = KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JVM has no " + ALGORITHM, e);
    }
    byte[] seed = ((EdECPrivateKey) pair.getPrivate()).getBytes()
        .orElseThrow(() -> new IllegalStateException("the Ed25519 provider does not expose the private seed"));
    byte[] encoded = pair.getPublic().getEncoded();
    if (encoded.length != X509_PREFIX.length + KEY_BYTES
        || !Arrays.equals(encoded, 0, X509_PREFIX.length, X509_PREFIX, 0, X509_PREFIX.length)) {
      throw new IllegalStateException("unexpected X.509 encoding of an Ed25519 public key");
    }
    Base64.Encoder base64 = Base64.getEncoder();
    return new Signer.KeyPair(PRIVATE_PREFIX + base64.encodeToString(seed),
        PUBLIC_PREFIX + base64.encodeToString(Arrays.copyOfRange(encoded, X509_PREFIX.length, encoded.length)));
  }

  /** The parsed "whsk_" key, cached; the cache is emptied whole when full, at worst costing re-parses. */
  static SigningKey.Ed25519 parsed(String privateKey) {
    SigningKey.Ed25519 key = PARSED.get(privateKey);
    if (key == null) {
      byte[] seed = raw(privateKey, PRIVATE_PREFIX);
      try {
        key = new SigningKey.Ed25519(KeyFactory.getInstance(ALGORITHM)
            .generatePrivate(new EdECPrivateKeySpec(NamedParameterSpec.ED25519, seed)));
      } catch (GeneralSecurityException e) {
        throw new IllegalArgumentException("unusable ed25519 private key: " + e.getMessage(), e);
      }
      if (PARSED.size() >= MAX_CACHED) {
        PARSED.clear();
      }
      PARSED.put(privateKey, key);
    }
    return key;
  }

  /** Parses a "whpk_" public key; throws IllegalArgumentException when it is not base64 of 32 bytes. */
  static PublicKey publicKey(String publicKey) {
    byte[] raw = raw(publicKey, PUBLIC_PREFIX);
    byte[] encoded = Arrays.copyOf(X509_PREFIX, X509_PREFIX.length + KEY_BYTES);
    System.arraycopy(raw, 0, encoded, X509_PREFIX.length, KEY_BYTES);
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(encoded));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("unusable ed25519 public key: " + e.getMessage(), e);
    }
  }

  /** True for prefix + base64 of exactly 32 bytes. */
  static boolean isWellFormed(String key, String prefix) {
    try {
      raw(key, prefix);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static byte[] raw(String key, String prefix) {
    if (key == null || !key.startsWith(prefix)) {
      throw new IllegalArgumentException("an ed25519 key here starts with " + prefix);
    }
    byte[] raw = Base64.getDecoder().decode(key.substring(prefix.length()));
    if (raw.length != KEY_BYTES) {
      throw new IllegalArgumentException(prefix + " keys are base64 of " + KEY_BYTES + " bytes, this one has "
          + raw.length);
    }
    return raw;
  }
}
