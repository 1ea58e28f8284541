package io.hookrelay.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Several keys are live at once, so a key can be rotated without downtime; nothing else passes. */
class ApiKeyAuthTest {
  private final ApiKeyAuth auth = new ApiKeyAuth(List.of("old-key-0123456789abcdef", "new-key-0123456789abcdef"));

  @Test
  void everyConfiguredKeyIsAccepted() {
    assertThat(auth.valid("old-key-0123456789abcdef")).isTrue();
    assertThat(auth.valid("new-key-0123456789abcdef")).isTrue();
  }

  @Test
  void otherKeysPrefixesAndEmptyStringsAreRefused() {
    assertThat(auth.valid("old-key-0123456789abcde")).isFalse();
    assertThat(auth.valid("old-key-0123456789abcdef ")).isFalse();
    assertThat(auth.valid("")).isFalse();
    assertThat(auth.valid("NEW-KEY-0123456789ABCDEF")).isFalse();
  }
}
