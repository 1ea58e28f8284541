package io.hookrelay.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Configuration: conf/config.json gives the defaults, HOOKRELAY_* variables override them, bad values stop start-up. */
class ConfigLoaderTest {

  @Test
  void theDefaultsOfConfConfigJsonLoadWithoutAnyVariable() {
    HookrelayConfig config = ConfigLoader.load(Map.of());

    assertThat(config.httpPort()).isEqualTo(8080);
    assertThat(config.embeddedDatabase()).isTrue();
    assertThat(config.embeddedRedis()).isTrue();
    assertThat(config.redisKeyPrefix()).isEqualTo("hr:");
    assertThat(config.dataDir().isAbsolute()).isTrue();
    assertThat(config.dataDir().getFileName().toString()).isEqualTo("data");
    assertThat(config.apiKeys()).isEmpty();
    assertThat(config.allowPrivateTargets()).isFalse();
    assertThat(config.retrySchedule()).containsExactly(Duration.ofSeconds(10), Duration.ofSeconds(30),
        Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15));
    assertThat(config.maxAttempts()).isEqualTo(5);
    assertThat(config.deliveryTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(config.maxBodyBytes()).isEqualTo(1024 * 1024);
    assertThat(config.retentionHours()).isEqualTo(72);
    assertThat(config.roles()).isEqualTo(Set.of(Role.API, Role.DELIVERY, Role.RETENTION));
    assertThat(config.cluster()).isFalse();
    assertThat(config.httpInstances()).isPositive();
    assertThat(config.deliveryInstances()).isPositive();
  }

  @Test
  void aHookrelayVariableOverridesItsKey() {
    HookrelayConfig config = ConfigLoader.load(Map.of(
        "HOOKRELAY_HTTP_PORT", "9999",
        "HOOKRELAY_RETRY_SCHEDULE", "1s,2m",
        "HOOKRELAY_ALLOW_PRIVATE_TARGETS", "true",
        "HOOKRELAY_API_KEYS", "first-key-0123456789, second-key-0123456789",
        "HOOKRELAY_ROLES", "api,delivery",
        "HOOKRELAY_DATABASE_URL", "postgresql://u:p@db:5432/hookrelay"));

    assertThat(config.httpPort()).isEqualTo(9999);
    assertThat(config.retrySchedule()).containsExactly(Duration.ofSeconds(1), Duration.ofMinutes(2));
    assertThat(config.allowPrivateTargets()).isTrue();
    assertThat(config.apiKeys()).containsExactly("first-key-0123456789", "second-key-0123456789");
    assertThat(config.roles()).isEqualTo(Set.of(Role.API, Role.DELIVERY));
    assertThat(config.databaseUrl()).isEqualTo("postgresql://u:p@db:5432/hookrelay");
    assertThat(config.embeddedDatabase()).isFalse();
  }

  @Test
  void aNumberThatIsNotOneNamesTheVariableAndTheRange() {
    assertRefused("HOOKRELAY_HTTP_PORT", "eighty", "must be a whole number from 0 to 65535");
  }

  @Test
  void aNumberOutOfRangeNamesTheVariableAndTheRange() {
    assertRefused("HOOKRELAY_MAX_ATTEMPTS", "0", "must be a whole number from 1 to 100");
  }

  @Test
  void aDurationWithoutUnitNamesTheVariableAndTheFormat() {
    assertRefused("HOOKRELAY_DELIVERY_TIMEOUT", "10", "must be a duration like");
  }

  @Test
  void aBadRetryScheduleNamesTheVariableAndTheFormat() {
    assertRefused("HOOKRELAY_RETRY_SCHEDULE", "10s,soon", "must be a comma-separated list of durations");
  }

  @Test
  void aBooleanThatIsNotOneNamesTheVariable() {
    assertRefused("HOOKRELAY_ALLOW_PRIVATE_TARGETS", "maybe", "must be true or false");
  }

  @Test
  void aDatabaseUrlWithAnotherSchemeNamesTheVariableAndTheSchemes() {
    assertRefused("HOOKRELAY_DATABASE_URL", "mysql://db/hookrelay", "must start with postgresql:// or postgres://");
  }

  @Test
  void aRedisUrlWithAnotherSchemeNamesTheVariableAndTheSchemes() {
    assertRefused("HOOKRELAY_REDIS_URL", "http://redis:6379", "must start with redis:// or rediss://");
  }

  @Test
  void anUnknownRoleNamesTheVariableAndTheRoles() {
    assertRefused("HOOKRELAY_ROLES", "api,worker", "must list any of api, delivery, retention");
  }

  @Test
  void noRoleAtAllIsRefused() {
    assertRefused("HOOKRELAY_ROLES", " , ", "must name at least one of api, delivery, retention");
  }

  @Test
  void aShortApiKeyIsRefused() {
    assertRefused("HOOKRELAY_API_KEYS", "short", "at least 16 characters");
  }

  @Test
  void aVisibilityTimeoutShorterThanTheDeliveryTimeoutIsRefused() {
    assertThatThrownBy(() -> ConfigLoader.load(Map.of(
            "HOOKRELAY_DELIVERY_TIMEOUT", "30s",
            "HOOKRELAY_VISIBILITY_TIMEOUT", "20s")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("HOOKRELAY_VISIBILITY_TIMEOUT: ")
        .hasMessageContaining("must be longer than delivery_timeout (30s)");
  }

  @Test
  void aMissingConfigFileNamedByHookrelayConfigIsRefused() {
    assertRefused("HOOKRELAY_CONFIG", "/nonexistent/hookrelay.json", "no such file");
  }

  @Test
  void aBadAllowedSubnetNamesTheVariableAndTheFormat() {
    assertRefused("HOOKRELAY_ALLOWED_TARGET_SUBNETS", "10.0.0.0/8,not-a-range", "IPv4 or IPv6 ranges");
    assertRefused("HOOKRELAY_ALLOWED_TARGET_SUBNETS", "10.0.0.0/33", "IPv4 or IPv6 ranges");
    assertRefused("HOOKRELAY_ALLOWED_TARGET_SUBNETS", "fd00::/129", "IPv4 or IPv6 ranges");
  }

  @Test
  void allowedSubnetsAreReadIntoRanges() {
    HookrelayConfig config = ConfigLoader.load(Map.of("HOOKRELAY_ALLOWED_TARGET_SUBNETS", " 10.1.0.0/16, fd00::/8 ,"));
    assertThat(config.allowedTargetSubnets()).extracting(Object::toString).containsExactly("10.1.0.0/16", "fd00:0:0:0:0:0:0:0/8");
    assertThat(ConfigLoader.load(Map.of()).allowedTargetSubnets()).isEmpty();
  }

  @Test
  void aDeliveryProxyThatIsNotHttpHostPortNamesTheVariable() {
    assertRefused("HOOKRELAY_DELIVERY_PROXY", "socks5://127.0.0.1:1080", "http://host:port");
    assertRefused("HOOKRELAY_DELIVERY_PROXY", "http://proxy.example", "http://host:port");
  }

  @Test
  void aDeliveryProxyCarriesItsCredentials() {
    var proxy = ConfigLoader.load(Map.of("HOOKRELAY_DELIVERY_PROXY", "http://relay:p%40ss@proxy.example:3128"))
        .deliveryProxy();
    assertThat(proxy.getHost()).isEqualTo("proxy.example");
    assertThat(proxy.getPort()).isEqualTo(3128);
    assertThat(proxy.getUsername()).isEqualTo("relay");
    assertThat(proxy.getPassword()).isEqualTo("p@ss");
  }

  @Test
  void aMissingOrEmptyCaFileNamesTheVariable() throws Exception {
    assertRefused("HOOKRELAY_DELIVERY_CA_FILE", "/nonexistent/ca.pem", "cannot read");
    java.nio.file.Path empty = java.nio.file.Files.createTempFile("ca", ".pem");
    assertRefused("HOOKRELAY_DELIVERY_CA_FILE", empty.toString(), "no PEM certificate");
    assertRefused("HOOKRELAY_DELIVERY_HOSTS_FILE", "/nonexistent/hosts", "cannot read");
  }

  @Test
  void everyMessageIsOneLine() {
    for (Map<String, String> bad : List.of(Map.of("HOOKRELAY_HTTP_PORT", "x"),
        Map.of("HOOKRELAY_DELIVERY_TIMEOUT", "x"), Map.of("HOOKRELAY_ROLES", "x"))) {
      assertThatThrownBy(() -> ConfigLoader.load(bad)).isInstanceOf(ConfigException.class)
          .extracting(Throwable::getMessage).asString().doesNotContain("\n");
    }
  }

  private static void assertRefused(String variable, String value, String rule) {
    assertThatThrownBy(() -> ConfigLoader.load(Map.of(variable, value)))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith(variable + ": ")
        .hasMessageContaining(rule);
  }
}
