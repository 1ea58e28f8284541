package io.hookrelay.delivery;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.SignatureException;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs and verifies webhook requests the Standard Webhooks way over "{id}.{timestamp}.{body}": v1 is HMAC-SHA256
 * with a shared secret, v1a is ed25519 with a private key that only hookrelay holds.
 */
public final class Signer {
  public static final String SECRET_PREFIX = "whsec_";
  public static final String PRIVATE_KEY_PREFIX = Ed25519Keys.PRIVATE_PREFIX;
  public static final String PUBLIC_KEY_PREFIX = Ed25519Keys.PUBLIC_PREFIX;

  private static final String ALGORITHM = "HmacSHA256";
  private static final String VERSION_PREFIX = "v1,";
  private static final String ED25519_VERSION_PREFIX = "v1a,";
  private static final int GENERATED_SECRET_BYTES = 32;

  // Mac instances are not thread-safe and costly to look up; one per thread, re-keyed per call.
  private static final ThreadLocal<Mac> MAC = ThreadLocal.withInitial(() -> {
    try {
      return Mac.getInstance(ALGORITHM);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no " + ALGORITHM, e);
    }
  });
  // Signature instances are not thread-safe either; initSign/initVerify re-key them per call.
  private static final ThreadLocal<Signature> ED25519 = ThreadLocal.withInitial(() -> {
    try {
      return Signature.getInstance(Ed25519Keys.ALGORITHM);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no " + Ed25519Keys.ALGORITHM, e);
    }
  });
  private static final SecureRandom RANDOM = new SecureRandom();

  private Signer() {}

  /** A v1a key pair: "whsk_" + base64 of the 32-byte seed, "whpk_" + base64 of the 32-byte public key. */
  public record KeyPair(String privateKey, String publicKey) {}

  /** Decodes a secret: "whsec_" + base64 → the decoded bytes; any other string → its UTF-8 bytes (legacy plain secrets). */
  public static byte[] secretBytes(String secret) {
    if (secret.startsWith(SECRET_PREFIX)) {
      return Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length()));
    }
    return secret.getBytes(StandardCharsets.UTF_8);
  }

  /** "v1," + base64(HMAC-SHA256(key, webhookId + "." + timestampSeconds + "." + body)). */
  public static String sign(byte[] key, String webhookId, long timestampSeconds, byte[] body) {
    return VERSION_PREFIX + Base64.getEncoder().encodeToString(hmac(key, webhookId, timestampSeconds, body));
  }

  /** "v1a," + base64(ed25519(privateKey, webhookId + "." + timestampSeconds + "." + body)). */
  public static String signEd25519(PrivateKey key, String webhookId, long timestampSeconds, byte[] body) {
    Signature signature = ED25519.get();
    try {
      signature.initSign(key);
      signature.update(signedPrefix(webhookId, timestampSeconds));
      signature.update(body);
      return ED25519_VERSION_PREFIX + Base64.getEncoder().encodeToString(signature.sign());
    } catch (InvalidKeyException | SignatureException e) {
      throw new IllegalArgumentException("unusable ed25519 signing key: " + e.getMessage(), e);
    }
  }

  /** One signature in the key's own scheme: "v1,…" for an HMAC key, "v1a,…" for an ed25519 key. */
  public static String sign(SigningKey key, String webhookId, long timestampSeconds, byte[] body) {
    if (key instanceof SigningKey.Ed25519 ed25519) {
      return signEd25519(ed25519.key(), webhookId, timestampSeconds, body);
    }
    return sign(((SigningKey.Hmac) key).key(), webhookId, timestampSeconds, body);
  }

  /**
   * The webhook-signature header value: one signature per live key, space-separated (current first, then previous),
   * each in its key's scheme, so a rotation from v1 to v1a carries one of each while the overlap lasts.
   */
  public static String signatureHeader(List<SigningKey> keys, String webhookId, long timestampSeconds, byte[] body) {
    StringBuilder header = new StringBuilder(keys.size() * 96);
    for (SigningKey key : keys) {
      if (header.length() > 0) {
        header.append(' ');
      }
      header.append(sign(key, webhookId, timestampSeconds, body));
    }
    return header.toString();
  }

  /**
   * Verifies a webhook-signature header against one key with a timestamp tolerance: a "whpk_" public key checks the
   * v1a signatures, any other secret the v1 ones (constant-time compare).
   * The tolerance applies both ways: a timestamp from the future is as suspicious as a replayed old one.
   * Missing or malformed headers give false; a "whsec_" secret that is not base64, or a "whpk_" key that is not
   * base64 of 32 bytes, throws IllegalArgumentException, since that is the caller's configuration error, not the sender's.
   */
  public static boolean verify(String secret, String webhookId, String timestamp, byte[] body,
                               String signatureHeader, long nowSeconds, long toleranceSeconds) {
    if (secret == null || webhookId == null || timestamp == null || body == null || signatureHeader == null) {
      return false;
    }
    long timestampSeconds;
    try {
      timestampSeconds = Long.parseLong(timestamp.trim());
    } catch (NumberFormatException e) {
      return false;
    }
    if (Math.abs(nowSeconds - timestampSeconds) > toleranceSeconds) {
      return false;
    }
    if (secret.startsWith(PUBLIC_KEY_PREFIX)) {
      return verifyEd25519(Ed25519Keys.publicKey(secret), webhookId, timestampSeconds, body, signatureHeader);
    }
    byte[] expected = hmac(secretBytes(secret), webhookId, timestampSeconds, body);
    Base64.Decoder decoder = Base64.getDecoder();
    boolean match = false;
    for (String candidate : signatureHeader.trim().split(" +")) {
      if (!candidate.startsWith(VERSION_PREFIX)) {
        continue; // other schemes (e.g. v1a) may sit next to v1; they are not ours to check
      }
      byte[] given;
      try {
        given = decoder.decode(candidate.substring(VERSION_PREFIX.length()));
      } catch (IllegalArgumentException e) {
        continue;
      }
      // no early exit, so the time taken does not tell which candidate matched
      match |= MessageDigest.isEqual(expected, given);
    }
    return match;
  }

  private static boolean verifyEd25519(PublicKey key, String webhookId, long timestampSeconds, byte[] body,
                                       String signatureHeader) {
    Signature verifier = ED25519.get();
    for (String candidate : signatureHeader.trim().split(" +")) {
      if (!candidate.startsWith(ED25519_VERSION_PREFIX)) {
        continue; // v1 signatures may sit next to v1a during a change of scheme
      }
      try {
        byte[] given = Base64.getDecoder().decode(candidate.substring(ED25519_VERSION_PREFIX.length()));
        verifier.initVerify(key);
        verifier.update(signedPrefix(webhookId, timestampSeconds));
        verifier.update(body);
        if (verifier.verify(given)) {
          return true; // a public-key check leaks nothing by its timing
        }
      } catch (IllegalArgumentException | SignatureException e) {
        // not base64, or not a signature at all: this candidate does not match
      } catch (InvalidKeyException e) {
        throw new IllegalArgumentException("unusable ed25519 public key: " + e.getMessage(), e);
      }
    }
    return false;
  }

  /** Generates a new v1 secret: "whsec_" + base64 of 32 random bytes (SecureRandom). */
  public static String generateSecret() {
    byte[] bytes = new byte[GENERATED_SECRET_BYTES];
    RANDOM.nextBytes(bytes);
    return SECRET_PREFIX + Base64.getEncoder().encodeToString(bytes);
  }

  /** Generates a new v1a key pair with the JDK's Ed25519 provider. */
  public static KeyPair generateKeyPair() {
    return Ed25519Keys.generate();
  }

  /** True for "whpk_" + base64 of 32 bytes: a v1a public key a receiver verifies with. */
  public static boolean isValidPublicKey(String key) {
    return Ed25519Keys.isWellFormed(key, PUBLIC_KEY_PREFIX);
  }

  /**
   * True when the secret is acceptable on create/patch: "whsec_" + base64 decoding to 24..64 bytes, or a plain string
   * of 8..128 printable ASCII characters without spaces (kept for the seed API, whose example PATCHes {"secret": "newS3cr3t"}).
   * Plain strings may not start with "whsk_" or "whpk_": those prefixes mean ed25519 keys, and hookrelay makes its own.
   */
  public static boolean isValidSecret(String secret) {
    if (secret == null) {
      return false;
    }
    if (secret.startsWith(SECRET_PREFIX)) {
      try {
        int length = Base64.getDecoder().decode(secret.substring(SECRET_PREFIX.length())).length;
        return length >= 24 && length <= 64;
      } catch (IllegalArgumentException e) {
        return false;
      }
    }
    if (secret.startsWith(PRIVATE_KEY_PREFIX) || secret.startsWith(PUBLIC_KEY_PREFIX)) {
      return false;
    }
    if (secret.length() < 8 || secret.length() > 128) {
      return false;
    }
    return secret.chars().allMatch(c -> c > ' ' && c <= '~');
  }

  private static byte[] hmac(byte[] key, String webhookId, long timestampSeconds, byte[] body) {
    Mac mac = MAC.get();
    try {
      mac.init(new SecretKeySpec(key, ALGORITHM));
    } catch (InvalidKeyException e) {
      throw new IllegalArgumentException("unusable signing key: " + e.getMessage(), e);
    }
    mac.update(signedPrefix(webhookId, timestampSeconds));
    mac.update(body);
    return mac.doFinal();
  }

  /** "{id}.{timestamp}." in UTF-8: what precedes the body in the signed content of both schemes. */
  private static byte[] signedPrefix(String webhookId, long timestampSeconds) {
    return (webhookId + '.' + timestampSeconds + '.').getBytes(StandardCharsets.UTF_8);
  }
}
