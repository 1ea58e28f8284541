package io.hookrelay.api;

import io.hookrelay.bus.Addresses;
import io.hookrelay.tenant.Principal;
import io.hookrelay.tenant.TokenRepository;
import io.hookrelay.tenant.Tokens;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.RoutingContext;
import java.security.MessageDigest;
import java.time.OffsetDateTime;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Requires {@code Authorization: Bearer <credential>} and puts who it names on the context ({@link Access}): an
 * admin key (compared as SHA-256 digests with {@link MessageDigest#isEqual} against every key, so timing tells
 * nothing about a key or its length), or a tenant token or portal session (looked up by digest in PostgreSQL,
 * remembered for a few seconds, forgotten at once when any token or tenant changes). A read-only token gets 403 on
 * anything but GET. Credentials are never logged.
 */
public final class ApiKeyAuth implements Handler<RoutingContext> {
  private static final long REMEMBER_MS = 10_000;
  private static final int REMEMBER_MAX = 10_000;

  private final List<byte[]> digests;
  private final List<String> keyIds;
  private final TokenRepository tokens;
  private final Map<String, Remembered> remembered = new HashMap<>();

  private record Remembered(Principal principal, long untilMs) {}

  public ApiKeyAuth(List<String> keys) {
    this(null, keys, null);
  }

  /** With tenant tokens: {@code vertx} carries the announcements that make this instance forget what it holds. */
  public ApiKeyAuth(Vertx vertx, List<String> keys, TokenRepository tokens) {
    this.digests = keys.stream().map(Tokens::digest).toList();
    this.keyIds = keys.stream().map(Tokens::adminKeyId).toList();
    this.tokens = tokens;
    if (vertx != null) {
      vertx.eventBus().consumer(Addresses.TENANTS_CHANGED, m -> remembered.clear());
    }
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("authorization");
    String presented = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
        ? header.substring(7).trim() : null;
    if (presented == null || presented.isEmpty()) {
      refuse(ctx, header == null ? "missing API key: send Authorization: Bearer <key>" : "invalid API key");
      return;
    }
    if (tokens != null && Tokens.isTenantCredential(presented)) {
      tenantPrincipal(presented).onComplete(ar -> {
        if (ar.failed()) {
          ctx.fail(ApiError.store(ar.cause()));
        } else if (ar.result() == null) {
          refuse(ctx, "invalid, expired or revoked tenant token");
        } else {
          admit(ctx, ar.result());
        }
      });
      return;
    }
    int key = adminKey(presented);
    if (key < 0) {
      refuse(ctx, "invalid API key");
      return;
    }
    admit(ctx, Principal.admin(keyIds.get(key)));
  }

  private static void admit(RoutingContext ctx, Principal principal) {
    HttpMethod m = ctx.request().method();
    if (principal.readOnly() && m != HttpMethod.GET && m != HttpMethod.HEAD) {
      Errors.send(ctx, 403, "read_only", "this token is read-only: " + m + " is refused");
      return;
    }
    Access.authenticated(ctx, principal);
    ctx.next();
  }

  private static void refuse(RoutingContext ctx, String detail) {
    ctx.response().putHeader("www-authenticate", "Bearer");
    Errors.send(ctx, 401, "unauthorized", detail);
  }

  private Future<Principal> tenantPrincipal(String presented) {
    String key = HexFormat.of().formatHex(Tokens.digest(presented));
    long now = System.currentTimeMillis();
    Remembered r = remembered.get(key);
    if (r != null && r.untilMs() > now) {
      return Future.succeededFuture(r.principal());
    }
    return tokens.authenticate(presented).map(found -> {
      if (found == null) {
        remembered.remove(key);
        return null;
      }
      long until = now + REMEMBER_MS;
      OffsetDateTime expires = found.expiresAt();
      if (expires != null) {
        until = Math.min(until, expires.toInstant().toEpochMilli());
      }
      if (remembered.size() >= REMEMBER_MAX) {
        remembered.clear();
      }
      remembered.put(key, new Remembered(found.principal(), until));
      return found.principal();
    });
  }

  /** The index of the admin key presented, or -1; every key is compared, whatever matches. */
  int adminKey(String presented) {
    byte[] candidate = Tokens.digest(presented);
    int match = -1;
    for (int i = 0; i < digests.size(); i++) {
      if (MessageDigest.isEqual(digests.get(i), candidate) && match < 0) {
        match = i;
      }
    }
    return match;
  }

  boolean valid(String presented) {
    return adminKey(presented) >= 0;
  }
}
