package io.hookrelay.delivery;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 or IPv6 address range written as address/prefix (a bare address is a range of one). */
public record Cidr(InetAddress network, int prefix) {

  /** Reads "10.0.0.0/8", "fd00::/8" or "192.0.2.7"; bits past the prefix are ignored. Never resolves a name. */
  public static Cidr parse(String text) {
    String t = text.trim();
    int slash = t.indexOf('/');
    String address = slash < 0 ? t : t.substring(0, slash);
    InetAddress network = TargetGuard.literalAddress(address);
    if (network == null || !(address.matches("\\d{1,3}(\\.\\d{1,3}){3}") || address.contains(":"))) {
      throw new IllegalArgumentException("not an IP address: '" + address + "'");
    }
    int bits = network.getAddress().length * 8;
    int prefix;
    try {
      prefix = slash < 0 ? bits : Integer.parseInt(t.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("not a prefix length: '" + t.substring(slash + 1) + "'");
    }
    if (prefix < 0 || prefix > bits) {
      throw new IllegalArgumentException("prefix length must be 0 to " + bits + ", got " + prefix);
    }
    return new Cidr(masked(network, prefix), prefix);
  }

  /** True when the address lies in this range (an IPv4-mapped IPv6 address counts as its IPv4 form). */
  public boolean contains(InetAddress address) {
    byte[] a = address.getAddress();
    byte[] n = network.getAddress();
    if (a.length != n.length) {
      return false;
    }
    int full = prefix / 8;
    for (int i = 0; i < full; i++) {
      if (a[i] != n[i]) {
        return false;
      }
    }
    int rest = prefix % 8;
    return rest == 0 || ((a[full] ^ n[full]) & (0xff << (8 - rest))) == 0;
  }

  @Override
  public String toString() {
    return network.getHostAddress() + "/" + prefix;
  }

  private static InetAddress masked(InetAddress address, int prefix) {
    byte[] b = address.getAddress();
    for (int i = 0; i < b.length; i++) {
      int keep = Math.max(0, Math.min(8, prefix - i * 8));
      b[i] &= (byte) (0xff << (8 - keep));
    }
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }
}
