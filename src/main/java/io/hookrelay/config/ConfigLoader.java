package io.hookrelay.config;

import io.hookrelay.delivery.Cidr;
import io.hookrelay.delivery.Pem;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.ProxyOptions;
import io.vertx.core.net.ProxyType;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Builds the typed {@link HookrelayConfig}: the defaults in conf/config.json (the working directory's copy if
 * present, else the one inside the jar, or the file named by HOOKRELAY_CONFIG), each key overridden by the
 * variable HOOKRELAY_&lt;KEY&gt;. A value that cannot be used raises a {@link ConfigException} naming the
 * variable and the rule.
 */
public final class ConfigLoader {
  private static final String PREFIX = "HOOKRELAY_";

  private final JsonObject defaults;
  private final Map<String, String> env;

  private ConfigLoader(JsonObject defaults, Map<String, String> env) {
    this.defaults = defaults;
    this.env = env;
  }

  /** Loads with the process environment. */
  public static HookrelayConfig load() {
    return load(System.getenv());
  }

  /** Loads with the given variables in place of the environment (tests, and re-loads after embedded start-up). */
  public static HookrelayConfig load(Map<String, String> env) {
    return new ConfigLoader(readDefaults(env), env).build();
  }

  static JsonObject readDefaults(Map<String, String> env) {
    String named = env.get(PREFIX + "CONFIG");
    Path file = named != null && !named.isBlank() ? Path.of(named) : Path.of("conf", "config.json");
    try {
      if (Files.isRegularFile(file)) {
        return new JsonObject(Files.readString(file));
      }
      if (named != null && !named.isBlank()) {
        throw new ConfigException("HOOKRELAY_CONFIG: no such file '" + named + "'");
      }
      try (InputStream in = ConfigLoader.class.getResourceAsStream("/conf/config.json")) {
        if (in == null) {
          throw new ConfigException("conf/config.json: not found in the working directory nor inside the jar");
        }
        return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
      }
    } catch (IOException | DecodeException e) {
      throw new ConfigException(file + ": cannot be read as JSON (" + e.getMessage() + ")");
    }
  }

  private HookrelayConfig build() {
    // One HTTP and one delivery instance per core: each instance batches its own writes, so twice as many halved
    // every batch and doubled the statements (BENCHMARKS.md, "What each change bought").
    int cores = Runtime.getRuntime().availableProcessors();
    Duration deliveryTimeout = duration("delivery_timeout", PolicyRules.TIMEOUT_MIN, PolicyRules.TIMEOUT_MAX);
    Duration visibility = duration("visibility_timeout", Duration.ofSeconds(1), Duration.ofHours(24));
    if (PolicyRules.timeout(deliveryTimeout, visibility) != null) {
      throw new ConfigException(name("visibility_timeout") + ": must be longer than delivery_timeout ("
          + Durations.format(deliveryTimeout) + ") plus a second, or deliveries still in flight would be claimed again");
    }
    List<Duration> retrySchedule = parsed("retry_schedule", Durations::parseList,
        "a comma-separated list of durations like 10s,30s,1m");
    String scheduleProblem = PolicyRules.retrySchedule(retrySchedule);
    if (scheduleProblem != null) {
      throw new ConfigException(name("retry_schedule") + ": " + scheduleProblem);
    }
    int httpInstances = integer("http_instances", 0, 256);
    int deliveryInstances = integer("delivery_instances", 0, 256);
    boolean cluster = bool("cluster");
    String clusterHost = text("cluster_host");
    if (!isIpAddress(clusterHost)) {
      throw new ConfigException(name("cluster_host") + ": must be an IP address of this machine (127.0.0.1, an "
          + "interface's address, or 0.0.0.0 for all), got '" + clusterHost + "'");
    }
    String clusterPublicHost = raw("cluster_public_host").trim();
    if (cluster && clusterPublicHost.isEmpty() && isWildcard(clusterHost)) {
      throw new ConfigException(name("cluster_public_host") + ": must be set when " + name("cluster_host")
          + " is " + clusterHost + ": other nodes need an address to reach this one at");
    }
    String clusterJoin = oneOf("cluster_join", Set.of("tcp", "multicast"));
    List<String> clusterMembers = Arrays.stream(raw("cluster_members").split(",")).map(String::trim)
        .filter(s -> !s.isEmpty()).toList();
    if (cluster && clusterJoin.equals("tcp") && clusterMembers.isEmpty()) {
      throw new ConfigException(name("cluster_members") + ": must list at least one host or host:port when "
          + name("cluster_join") + " is tcp");
    }
    return new HookrelayConfig(
        text("http_host"),
        integer("http_port", 0, 65535),
        httpInstances == 0 ? cores : httpInstances,
        url("database_url", "postgresql://", "postgres://"),
        integer("database_pool_size", 1, 512),
        url("redis_url", "redis://", "rediss://"),
        text("redis_key_prefix"),
        Path.of(text("data_dir")).toAbsolutePath().normalize(),
        apiKeys(),
        bool("allow_private_targets"),
        retrySchedule,
        integer("max_attempts", PolicyRules.MAX_ATTEMPTS_MIN, PolicyRules.MAX_ATTEMPTS_MAX),
        deliveryTimeout,
        deliveryInstances == 0 ? cores : deliveryInstances,
        integer("max_in_flight", 1, 10_000),
        integer("circuit_breaker_threshold", 0, 1_000_000),
        duration("secret_overlap", Duration.ZERO, Duration.ofDays(30)),
        visibility,
        integer("max_body_bytes", 1024, 64 * 1024 * 1024),
        longInteger("backlog_limit", 1, Long.MAX_VALUE),
        integer("ingest_batch_size", 1, 10_000),
        duration("ingest_batch_delay", Duration.ZERO, Duration.ofSeconds(1)),
        duration("recovery_interval", Duration.ofMillis(10), Duration.ofHours(1)),
        duration("recovery_grace", Duration.ZERO, Duration.ofHours(1)),
        integer("retention_hours", 1, 24 * 365 * 10),
        duration("retention_interval", Duration.ofMillis(10), Duration.ofDays(1)),
        integer("retention_batch_size", 1, 1_000_000),
        roles(),
        cluster,
        clusterHost,
        integer("cluster_port", 0, 65535),
        clusterPublicHost,
        clusterMembers,
        clusterJoin,
        text("cluster_name"),
        integer("cluster_hazelcast_port", 1, 65535 - 20),
        duration("shutdown_timeout", Duration.ofSeconds(1), Duration.ofMinutes(10)),
        oneOf("log_format", Set.of("text", "json")),
        parsed("allowed_target_subnets", ConfigLoader::cidrs,
            "a comma-separated list of IPv4 or IPv6 ranges like 10.0.0.0/8,fd00::/8"),
        optionalFile("delivery_hosts_file"),
        caCertificates(),
        proxy(),
        bool("delivery_http2"),
        bool("propagate_trace_context"),
        bool("require_known_event_types"),
        duration("portal_link_ttl", Duration.ofMinutes(1), Duration.ofDays(7)),
        frameAncestors(),
        publicUrl(),
        operationalWebhookUrl(),
        operationalWebhookSecret());
  }

  /** Where hookrelay's own events go; empty for nowhere. An operator's setting, so private targets are its call. */
  private String operationalWebhookUrl() {
    String url = raw("operational_webhook_url").trim();
    if (url.isEmpty()) {
      return "";
    }
    String problem = io.hookrelay.delivery.TargetGuard.problemWithUrl(url, true);
    if (problem != null) {
      throw new ConfigException(name("operational_webhook_url") + ": " + problem.replace("target_url", "the URL"));
    }
    return url;
  }

  /** The signing secret of the operational webhooks: required with a URL, in the form a subscription's takes. */
  private String operationalWebhookSecret() {
    String secret = raw("operational_webhook_secret").trim();
    boolean hasUrl = !raw("operational_webhook_url").trim().isEmpty();
    if (hasUrl && secret.isEmpty()) {
      throw new ConfigException(name("operational_webhook_secret") + ": required when "
          + name("operational_webhook_url") + " is set (whsec_ + base64, or 8 to 128 printable characters)");
    }
    if (!secret.isEmpty() && !io.hookrelay.delivery.Signer.isValidSecret(secret)) {
      throw new ConfigException(name("operational_webhook_secret") + ": must be whsec_ + base64 of 24 to 64 bytes, or "
          + "8 to 128 printable ASCII characters without spaces");
    }
    return secret;
  }

  /** CSP frame-ancestors sources: origins (https://shop.example), 'self', or empty for no framing at all. */
  private String frameAncestors() {
    String value = raw("portal_frame_ancestors").trim();
    for (String source : value.split("\\s+")) {
      if (!source.isEmpty() && !source.equals("'self'") && !source.matches("https?://[A-Za-z0-9.*:-]+")) {
        throw new ConfigException(name("portal_frame_ancestors") + ": must list origins such as https://app.example.com "
            + "or 'self', space-separated (empty: the portal may not be framed), got '" + source + "'");
      }
    }
    return value;
  }

  /** Where clients reach this node, for the links it hands out; empty: the Host of the request. */
  private String publicUrl() {
    String value = raw("public_url").trim();
    if (!value.isEmpty() && !value.matches("https?://[^\\s?#]+")) {
      throw new ConfigException(name("public_url") + ": must be an http:// or https:// URL without query or "
          + "fragment, got '" + value + "'");
    }
    return value;
  }

  /** True for an IPv4 or IPv6 literal; never resolves a name. */
  static boolean isIpAddress(String host) {
    return host.matches("\\d{1,3}(\\.\\d{1,3}){3}") || (host.contains(":") && host.matches("[0-9a-fA-F:.]+"));
  }

  /** The all-interfaces address, which binds but cannot be advertised. */
  public static boolean isWildcard(String host) {
    return host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0");
  }

  private static String name(String key) {
    return PREFIX + key.toUpperCase(Locale.ROOT);
  }

  private String raw(String key) {
    String fromEnv = env.get(name(key));
    if (fromEnv != null) {
      return fromEnv;
    }
    Object value = defaults.getValue(key);
    if (value == null) {
      throw new ConfigException(name(key) + ": missing (no default in conf/config.json)");
    }
    if (value instanceof io.vertx.core.json.JsonArray array) {
      return String.join(",", array.stream().map(String::valueOf).toList());
    }
    return String.valueOf(value);
  }

  private String text(String key) {
    String value = raw(key).trim();
    if (value.isEmpty()) {
      throw new ConfigException(name(key) + ": must not be empty");
    }
    return value;
  }

  private <T> T parsed(String key, Function<String, T> parser, String rule) {
    String value = raw(key);
    try {
      return parser.apply(value);
    } catch (RuntimeException e) {
      throw new ConfigException(name(key) + ": must be " + rule + ", got '" + value + "'");
    }
  }

  private int integer(String key, int min, int max) {
    return (int) longInteger(key, min, max);
  }

  private long longInteger(String key, long min, long max) {
    String value = raw(key).trim();
    long n;
    try {
      n = Long.parseLong(value);
    } catch (NumberFormatException e) {
      throw new ConfigException(name(key) + ": must be a whole number from " + min + " to " + max + ", got '" + value + "'");
    }
    if (n < min || n > max) {
      throw new ConfigException(name(key) + ": must be a whole number from " + min + " to " + max + ", got '" + value + "'");
    }
    return n;
  }

  private boolean bool(String key) {
    String value = raw(key).trim().toLowerCase(Locale.ROOT);
    return switch (value) {
      case "true", "1", "yes" -> true;
      case "false", "0", "no" -> false;
      default -> throw new ConfigException(name(key) + ": must be true or false, got '" + value + "'");
    };
  }

  private Duration duration(String key, Duration min, Duration max) {
    Duration d = parsed(key, Durations::parse, "a duration like 250ms, 10s, 5m or 2h");
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new ConfigException(name(key) + ": must be between " + Durations.format(min) + " and "
          + Durations.format(max) + ", got '" + raw(key) + "'");
    }
    return d;
  }

  private String oneOf(String key, Set<String> allowed) {
    String value = raw(key).trim().toLowerCase(Locale.ROOT);
    if (!allowed.contains(value)) {
      throw new ConfigException(name(key) + ": must be one of " + String.join(", ", allowed.stream().sorted().toList())
          + ", got '" + value + "'");
    }
    return value;
  }

  private String url(String key, String... schemes) {
    String value = raw(key).trim();
    if (value.isEmpty()) {
      return "";
    }
    for (String scheme : schemes) {
      if (value.startsWith(scheme)) {
        return value;
      }
    }
    throw new ConfigException(name(key) + ": must start with " + String.join(" or ", schemes)
        + " (or be empty for the embedded server)");
  }

  private List<String> apiKeys() {
    List<String> keys = Arrays.stream(raw("api_keys").split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    for (String key : keys) {
      if (key.length() < 16) {
        throw new ConfigException(name("api_keys") + ": each key must be at least 16 characters long");
      }
    }
    return keys;
  }

  private Set<Role> roles() {
    Set<Role> roles = EnumSet.noneOf(Role.class);
    for (String part : raw("roles").split(",")) {
      String role = part.trim().toUpperCase(Locale.ROOT);
      if (role.isEmpty()) {
        continue;
      }
      try {
        roles.add(Role.valueOf(role));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(name("roles") + ": must list any of api, delivery, retention, got '" + part.trim() + "'");
      }
    }
    if (roles.isEmpty()) {
      throw new ConfigException(name("roles") + ": must name at least one of api, delivery, retention");
    }
    return Set.copyOf(roles);
  }

  static List<Cidr> cidrs(String text) {
    return Arrays.stream(text.split(",")).map(String::trim).filter(s -> !s.isEmpty()).map(Cidr::parse).toList();
  }

  /** The text of the file the key names, read now (before any event loop runs), or null when the key is empty. */
  private String optionalFile(String key) {
    String value = raw(key).trim();
    if (value.isEmpty()) {
      return null;
    }
    try {
      return Files.readString(Path.of(value));
    } catch (IOException | RuntimeException e) {
      throw new ConfigException(name(key) + ": cannot read '" + value + "' (" + e.getMessage() + ")");
    }
  }

  /** The PEM certificates of the delivery CA file, trusted in addition to the JDK's own. */
  private List<X509Certificate> caCertificates() {
    String text = optionalFile("delivery_ca_file");
    if (text == null) {
      return List.of();
    }
    try {
      List<X509Certificate> certificates = Pem.certificates(text);
      if (certificates.isEmpty()) {
        throw new ConfigException(name("delivery_ca_file") + ": holds no PEM certificate");
      }
      return certificates;
    } catch (IllegalArgumentException e) {
      throw new ConfigException(name("delivery_ca_file") + ": " + e.getMessage());
    }
  }

  /** The outbound proxy, http://[user:password@]host:port, or null when the key is empty. */
  private ProxyOptions proxy() {
    String value = raw("delivery_proxy").trim();
    if (value.isEmpty()) {
      return null;
    }
    String rule = ": must be http://host:port, optionally with user:password@ before the host";
    URI uri;
    try {
      uri = new URI(value);
    } catch (URISyntaxException e) {
      throw new ConfigException(name("delivery_proxy") + rule);
    }
    if (!"http".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null || uri.getPort() <= 0
        || (uri.getRawPath() != null && !uri.getRawPath().isEmpty() && !uri.getRawPath().equals("/"))) {
      throw new ConfigException(name("delivery_proxy") + rule);
    }
    ProxyOptions options = new ProxyOptions().setType(ProxyType.HTTP).setHost(uri.getHost()).setPort(uri.getPort());
    if (uri.getRawUserInfo() != null) {
      String[] parts = uri.getRawUserInfo().split(":", 2);
      options.setUsername(URLDecoder.decode(parts[0], StandardCharsets.UTF_8));
      options.setPassword(parts.length > 1 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : "");
    }
    return options;
  }

  /** A copy of {@code env} with one more variable: how Main feeds embedded server URLs back into the loader. */
  public static Map<String, String> with(Map<String, String> env, String key, String value) {
    Map<String, String> copy = new HashMap<>(env);
    copy.put(name(key), value);
    return copy;
  }
}
