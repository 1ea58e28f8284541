package io.hookrelay.delivery;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Refuses webhook targets that would let a subscriber reach the service's own network (SSRF): only http and https,
 * and no loopback, private, link-local, multicast, unspecified or IPv4-mapped forms of them, except in the subnets
 * the operator allows (HOOKRELAY_ALLOWED_TARGET_SUBNETS), or all of them when private targets are allowed (a
 * development shortcut).
 */
public final class TargetGuard {
  /** How to allow a private target, said in every refusal: the setting, and the restart command a developer can copy. */
  public static final String HOW_TO_ALLOW = " (list its subnet in HOOKRELAY_ALLOWED_TARGET_SUBNETS to allow it; for a "
      + "local test receiver, restart the node with HOOKRELAY_ALLOW_PRIVATE_TARGETS=true java -jar target/hookrelay.jar, "
      + "development only)";

  private TargetGuard() {}

  /** Checks the form of a target URL with no subnet allowed; answers what is wrong with it, or null. */
  public static String problemWithUrl(String url, boolean allowPrivate) {
    return problemWithUrl(url, allowPrivate, List.of());
  }

  /**
   * Checks the form of a target URL; answers what is wrong with it, or null when it is acceptable. With subnets
   * allowed, local-looking names are not refused by name: their DNS answers decide, here and at every delivery.
   */
  public static String problemWithUrl(String url, boolean allowPrivate, List<Cidr> allowedSubnets) {
    if (url == null || url.isBlank()) {
      return "target_url is required";
    }
    if (url.length() > 2048) {
      return "target_url must be at most 2048 characters";
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return "target_url is not a valid URL";
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return "target_url must use http or https";
    }
    String host = uri.getHost();
    if (host == null || host.isBlank()) {
      return "target_url must name a host";
    }
    if (uri.getUserInfo() != null) {
      return "target_url must not carry credentials";
    }
    if (host.indexOf('%') >= 0) {
      // A zone id (fe80::1%eth0, %25eth0 encoded) picks an interface of the node's own host: never a webhook target.
      return "target_url must not name an IPv6 zone id ('%' in the address)";
    }
    if (!allowPrivate) {
      String h = host.toLowerCase(Locale.ROOT);
      boolean localName = h.equals("localhost") || h.endsWith(".localhost") || h.endsWith(".local")
          || h.endsWith(".internal");
      if (allowedSubnets.isEmpty() && localName) {
        return "target_url points to a local host, which is refused" + HOW_TO_ALLOW;
      }
      InetAddress literal = literalAddress(host);
      if (literal != null && isRefused(literal, allowedSubnets)) {
        return "target_url points to a private, loopback or link-local address, which is refused" + HOW_TO_ALLOW;
      }
    }
    return null;
  }

  // Compiled once: String.matches compiles its pattern on every call, and this runs on every attempt.
  private static final Pattern INET_ATON =
      Pattern.compile("(?i)(0x[0-9a-f]*|[0-9]+)(\\.(0x[0-9a-f]*|[0-9]+)){0,3}\\.?");

  /**
   * An IP literal in the host part, or null when the host is a name. Never resolves names. IPv4 is read the way
   * inet_aton reads it, since that is how some resolvers and clients take it: one to four parts, each decimal,
   * octal (leading 0) or hex (0x), so 2130706433, 0x7f000001, 0177.0.0.1 and 127.1 are all loopback.
   */
  static InetAddress literalAddress(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    try {
      if (h.indexOf(':') >= 0) {
        return h.indexOf('%') >= 0 ? null : InetAddress.getByName(h);
      }
      if (INET_ATON.matcher(h).matches()) {
        return inetAton(h.endsWith(".") ? h.substring(0, h.length() - 1) : h);
      }
    } catch (Exception e) {
      return null;
    }
    return null;
  }

  private static InetAddress inetAton(String h) throws java.net.UnknownHostException {
    String[] parts = h.split("\\.");
    long[] n = new long[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i].toLowerCase(Locale.ROOT);
      n[i] = p.startsWith("0x") ? (p.length() == 2 ? 0 : Long.parseLong(p.substring(2), 16))
          : p.length() > 1 && p.startsWith("0") ? Long.parseLong(p.substring(1), 8) : Long.parseLong(p);
    }
    // The last part fills whatever bytes the others leave: a.b.c.d, a.b.c (c: 16 bits), a.b (b: 24 bits), a.
    long value = 0;
    for (int i = 0; i < n.length - 1; i++) {
      if (n[i] > 255) {
        return null;
      }
      value |= n[i] << (24 - 8 * i);
    }
    long last = n[n.length - 1];
    if (last >= 1L << (32 - 8 * (n.length - 1))) {
      return null;
    }
    long v = value | last;
    return InetAddress.getByAddress(new byte[] {(byte) (v >> 24), (byte) (v >> 16), (byte) (v >> 8), (byte) v});
  }

  /** True for an address a webhook must not reach: private (see {@link #isPrivate}) and in no allowed subnet. */
  public static boolean isRefused(InetAddress address, List<Cidr> allowedSubnets) {
    if (!isPrivate(address)) {
      return false;
    }
    for (Cidr allowed : allowedSubnets) {
      if (allowed.contains(address)) {
        return false;
      }
    }
    return true;
  }

  private static InetAddress embedded(byte[] b, int at) {
    try {
      return InetAddress.getByAddress(new byte[] {b[at], b[at + 1], b[at + 2], b[at + 3]});
    } catch (java.net.UnknownHostException e) {
      throw new IllegalStateException(e); // four bytes are always an address
    }
  }

  /** True for addresses a webhook must not reach: loopback, private, link-local, multicast, unspecified, ULA, CGNAT. */
  public static boolean isPrivate(InetAddress address) {
    if (address instanceof Inet6Address v6) {
      byte[] b = v6.getAddress();
      boolean mapped = true;
      for (int i = 0; i < 10; i++) {
        mapped &= b[i] == 0;
      }
      if (mapped && (b[10] == (byte) 0xff && b[11] == (byte) 0xff)) {
        try {
          return isPrivate(InetAddress.getByAddress(new byte[] {b[12], b[13], b[14], b[15]}));
        } catch (Exception e) {
          return true;
        }
      }
      if ((b[0] & 0xfe) == 0xfc) {
        return true; // fc00::/7 unique local
      }
      if ((b[0] & 0xff) == 0xfe && (b[1] & 0xc0) == 0xc0) {
        return true; // fec0::/10, the deprecated site-local range
      }
      // An IPv4 address carried inside: IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96), 6to4 (2002::/16).
      boolean compatible = mapped && b[10] == 0 && b[11] == 0;
      boolean nat64 = b[0] == 0 && b[1] == 0x64 && b[2] == (byte) 0xff && b[3] == (byte) 0x9b;
      if ((compatible && !address.isLoopbackAddress() && !address.isAnyLocalAddress()) || nat64) {
        return isPrivate(embedded(b, 12));
      }
      if (b[0] == 0x20 && b[1] == 0x02) {
        return isPrivate(embedded(b, 2));
      }
    }
    if (address instanceof Inet4Address v4) {
      byte[] b = v4.getAddress();
      int first = b[0] & 0xff;
      int second = b[1] & 0xff;
      if (first == 0 || (first == 100 && second >= 64 && second <= 127) || first >= 240) {
        return true; // this-network, carrier-grade NAT, reserved and broadcast
      }
    }
    return address.isLoopbackAddress() || address.isSiteLocalAddress() || address.isLinkLocalAddress()
        || address.isMulticastAddress() || address.isAnyLocalAddress();
  }
}
