package io.hookrelay.api;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;

/**
 * Requires {@code Authorization: Bearer <key>} with one of the configured keys. Keys are compared as SHA-256
 * digests with {@link MessageDigest#isEqual}, against every key, so timing tells nothing about a key or its length.
 */
public final class ApiKeyAuth implements Handler<RoutingContext> {
  private final List<byte[]> digests;

  public ApiKeyAuth(List<String> keys) {
    this.digests = keys.stream().map(ApiKeyAuth::digest).toList();
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7) && valid(header.substring(7).trim())) {
      ctx.next();
      return;
    }
    ctx.response().putHeader("www-authenticate", "Bearer");
    Errors.send(ctx, 401, "unauthorized", header == null
        ? "missing API key: send Authorization: Bearer <key>"
        : "invalid API key");
  }

  boolean valid(String presented) {
    byte[] candidate = digest(presented);
    boolean match = false;
    for (byte[] d : digests) {
      match |= MessageDigest.isEqual(d, candidate);
    }
    return match;
  }

  private static byte[] digest(String key) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
