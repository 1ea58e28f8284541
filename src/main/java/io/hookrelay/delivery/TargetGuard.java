package io.hookrelay.delivery;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

/**
 * Refuses webhook targets that would let a subscriber reach the service's own network (SSRF): only http and https,
 * and no loopback, private, link-local, multicast, unspecified or IPv4-mapped forms of them, except in the subnets
 * the operator allows (HOOKRELAY_ALLOWED_TARGET_SUBNETS), or all of them when private targets are allowed (a
 * development shortcut).
 */
public final class TargetGuard {
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
    if (!allowPrivate) {
      String h = host.toLowerCase(Locale.ROOT);
      if (allowedSubnets.isEmpty() && (h.equals("localhost") || h.endsWith(".localhost") || h.endsWith(".local") || h.endsWith(".internal"))) {
        return "target_url points to a local host, which is refused (list its subnet in HOOKRELAY_ALLOWED_TARGET_SUBNETS to allow it)";
      }
      InetAddress literal = literalAddress(host);
      if (literal != null && isRefused(literal, allowedSubnets)) {
        return "target_url points to a private, loopback or link-local address, which is refused "
            + "(list its subnet in HOOKRELAY_ALLOWED_TARGET_SUBNETS to allow it)";
      }
    }
    return null;
  }

  /**
   * An IP literal in the host part, or null when the host is a name. Never resolves names. A bare decimal or hex
   * number (2130706433, 0x7f000001) counts too: some resolvers take it for an IPv4 address.
   */
  static InetAddress literalAddress(String host) {
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    try {
      if (h.matches("\\d+")) {
        return v4(Long.parseLong(h));
      }
      if (h.matches("(?i)0x[0-9a-f]+")) {
        return v4(Long.parseLong(h.substring(2), 16));
      }
      if (h.matches("[0-9.]+") || h.indexOf(':') >= 0) {
        return InetAddress.getByName(h);
      }
    } catch (Exception e) {
      return null;
    }
    return null;
  }

  private static InetAddress v4(long n) throws java.net.UnknownHostException {
    return InetAddress.getByAddress(new byte[] {(byte) (n >> 24), (byte) (n >> 16), (byte) (n >> 8), (byte) n});
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
