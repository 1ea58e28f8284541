package io.hookrelay.api;

/** An error a client caused (or a dependency we cannot reach): its status, a stable code and a sentence for humans. */
public final class ApiError extends RuntimeException {
  private final int status;
  private final String code;

  public ApiError(int status, String code, String detail) {
    super(detail, null, false, false);
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

  public static ApiError databaseUnavailable() {
    return new ApiError(503, "database_unavailable", "the database cannot be reached; nothing was stored, try again");
  }
}
