package io.hookrelay.api;

import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns every failure into {@code {"error": code, "detail": sentence}} with the right status. What a client caused
 * says what was wrong; anything else is logged here and answered 500 without internals.
 */
public final class Errors {
  private static final Logger log = LoggerFactory.getLogger(Errors.class);
  /** Where the error code of an answer is kept on the context, for whoever counts answers (ingest metrics). */
  static final String CODE = "hookrelay.error";

  private Errors() {}

  public static void handle(RoutingContext ctx) {
    if (ctx.response().headWritten()) {
      ctx.response().reset();
      return;
    }
    Throwable failure = ctx.failure();
    if (failure instanceof ApiError e) {
      if (e.status() >= 500 && e.getCause() != null) {
        // The client learns only that nothing was done; the operator needs the reason.
        log.warn("answering {} to {} {}: {}", e.status(), ctx.request().method(), ctx.request().path(),
            e.getCause().toString());
      }
      if ((e.status() == 503 || e.status() == 429) && !ctx.response().headers().contains("retry-after")) {
        ctx.response().putHeader("retry-after", "1");
      }
      send(ctx, e.status(), e.code(), e.getMessage());
      return;
    }
    int status = ctx.statusCode();
    switch (status) {
      case 400 -> send(ctx, 400, "bad_request", "the request could not be read");
      case 401 -> send(ctx, 401, "unauthorized", "a valid API key is required: Authorization: Bearer <key>");
      case 404 -> send(ctx, 404, "not_found", "no such route: " + ctx.request().path());
      case 405 -> send(ctx, 405, "method_not_allowed", ctx.request().method() + " is not allowed on " + ctx.request().path());
      case 413 -> send(ctx, 413, "payload_too_large", "the request body is over the size limit");
      case 415 -> send(ctx, 415, "unsupported_media_type", "send the body as application/json");
      default -> {
        if (failure instanceof io.vertx.core.json.DecodeException) {
          send(ctx, 400, "invalid_json", "the body is not valid JSON");
          return;
        }
        if (status >= 400 && status < 500) {
          send(ctx, status, "bad_request", "the request could not be served");
          return;
        }
        log.error("unexpected failure on {} {}", ctx.request().method(), ctx.request().path(), failure);
        send(ctx, 500, "internal_error", "something went wrong on our side; it has been logged");
      }
    }
  }

  /**
   * For requests the HTTP layer cannot read, before any route runs: an over-long request line (414) or oversized
   * headers (431) get the same JSON body as every other error, then the connection closes. Anything else is
   * Vert.x's default (a 400, or a close).
   */
  public static void invalidRequest(HttpServerRequest request) {
    Throwable cause = request.decoderResult().cause();
    if (cause instanceof TooLongHttpLineException) {
      sendAndClose(request, 414, "uri_too_long", "the request line is over " + MAX_LINE_BYTES
          + " bytes; send long values in the body");
    } else if (cause instanceof TooLongHttpHeaderException) {
      sendAndClose(request, 431, "headers_too_large", "the request headers are over " + MAX_HEADER_BYTES / 1024
          + " KiB");
    } else {
      HttpServerRequest.DEFAULT_INVALID_REQUEST_HANDLER.handle(request);
    }
  }

  /** The limits the servers are built with (Vert.x's default request line, our header size). */
  public static final int MAX_LINE_BYTES = 4096;
  public static final int MAX_HEADER_BYTES = 16 * 1024;

  private static void sendAndClose(HttpServerRequest request, int status, String code, String detail) {
    request.response().setStatusCode(status)
        .putHeader("content-type", "application/json")
        .putHeader("connection", "close")
        .end(new JsonObject().put("error", code).put("detail", detail).encode());
  }

  public static void send(RoutingContext ctx, int status, String code, String detail) {
    ctx.put(CODE, code);
    ctx.response().setStatusCode(status)
        .putHeader("content-type", "application/json")
        .end(new JsonObject().put("error", code).put("detail", detail).encode());
  }
}
