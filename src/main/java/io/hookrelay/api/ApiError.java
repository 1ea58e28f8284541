package io.hookrelay.api;

/** An error a client caused (or a dependency we cannot reach): its status, a stable code and a sentence for humans. */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String code;

  public ApiError(int status, String code, String detail) {
    this(status, code, detail, null);
  }

  /** With the failure behind it, for the log only: the client gets the code and the sentence. */
  public ApiError(int status, String code, String detail, Throwable cause) {
    super(detail, cause, false, false);
    this.status = status;
    this.code = code;
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public static ApiError badRequest(String code, String detail) {
    return new ApiError(400, code, detail);
  }

  public static ApiError unprocessable(String detail) {
    return new ApiError(422, "validation_failed", detail);
  }

  public static ApiError notFound(String what) {
    return new ApiError(404, "not_found", what);
  }

  /**
   * What a failed store call means for the client: an ApiError stays itself; PostgreSQL refusing a value (SQLSTATE
   * class 22, a data exception: a NUL in text, a number out of range) is the request's fault, a 400; anything else
   * is the database being unreachable or failing, a 503 with nothing stored.
   */
  public static ApiError store(Throwable cause) {
    if (cause instanceof ApiError e) {
      return e;
    }
    if (cause instanceof io.vertx.pgclient.PgException pg && pg.getSqlState() != null
        && pg.getSqlState().startsWith("22")) {
      return badRequest("invalid_value", "a value in the request cannot be stored or compared (a NUL character, or a "
          + "number out of range)");
    }
    return databaseUnavailable(cause);
  }

  public static ApiError databaseUnavailable() {
    return databaseUnavailable(null);
  }

  private static ApiError databaseUnavailable(Throwable cause) {
    return new ApiError(503, "database_unavailable", "the database cannot be reached; nothing was stored, try again",
        cause);
  }
}
