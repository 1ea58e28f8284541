package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Which webhook targets are refused as SSRF risks, and that ordinary public targets are not. */
class TargetGuardTest {

  @ParameterizedTest
  @ValueSource(strings = {
      "http://127.0.0.1/hook", "http://127.8.9.10:8080/", "http://10.0.0.1/", "http://10.255.255.254/",
      "http://172.16.0.1/", "http://172.31.255.255/", "http://192.168.1.10/", "http://169.254.169.254/latest",
      "http://224.0.0.1/", "http://239.255.255.250/", "http://0.0.0.0/", "http://[::1]/", "http://[::]/",
      "http://[fc00::1]/", "http://[fd12:3456::1]/", "http://[fe80::1]/", "http://[ff02::1]/",
      "http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/", "http://[::ffff:7f00:1]/",
      "http://2130706433/", "http://0x7f000001/", "http://0X7F000001/",
      "http://localhost/", "http://LOCALHOST:9090/", "http://api.localhost/", "http://printer.local/",
      "http://metadata.google.internal/",
      "http://0177.0.0.1/", "http://0177.1/", "http://017700000001/", "http://0x7f.1/", "http://10.1/",
      "http://0300.0250.1.1/", "http://[0:0:0:0:0:ffff:7f00:1]/", "http://[::127.0.0.1]/", "http://[::10.0.0.1]/",
      "http://[64:ff9b::a00:1]/", "http://[2002:c0a8:0101::1]/", "http://[FE80::1]/", "http://[fec0::1]/"})
  void privateLoopbackLinkLocalAndMulticastTargetsAreRefused(String url) {
    assertThat(TargetGuard.problemWithUrl(url, false)).as(url).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://[fe80::1%25eth0]/", "http://[fe80::1%eth0]/", "http://[fe80::1%251]/",
      "http://[2606:2800:220:1:248:1893:25c8:1946%25eth0]/"})
  void everyIpv6LiteralWithAZoneIdIsRefusedEvenWhenPrivateTargetsAreAllowed(String url) {
    assertThat(TargetGuard.problemWithUrl(url, false)).as(url).contains("zone id");
    assertThat(TargetGuard.problemWithUrl(url, true)).as(url).contains("zone id");
  }

  @Test
  void theRefusalNamesTheRestartCommandThatAllowsALocalReceiver() {
    assertThat(TargetGuard.problemWithUrl("http://127.0.0.1:9090/hook", false))
        .contains("HOOKRELAY_ALLOW_PRIVATE_TARGETS=true java -jar target/hookrelay.jar");
  }

  @ParameterizedTest
  @ValueSource(strings = {"2130706433", "0x7f000001", "0177.0.0.1", "0177.1", "127.1", "0x7f.0.0.1", "0X7F000001",
      "[::ffff:127.0.0.1]", "127.0.0.1"})
  void numericFormsOfLoopbackAreReadAsLoopback(String host) {
    InetAddress address = TargetGuard.literalAddress(host);

    assertThat(address).isNotNull();
    assertThat(address.isLoopbackAddress()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"ftp://example.com/", "file:///etc/passwd", "gopher://example.com/", "javascript:alert(1)",
      "example.com/hook", ""})
  void onlyHttpAndHttpsAreAccepted(String url) {
    assertThat(TargetGuard.problemWithUrl(url, false)).as(url).isNotNull();
    assertThat(TargetGuard.problemWithUrl(url, true)).as(url).isNotNull();
  }

  @Test
  void urlsCarryingCredentialsAreRefused() {
    assertThat(TargetGuard.problemWithUrl("https://user:secret@example.com/hook", false)).contains("credentials");
    assertThat(TargetGuard.problemWithUrl("https://user@example.com/hook", true)).contains("credentials");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "https://example.com/hook", "http://hooks.example.org:8443/a/b?c=d", "https://93.184.216.34/",
      "http://8.8.8.8/", "http://172.32.0.1/", "http://192.169.0.1/", "http://11.0.0.1/",
      "https://[2606:2800:220:1:248:1893:25c8:1946]/", "https://xn--bcher-kva.example/", "http://8.8.8.8.nip.io/",
      "http://[64:ff9b::808:808]/", "http://0x.example.com/"})
  void publicAddressesAndNamesAreAccepted(String url) {
    assertThat(TargetGuard.problemWithUrl(url, false)).as(url).isNull();
  }

  @Test
  void privateTargetsAreAcceptedWhenAllowedByConfiguration() {
    assertThat(TargetGuard.problemWithUrl("http://127.0.0.1:9090/hook", true)).isNull();
    assertThat(TargetGuard.problemWithUrl("http://localhost:9090/hook", true)).isNull();
  }

  @Test
  void resolvedAddressesAreCheckedTheSameWay() throws Exception {
    assertThat(TargetGuard.isPrivate(InetAddress.getByName("192.168.0.1"))).isTrue();
    assertThat(TargetGuard.isPrivate(InetAddress.getByName("::1"))).isTrue();
    assertThat(TargetGuard.isPrivate(InetAddress.getByName("100.64.0.1"))).isTrue();
    assertThat(TargetGuard.isPrivate(InetAddress.getByName("1.1.1.1"))).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://127.0.0.1:8080/", "http://10.2.3.4/", "http://[fd00::5]/", "http://[::ffff:10.9.9.9]/"})
  void privateAddressesInAnAllowedSubnetAreAccepted(String url) {
    var allowed = java.util.List.of(Cidr.parse("127.0.0.0/8"), Cidr.parse("10.0.0.0/8"), Cidr.parse("fd00::/8"));
    assertThat(TargetGuard.problemWithUrl(url, false, allowed)).as(url).isNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://192.168.1.1/", "http://169.254.169.254/", "http://[fe80::1]/", "http://11.0.0.1.nip/x"})
  void anAllowedSubnetLetsThroughOnlyItsOwnRange(String url) throws Exception {
    var allowed = java.util.List.of(Cidr.parse("10.0.0.0/8"));
    String host = java.net.URI.create(url).getHost();
    InetAddress literal = TargetGuard.literalAddress(host.replace("[", "").replace("]", ""));
    if (literal != null) {
      assertThat(TargetGuard.problemWithUrl(url, false, allowed)).as(url).isNotNull();
      assertThat(TargetGuard.isRefused(literal, allowed)).isTrue();
    }
  }

  @Test
  void publicAddressesAreNeverRefusedAndPrivateOnesOnlyOutsideTheAllowedSubnets() throws Exception {
    var allowed = java.util.List.of(Cidr.parse("10.1.0.0/16"));
    assertThat(TargetGuard.isRefused(InetAddress.getByName("8.8.8.8"), allowed)).isFalse();
    assertThat(TargetGuard.isRefused(InetAddress.getByName("10.1.200.3"), allowed)).isFalse();
    assertThat(TargetGuard.isRefused(InetAddress.getByName("10.2.0.1"), allowed)).isTrue();
    assertThat(TargetGuard.isRefused(InetAddress.getByName("10.2.0.1"), java.util.List.of())).isTrue();
  }

  @Test
  void aCidrMatchesByItsPrefixBitsAndFamily() throws Exception {
    Cidr v4 = Cidr.parse("192.168.16.0/20");
    assertThat(v4.contains(InetAddress.getByName("192.168.31.255"))).isTrue();
    assertThat(v4.contains(InetAddress.getByName("192.168.32.0"))).isFalse();
    assertThat(v4.contains(InetAddress.getByName("::ffff:192.168.20.1"))).isTrue();
    assertThat(v4.contains(InetAddress.getByName("fd00::1"))).isFalse();
    assertThat(Cidr.parse("10.1.2.3/8").toString()).isEqualTo("10.0.0.0/8");
    assertThat(Cidr.parse("192.0.2.7").contains(InetAddress.getByName("192.0.2.7"))).isTrue();
    assertThat(Cidr.parse("192.0.2.7").contains(InetAddress.getByName("192.0.2.8"))).isFalse();
    assertThat(Cidr.parse("0.0.0.0/0").contains(InetAddress.getByName("203.0.113.9"))).isTrue();
    assertThat(Cidr.parse("2001:db8::/32").contains(InetAddress.getByName("2001:db8:ffff::1"))).isTrue();
    assertThat(Cidr.parse("2001:db8::/32").contains(InetAddress.getByName("2001:db9::1"))).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "example.com/8", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/33", "::/129", "10.0.0/8"})
  void aCidrThatIsNotOneIsRefused(String text) {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Cidr.parse(text))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
