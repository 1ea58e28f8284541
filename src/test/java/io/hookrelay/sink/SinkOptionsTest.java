package io.hookrelay.sink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class SinkOptionsTest {

  @Test
  void no_arguments_give_the_defaults() {
    assertThat(SinkOptions.parse()).isEqualTo(SinkOptions.defaults());
    assertThat(SinkOptions.defaults().port()).isEqualTo(9090);
    assertThat(SinkOptions.defaults().host()).isEqualTo("127.0.0.1");
    assertThat(SinkOptions.defaults().status()).isEqualTo(200);
  }

  @Test
  void every_option_is_read_in_both_spellings() {
    SinkOptions options = SinkOptions.parse("--port", "0", "--host=0.0.0.0", "--secret", "newS3cr3t",
        "--fail-rate=0.2", "--status", "503", "--latency-ms", "50", "--retry-after", "5", "--quiet");

    assertThat(options).isEqualTo(new SinkOptions(0, "0.0.0.0", "newS3cr3t", 0.2, 503, 50, 5, true, null, null));
  }

  @Test
  void help_is_recognised_but_is_not_an_option() {
    assertThat(SinkOptions.wantsHelp("--port", "1", "--help")).isTrue();
    assertThat(SinkOptions.wantsHelp("--port", "1")).isFalse();
    assertThat(SinkOptions.HELP).contains("--fail-rate", "--latency-ms", "--retry-after", "--secret");
  }

  @Test
  void the_secret_stays_out_of_to_string() {
    assertThat(SinkOptions.parse("--secret", "newS3cr3t").toString()).doesNotContain("newS3cr3t");
  }

  @Test
  void bad_arguments_name_the_flag_and_the_rule() {
    assertRejected("--port must be between 0 and 65535, got 65536", "--port", "65536");
    assertRejected("--port must be a whole number", "--port", "http");
    assertRejected("--port needs a value", "--port");
    assertRejected("--fail-rate must be a number between 0 and 1", "--fail-rate", "1.5");
    assertRejected("--fail-rate must be a number between 0 and 1", "--fail-rate", "NaN");
    assertRejected("--fail-rate must be a number,", "--fail-rate", "often");
    assertRejected("--status must be an HTTP status between 100 and 599", "--status", "99");
    assertRejected("--latency-ms must be between 0 and", "--latency-ms", "-1");
    assertRejected("--retry-after must be 0 or more seconds", "--retry-after", "-3");
    assertRejected("--secret must be whsec_", "--secret", "short");
    assertRejected("or whpk_ + base64 of a 32-byte ed25519 public key", "--secret", "whpk_c2hvcnQ=");
    assertRejected("--secret must be whsec_", "--secret", "whsk_" + "A".repeat(43) + "=");
    assertRejected("--host must not be empty", "--host", " ");
    assertRejected("--quiet takes no value", "--quiet=yes");
    assertRejected("unknown option '--fail'", "--fail", "1");
    assertRejected("unknown option '9090'", "9090");
  }

  private static void assertRejected(String messagePart, String... args) {
    assertThatThrownBy(() -> SinkOptions.parse(args))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(messagePart);
  }
}
