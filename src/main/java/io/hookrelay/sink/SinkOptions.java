package io.hookrelay.sink;

import io.hookrelay.delivery.Signer;
import java.util.Arrays;

/**
 * How the test receiver behaves, parsed from the words after {@code sink} on the command line.
 *
 * @param port              port to listen on; 0 picks any free one
 * @param host              interface to bind
 * @param secret            when not null, every request's signature is checked against it (a whpk_ key checks v1a)
 * @param failRate          fraction (0..1) of webhook requests answered 500, chosen at random
 * @param status            status every other webhook request is answered with
 * @param latencyMs         delay before each webhook answer
 * @param retryAfterSeconds when not null, sent as Retry-After on every non-2xx webhook answer
 * @param quiet             no once-a-second progress line
 * @param tlsCert           when not null, serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN) with this PEM certificate chain
 * @param tlsKey            the PEM private key of {@code tlsCert}
 */
public record SinkOptions(int port, String host, String secret, double failRate, int status, long latencyMs,
                          Integer retryAfterSeconds, boolean quiet, String tlsCert, String tlsKey) {

  public static final int DEFAULT_PORT = 9090;
  public static final String DEFAULT_HOST = "127.0.0.1";
  private static final long MAX_LATENCY_MS = 600_000;

  public static final String HELP = String.join("\n",
      "usage: java -jar hookrelay.jar sink [options]",
      "",
      "A test receiver for webhooks: accepts POST on any path, counts requests, detects duplicate",
      "webhook-ids, verifies Standard Webhooks signatures when given a secret, and fails on purpose.",
      "",
      "  --port P            port to listen on, 0..65535, 0 = any free port (default " + DEFAULT_PORT + ")",
      "  --host H            interface to bind (default " + DEFAULT_HOST + ")",
      "  --secret S          verify webhook-signature with this secret (whsec_... or a plain secret: v1)",
      "                      or with this public key (whpk_...: v1a)",
      "  --fail-rate F       answer 500 to this fraction of requests, 0..1, chosen at random (default 0)",
      "  --status CODE       answer every request with CODE, 100..599, e.g. 410, 429, 500 (default 200)",
      "  --latency-ms L      answer after L milliseconds, 0.." + MAX_LATENCY_MS + " (default 0)",
      "  --retry-after SECS  add Retry-After: SECS to every non-2xx answer",
      "  --quiet             do not print the once-a-second counts line",
      "  --tls-cert FILE     serve HTTPS with this PEM certificate (chain), HTTP/2 and HTTP/1.1 offered by ALPN",
      "  --tls-key FILE      the PEM private key of --tls-cert (both or neither)",
      "  --help              print this text",
      "",
      "GET /stats              {\"received\",\"valid_signatures\",\"invalid_signatures\",\"duplicates\",\"distinct\"}",
      "GET /received/{id}      {\"webhook_id\",\"count\",\"first_received_at_ms\"} or 404");

  public SinkOptions {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("--port must be between 0 and 65535, got " + port);
    }
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("--host must not be empty");
    }
    if (secret != null && !Signer.isValidSecret(secret) && !Signer.isValidPublicKey(secret)) {
      throw new IllegalArgumentException("--secret must be whsec_ + base64 of 24..64 bytes,"
          + " 8..128 printable ASCII characters without spaces, or whpk_ + base64 of a 32-byte ed25519 public key");
    }
    if ((tlsCert == null) != (tlsKey == null)) {
      throw new IllegalArgumentException("--tls-cert and --tls-key go together");
    }
    if (!(failRate >= 0 && failRate <= 1)) {
      throw new IllegalArgumentException("--fail-rate must be a number between 0 and 1, got " + failRate);
    }
    if (status < 100 || status > 599) {
      throw new IllegalArgumentException("--status must be an HTTP status between 100 and 599, got " + status);
    }
    if (latencyMs < 0 || latencyMs > MAX_LATENCY_MS) {
      throw new IllegalArgumentException("--latency-ms must be between 0 and " + MAX_LATENCY_MS + ", got " + latencyMs);
    }
    if (retryAfterSeconds != null && retryAfterSeconds < 0) {
      throw new IllegalArgumentException("--retry-after must be 0 or more seconds, got " + retryAfterSeconds);
    }
  }

  /** A receiver on the default port that answers 200 at once and checks no signatures. */
  public static SinkOptions defaults() {
    return new SinkOptions(DEFAULT_PORT, DEFAULT_HOST, null, 0, 200, 0, null, false, null, null);
  }

  /** True when the words ask for the help text, which {@link #parse} does not accept as an option. */
  public static boolean wantsHelp(String... args) {
    return Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h");
  }

  /** Parses the words after {@code sink}; {@code --flag value} and {@code --flag=value} both work. */
  public static SinkOptions parse(String... args) {
    int port = DEFAULT_PORT;
    String host = DEFAULT_HOST;
    String secret = null;
    double failRate = 0;
    int status = 200;
    long latencyMs = 0;
    Integer retryAfterSeconds = null;
    boolean quiet = false;
    String tlsCert = null;
    String tlsKey = null;

    for (int i = 0; i < args.length; i++) {
      String flag = args[i];
      String value = null;
      int eq = flag.indexOf('=');
      if (flag.startsWith("--") && eq > 0) {
        value = flag.substring(eq + 1);
        flag = flag.substring(0, eq);
      }
      if (flag.equals("--quiet")) {
        if (value != null) {
          throw new IllegalArgumentException("--quiet takes no value");
        }
        quiet = true;
        continue;
      }
      if (!isValueFlag(flag)) {
        throw new IllegalArgumentException("unknown option '" + args[i] + "' (see sink --help)");
      }
      if (value == null) {
        if (i + 1 >= args.length) {
          throw new IllegalArgumentException(flag + " needs a value (see sink --help)");
        }
        value = args[++i];
      }
      switch (flag) {
        case "--port" -> port = (int) integer(flag, value);
        case "--host" -> host = value;
        case "--secret" -> secret = value;
        case "--fail-rate" -> failRate = number(flag, value);
        case "--status" -> status = (int) integer(flag, value);
        case "--latency-ms" -> latencyMs = integer(flag, value);
        case "--retry-after" -> retryAfterSeconds = (int) integer(flag, value);
        case "--tls-cert" -> tlsCert = value;
        case "--tls-key" -> tlsKey = value;
        default -> throw new IllegalStateException(flag);
      }
    }
    return new SinkOptions(port, host, secret, failRate, status, latencyMs, retryAfterSeconds, quiet, tlsCert, tlsKey);
  }

  private static boolean isValueFlag(String flag) {
    return switch (flag) {
      case "--port", "--host", "--secret", "--fail-rate", "--status", "--latency-ms", "--retry-after", "--tls-cert",
          "--tls-key" -> true;
      default -> false;
    };
  }

  private static long integer(String flag, String value) {
    try {
      long n = Long.parseLong(value.trim());
      if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
        throw new NumberFormatException();
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " must be a whole number, got '" + value + "'");
    }
  }

  private static double number(String flag, String value) {
    try {
      return Double.parseDouble(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " must be a number, got '" + value + "'");
    }
  }

  @Override
  public String toString() {
    // the secret stays out of logs
    return "SinkOptions[port=" + port + ", host=" + host + ", secret=" + (secret == null ? "none" : "set")
        + ", failRate=" + failRate + ", status=" + status + ", latencyMs=" + latencyMs
        + ", retryAfterSeconds=" + retryAfterSeconds + ", quiet=" + quiet + "]";
  }
}
