package io.hookrelay.delivery;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** Signs and verifies webhook requests the Standard Webhooks v1 way (HMAC-SHA256 over "{id}.{timestamp}.{body}"). */
public final class Signer {
  public static final String SECRET_PREFIX = "whsec_";

  private static final String ALGORITHM = "HmacSHA256";
  private static final String VERSION_PREFIX = "v1,";
  private static final int GENERATED_SECRET_BYTES = 32;
  private static final byte[] DOT = {'.'};

  // Mac instances are not thread-safe and costly to look up; one per thread, re-keyed per call.
  private static final ThreadLocal<Mac> MAC = ThreadLocal.withInitial(() -> {
    try {
      return Mac.getInstance(ALGORITHM);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no " + ALGORITHM, e);
    }
  });
  private static final SecureRandom RANDOM = new SecureRandom();

  private Signer() {}

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

  /** The webhook-signature header value: one "v1,..." per live secret, space-separated (current first, then previous). */
  public static String signatureHeader(List<byte[]> keys, String webhookId, long timestampSeconds, byte[] body) {
    StringBuilder header = new StringBuilder(keys.size() * 48);
    for (byte[] key : keys) {
      if (header.length() > 0) {
        header.append(' ');
      }
      header.append(sign(key, webhookId, timestampSeconds, body));
    }
    return header.toString();
  }

  /**
   * Verifies a webhook-signature header against one secret with a timestamp tolerance (constant-time compare).
   * The tolerance applies both ways: a timestamp from the future is as suspicious as a replayed old one.
   * Missing or malformed headers give false; a "whsec_" secret that is not base64 throws IllegalArgumentException,
   * since that is the caller's configuration error, not the sender's.
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

  /** Generates a new secret: "whsec_" + base64 of 32 random bytes (SecureRandom). */
  public static String generateSecret() {
    byte[] bytes = new byte[GENERATED_SECRET_BYTES];
    RANDOM.nextBytes(bytes);
    return SECRET_PREFIX + Base64.getEncoder().encodeToString(bytes);
  }

  /**
   * True when the secret is acceptable on create/patch: "whsec_" + base64 decoding to 24..64 bytes, or a plain string
   * of 8..128 printable ASCII characters without spaces (kept for the seed API, whose example PATCHes {"secret": "newS3cr3t"}).
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
    mac.update(webhookId.getBytes(StandardCharsets.UTF_8));
    mac.update(DOT);
    mac.update(Long.toString(timestampSeconds).getBytes(StandardCharsets.US_ASCII));
    mac.update(DOT);
    mac.update(body);
    return mac.doFinal();
  }
}
