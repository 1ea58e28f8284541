package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.Signature;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class SignerTest {
  // the test vector published with the Standard Webhooks specification and its reference libraries
  private static final String SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  private static final String SPEC_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
  private static final long SPEC_TIMESTAMP = 1614265330;
  private static final byte[] SPEC_BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
  private static final String SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

  // v1a: the signing test of the Standard Webhooks reference library (Go), its key written the whsk_ way; the public
  // key is what an independent implementation (Python 'cryptography') derives from that seed
  private static final String SPEC_PRIVATE_KEY = "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=";
  private static final String SPEC_PUBLIC_KEY = "whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=";
  private static final String SPEC_V1A_SIGNATURE =
      "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==";

  // RFC 8032, section 7.1, TEST 1 (the empty message)
  private static final String RFC8032_SEED = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
  private static final String RFC8032_PUBLIC = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a";
  private static final String RFC8032_SIGNATURE = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b";

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
    SigningKey current = SigningKey.parse(Signer.generateSecret());
    SigningKey previous = SigningKey.parse(SPEC_SECRET);

    String header = Signer.signatureHeader(List.of(current, previous), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);

    assertThat(header.split(" ")).containsExactly(
        Signer.sign(current, SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY),
        SPEC_SIGNATURE);
  }

  @Test
  void verify_accepts_a_header_signed_with_either_live_secret() {
    String current = Signer.generateSecret();
    String header = Signer.signatureHeader(
        List.of(SigningKey.parse(current), SigningKey.parse(SPEC_SECRET)), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);

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

  @Test
  void whsk_keys_parse_to_ed25519_and_the_others_to_hmac() {
    assertThat(SigningKey.parse(SPEC_PRIVATE_KEY)).isInstanceOf(SigningKey.Ed25519.class);
    assertThat(SigningKey.parse(SPEC_SECRET)).isInstanceOf(SigningKey.Hmac.class);
    assertThat(SigningKey.parse("newS3cr3t")).isInstanceOf(SigningKey.Hmac.class);
  }

  @Test
  void the_whsk_and_whpk_encodings_are_the_raw_keys_of_rfc_8032() throws Exception {
    HexFormat hex = HexFormat.of();
    Base64.Encoder base64 = Base64.getEncoder();
    String privateKey = "whsk_" + base64.encodeToString(hex.parseHex(RFC8032_SEED));
    String publicKey = "whpk_" + base64.encodeToString(hex.parseHex(RFC8032_PUBLIC));

    Signature signer = Signature.getInstance("Ed25519");
    signer.initSign(((SigningKey.Ed25519) SigningKey.parse(privateKey)).key());
    assertThat(hex.formatHex(signer.sign())).isEqualTo(RFC8032_SIGNATURE);

    Signature verifier = Signature.getInstance("Ed25519");
    verifier.initVerify(Ed25519Keys.publicKey(publicKey));
    verifier.update(new byte[0]); // JDK 17's Ed25519 verify answers false for a message never updated, even empty
    assertThat(verifier.verify(hex.parseHex(RFC8032_SIGNATURE))).isTrue();
  }

  @Test
  void signs_the_standard_webhooks_v1a_test_vector() {
    assertThat(Signer.sign(SigningKey.parse(SPEC_PRIVATE_KEY), SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY))
        .isEqualTo(SPEC_V1A_SIGNATURE);
  }

  @Test
  void verifies_the_standard_webhooks_v1a_test_vector_with_the_public_key() {
    assertThat(verify(SPEC_PUBLIC_KEY, SPEC_BODY, SPEC_V1A_SIGNATURE, SPEC_TIMESTAMP)).isTrue();
    assertThat(verify(SPEC_PUBLIC_KEY, "{\"test\": 2432232315}".getBytes(StandardCharsets.UTF_8), SPEC_V1A_SIGNATURE,
        SPEC_TIMESTAMP)).isFalse();
  }

  @Test
  void a_generated_key_pair_signs_what_its_public_key_verifies() {
    Signer.KeyPair pair = Signer.generateKeyPair();
    String header = Signer.signatureHeader(List.of(SigningKey.parse(pair.privateKey())), SPEC_ID, SPEC_TIMESTAMP,
        SPEC_BODY);

    assertThat(pair.privateKey()).startsWith("whsk_");
    assertThat(Base64.getDecoder().decode(pair.privateKey().substring(5))).hasSize(32);
    assertThat(Signer.isValidPublicKey(pair.publicKey())).isTrue();
    assertThat(header).startsWith("v1a,");
    assertThat(verify(pair.publicKey(), SPEC_BODY, header, SPEC_TIMESTAMP)).isTrue();
    assertThat(verify(Signer.generateKeyPair().publicKey(), SPEC_BODY, header, SPEC_TIMESTAMP)).isFalse();
  }

  @Test
  void v1a_verification_rejects_a_timestamp_outside_the_tolerance() {
    assertThat(verify(SPEC_PUBLIC_KEY, SPEC_BODY, SPEC_V1A_SIGNATURE, SPEC_TIMESTAMP + TOLERANCE + 1)).isFalse();
  }

  @Test
  void a_header_mixing_schemes_verifies_with_either_key() {
    // what a subscription sends while a change from v1 to v1a overlaps: the new v1a key first, the old secret next
    String header = Signer.signatureHeader(List.of(SigningKey.parse(SPEC_PRIVATE_KEY), SigningKey.parse(SPEC_SECRET)),
        SPEC_ID, SPEC_TIMESTAMP, SPEC_BODY);

    assertThat(header).isEqualTo(SPEC_V1A_SIGNATURE + " " + SPEC_SIGNATURE);
    assertThat(verify(SPEC_PUBLIC_KEY, SPEC_BODY, header, SPEC_TIMESTAMP)).isTrue();
    assertThat(verify(SPEC_SECRET, SPEC_BODY, header, SPEC_TIMESTAMP)).isTrue();
  }

  @Test
  void v1a_verification_skips_malformed_candidates() {
    String header = "v1a,not*base64 v1a,c2hvcnQ= " + SPEC_V1A_SIGNATURE;

    assertThat(verify(SPEC_PUBLIC_KEY, SPEC_BODY, header, SPEC_TIMESTAMP)).isTrue();
    assertThat(verify(SPEC_PUBLIC_KEY, SPEC_BODY, "v1a,c2hvcnQ=", SPEC_TIMESTAMP)).isFalse();
  }

  @Test
  void ed25519_keys_are_not_acceptable_as_v1_secrets_and_public_keys_must_be_32_bytes() {
    assertThat(Signer.isValidSecret(SPEC_PRIVATE_KEY)).isFalse();
    assertThat(Signer.isValidSecret(SPEC_PUBLIC_KEY)).isFalse();
    assertThat(Signer.isValidPublicKey(SPEC_PUBLIC_KEY)).isTrue();
    assertThat(Signer.isValidPublicKey("whpk_" + Base64.getEncoder().encodeToString(new byte[31]))).isFalse();
    assertThat(Signer.isValidPublicKey("whpk_not*base64")).isFalse();
    assertThat(Signer.isValidPublicKey(SPEC_SECRET)).isFalse();
  }

  private static boolean verify(String secret, byte[] body, String header, long nowSeconds) {
    return Signer.verify(secret, SPEC_ID, Long.toString(SPEC_TIMESTAMP), body, header, nowSeconds, TOLERANCE);
  }

  private static String whsec(int bytes) {
    return "whsec_" + Base64.getEncoder().encodeToString(new byte[bytes]);
  }
}
