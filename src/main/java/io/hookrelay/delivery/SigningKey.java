package io.hookrelay.delivery;

import java.nio.charset.StandardCharsets;
import java.security.PrivateKey;
import java.util.Base64;

/**
 * A stored secret turned into something that signs: "whsec_…" or a plain string is an HMAC key (scheme v1),
 * "whsk_…" an ed25519 private key (scheme v1a). The prefix alone decides, as the Standard Webhooks spec intends.
 */
public sealed interface SigningKey {

  /** An HMAC-SHA256 key: the "v1" scheme. */
  record Hmac(byte[] key) implements SigningKey {}

  /** An ed25519 private key: the "v1a" scheme. */
  record Ed25519(PrivateKey key) implements SigningKey {}

  /**
   * Parses a stored secret. Ed25519 parses are cached per secret string (bounded), since a KeyFactory call on every
   * attempt would cost more than the signature; HMAC keys are a base64 decode each time, as before.
   * A "whsk_" key that is not base64 of 32 bytes throws IllegalArgumentException.
   */
  static SigningKey parse(String secret) {
    if (secret.startsWith(Ed25519Keys.PRIVATE_PREFIX)) {
      return Ed25519Keys.parsed(secret);
    }
    if (secret.startsWith(Signer.SECRET_PREFIX)) {
      return new Hmac(Base64.getDecoder().decode(secret.substring(Signer.SECRET_PREFIX.length())));
    }
    return new Hmac(secret.getBytes(StandardCharsets.UTF_8));
  }
}
