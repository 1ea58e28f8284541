package io.hookrelay.tenant;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * Tenant credentials as strings: 32 random bytes behind a prefix that says what they are ({@code hrt_} an API
 * token, {@code hrp_} a portal link, {@code hrs_} a portal session), and the SHA-256 digest that is all we store.
 */
public final class Tokens {
  public static final String API = "hrt_";
  public static final String PORTAL_LINK = "hrp_";
  public static final String PORTAL_SESSION = "hrs_";
  private static final SecureRandom random = new SecureRandom();

  private Tokens() {}

  public static String generate(String prefix) {
    byte[] bytes = new byte[32];
    random.nextBytes(bytes);
    return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** Whether a presented bearer credential is a tenant's (looked up in PostgreSQL) rather than an admin key. */
  public static boolean isTenantCredential(String presented) {
    return presented.startsWith(API) || presented.startsWith(PORTAL_SESSION);
  }

  public static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The non-secret id of an admin key in the audit log: the first 8 hex digits of its SHA-256. */
  public static String adminKeyId(String key) {
    return HexFormat.of().formatHex(digest(key)).substring(0, 8);
  }
}
