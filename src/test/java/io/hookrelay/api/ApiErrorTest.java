package io.hookrelay.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.pgclient.PgException;
import org.junit.jupiter.api.Test;

class ApiErrorTest {
  @Test
  void aValuePostgresqlRefusesIsTheRequestsFaultNotAnOutage() {
    // 22021: 'invalid byte sequence for encoding "UTF8": 0x00', a NUL that slipped past the field checks
    ApiError e = ApiError.store(new PgException("invalid byte sequence", "ERROR", "22021", null));
    assertThat(e.status()).isEqualTo(400);
    assertThat(e.code()).isEqualTo("invalid_value");
    assertThat(e.getMessage()).doesNotContain("byte sequence"); // no internals
    assertThat(ApiError.store(new PgException("out of range", "ERROR", "22003", null)).status()).isEqualTo(400);
  }

  @Test
  void anyOtherStoreFailureIsA503AndAnApiErrorStaysItself() {
    assertThat(ApiError.store(new PgException("too many connections", "FATAL", "53300", null)).status())
        .isEqualTo(503);
    assertThat(ApiError.store(new java.net.ConnectException("refused")).code()).isEqualTo("database_unavailable");
    ApiError own = ApiError.notFound("no such subscription");
    assertThat(ApiError.store(own)).isSameAs(own);
  }
}
