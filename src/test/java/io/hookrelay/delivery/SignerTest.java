package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class SignerTest {
  // the test vector published with the Standard Webhooks specification and its reference libraries
  private static final String SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  private static final String SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  private static final long SPEC_TIMESTAMP = 1614265330;
  private static final byte[] SPEC_BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
  private static final String SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

  private static final long TOLERANCE = 300;

  @Test
  void signs_the_standard_webhooks_test_vector() {
    byte[] key = Signer.secretBytes(SPEC_SECRET);

    assertThat(Signer.sign(key, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY)).isEqualTo(SPEC_SIGNATURE);
  }

  @Test
  void verifies_the_standard_webhooks_test_vector() {
    assertThat(Signer.verify(SPEC_SECRET, SPEC_ID, "1614265330", SPEC_BODY, SPEC_SIGNATURE, SPEC_TIMESTAMP, TOLERANCE))
        .isTrue();
  }

  @Test
  void whsec_secrets_decode_from_base64_and_plain_secrets_are_their_utf8_bytes() {
    assertThat(Signer.secretBytes(SPEC_SECRET)).isEqualTo(Base64.getDecoder().decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));
    assertThat(Signer.secretBytes("newS3cr3t")).isEqualTo("newS3cr3t".getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void two_live_keys_give_two_space_separated_signatures_current_first() {
    byte[] current = Signer.secretBytes(Signer.generateSecret());
    byte[] previous = Signer.secretBytes(SPEC_SECRET);

    String header = Signer.signatureHeader(List.of(current, previous), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);

    assertThat(header.split(" ")).containsExactly(
        Signer.sign(current, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY),
        SPEC_SIGNATURE);
  }

  @Test
  void verify_accepts_a_header_signed_with_either_live_secret() {
    String current = Signer.generateSecret();
    String header = Signer.signatureHeader(
        List.of(Signer.secretBytes(current), Signer.secretBytes(SPEC_SECRET)), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);

    assertThat(verify(current, SPEC_BODY, header, SPEC_TIMESTAMP)).isTrue();
    assertThat(verify(SPEC_SECRET, SPEC_BODY, header, SPEC_TIMESTAMP)).isTrue();
  }

  @Test
  void verify_rejects_a_tampered_body() {
    byte[] tampered = "{\"test\": 2432232315}".getBytes(StandardCharsets.UTF_8);

    assertThat(verify(SPEC_SECRET, tampered, SPEC_SIGNATURE, SPEC_TIMESTAMP)).isFalse();
  }

  @Test
  void verify_rejects_a_wrong_secret() {
    assertThat(verify(Signer.generateSecret(), SPEC_BODY, SPEC_SIGNATURE, SPEC_TIMESTAMP)).isFalse();
  }

  @Test
  void verify_rejects_a_timestamp_outside_the_tolerance_either_way() {
    assertThat(verify(SPEC_SECRET, SPEC_BODY, SPEC_SIGNATURE, SPEC_TIMESTAMP + TOLERANCE)).isTrue();
    assertThat(verify(SPEC_SECRET, SPEC_BODY, SPEC_SIGNATURE, SPEC_TIMESTAMP + TOLERANCE + 1)).isFalse();
    assertThat(verify(SPEC_SECRET, SPEC_BODY, SPEC_SIGNATURE, SPEC_TIMESTAMP - TOLERANCE - 1)).isFalse();
  }

  @Test
  void verify_rejects_missing_or_malformed_headers() {
    assertThat(verify(SPEC_SECRET, SPEC_BODY, null, SPEC_TIMESTAMP)).isFalse();
    assertThat(verify(SPEC_SECRET, SPEC_BODY, "", SPEC_TIMESTAMP)).isFalse();
    assertThat(verify(SPEC_SECRET, SPEC_BODY, "v1,not base64!", SPEC_TIMESTAMP)).isFalse();
    assertThat(verify(SPEC_SECRET, SPEC_BODY, SPEC_SIGNATURE.substring(3), SPEC_TIMESTAMP)).isFalse();
    assertThat(Signer.verify(SPEC_SECRET, SPEC_ID, "yesterday", SPEC_BODY, SPEC_SIGNATURE, SPEC_TIMESTAMP, TOLERANCE))
        .isFalse();
  }

  @Test
  void verify_skips_other_signature_schemes_in_the_header() {
    String header = "v1a,c29tZXRoaW5nIGVsc2U= " + SPEC_SIGNATURE;

    assertThat(verify(SPEC_SECRET, SPEC_BODY, header, SPEC_TIMESTAMP)).isTrue();
  }

  @Test
  void generated_secrets_are_whsec_with_32_random_bytes() {
    String a = Signer.generateSecret();
    String b = Signer.generateSecret();

    assertThat(a).startsWith("whsec_").isNotEqualTo(b);
    assertThat(Signer.secretBytes(a)).hasSize(32);
    assertThat(Signer.isValidSecret(a)).isTrue();
  }

  @Test
  void valid_secrets_are_whsec_of_24_to_64_bytes_or_8_to_128_printable_ascii() {
    assertThat(Signer.isValidSecret(SPEC_SECRET)).isTrue();
    assertThat(Signer.isValidSecret(whsec(24))).isTrue();
    assertThat(Signer.isValidSecret(whsec(64))).isTrue();
    assertThat(Signer.isValidSecret("newS3cr3t")).isTrue();
    assertThat(Signer.isValidSecret("a".repeat(8))).isTrue();
    assertThat(Signer.isValidSecret("~".repeat(128))).isTrue();
  }

  @Test
  void invalid_secrets_are_refused() {
    assertThat(Signer.isValidSecret(null)).isFalse();
    assertThat(Signer.isValidSecret(whsec(23))).isFalse();
    assertThat(Signer.isValidSecret(whsec(65))).isFalse();
    assertThat(Signer.isValidSecret("whsec_not*base64")).isFalse();
    assertThat(Signer.isValidSecret("whsec_")).isFalse();
    assertThat(Signer.isValidSecret("short")).isFalse();
    assertThat(Signer.isValidSecret("a".repeat(129))).isFalse();
    assertThat(Signer.isValidSecret("has a space")).isFalse();
    assertThat(Signer.isValidSecret("tab\there!")).isFalse();
    assertThat(Signer.isValidSecret("geheimnis-ü")).isFalse();
  }

  private static boolean verify(String secret, byte[] body, String header, long nowSeconds) {
    return Signer.verify(secret, SPEC_ID, Long.toString(SPEC_TIMESTAMP), body, header, nowSeconds, TOLERANCE);
  }

  private static String whsec(int bytes) {
    return "whsec_" + Base64.getEncoder().encodeToString(new byte[bytes]);
  }
}
