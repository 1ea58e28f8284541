package io.hookrelay.delivery;

import io.hookrelay.config.HookrelayConfig;
import io.netty.resolver.HostsFileEntriesProvider;
import io.netty.resolver.HostsFileEntriesResolver;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Resolves target hosts without blocking: Netty's asynchronous DNS resolver (the one Vert.x is built on), on the
 * caller's event loop, with each answer cached for its TTL (at least {@value #MIN_TTL_SECONDS} s, at most
 * {@value #MAX_TTL_SECONDS} s, for up to {@value #MAX_HOSTS} hosts). Names in the hosts file are answered first:
 * the system's /etc/hosts, or the file named by HOOKRELAY_DELIVERY_HOSTS_FILE (for tests and split-horizon set-ups).
 * There is no fallback to the JVM's resolver.
 */
public final class TargetResolver {
  static final int MAX_HOSTS = 10_000;
  static final int MIN_TTL_SECONDS = 5;
  static final int MAX_TTL_SECONDS = 300;
  static final int NEGATIVE_TTL_SECONDS = 5;

  private final ContextInternal context;
  private final DnsNameResolver resolver;
  private final List<Cidr> allowedSubnets;

  public TargetResolver(Vertx vertx, HookrelayConfig config) {
    VertxInternal internal = (VertxInternal) vertx;
    this.context = internal.getOrCreateContext();
    this.allowedSubnets = config.allowedTargetSubnets();
    this.resolver = new DnsNameResolverBuilder(context.nettyEventLoop())
        .datagramChannelFactory(() -> internal.transport().datagramChannel())
        .resolveCache(new BoundedDnsCache(MAX_HOSTS, MIN_TTL_SECONDS, MAX_TTL_SECONDS, NEGATIVE_TTL_SECONDS,
            System::nanoTime))
        .hostsFileEntriesResolver(hostsFile(config.deliveryHosts()))
        .queryTimeoutMillis(Math.max(100, Math.min(5000, config.deliveryTimeout().toMillis())))
        .build();
  }

  /** Every address the host resolves to (an IP literal is its own answer). */
  public Future<List<InetAddress>> resolve(String host) {
    String bare = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    InetAddress literal = TargetGuard.literalAddress(bare);
    if (literal != null) {
      return Future.succeededFuture(List.of(literal));
    }
    Promise<List<InetAddress>> promise = context.promise();
    resolver.resolveAll(bare).addListener(f -> {
      if (f.isSuccess()) {
        @SuppressWarnings("unchecked")
        List<InetAddress> addresses = (List<InetAddress>) f.getNow();
        promise.complete(addresses);
      } else {
        promise.fail(f.cause());
      }
    });
    return promise.future();
  }

  /**
   * Resolves the host and checks every address it answers; answers the first when none is refused, else fails
   * with {@link TargetRefusedException}.
   */
  public Future<InetAddress> checked(String host) {
    return resolve(host).compose(addresses -> {
      for (InetAddress a : addresses) {
        if (TargetGuard.isRefused(a, allowedSubnets)) {
          return Future.failedFuture(new TargetRefusedException(host + " resolves to a private address"));
        }
      }
      return Future.succeededFuture(addresses.get(0));
    });
  }

  public void close() {
    resolver.close();
  }

  /** The hosts file entries: the system's, or those of the configured file's text. */
  private static HostsFileEntriesResolver hostsFile(String text) {
    if (text == null) {
      return HostsFileEntriesResolver.DEFAULT;
    }
    HostsFileEntriesProvider entries;
    try {
      entries = HostsFileEntriesProvider.parser().parse(new StringReader(text));
    } catch (IOException e) {
      throw new IllegalStateException(e); // a string reader does not fail
    }
    Map<String, List<InetAddress>> v4 = entries.ipv4Entries();
    Map<String, List<InetAddress>> v6 = entries.ipv6Entries();
    return (name, types) -> {
      String key = name.toLowerCase(Locale.ROOT);
      List<InetAddress> first = types == ResolvedAddressTypes.IPV6_ONLY || types == ResolvedAddressTypes.IPV6_PREFERRED
          ? v6.getOrDefault(key, v4.get(key)) : v4.getOrDefault(key, v6.get(key));
      return first == null || first.isEmpty() ? null : first.get(0);
    };
  }

  /** The target resolved to an address that is refused. */
  public static final class TargetRefusedException extends RuntimeException {
    TargetRefusedException(String message) {
      super(message, null, false, false);
    }
  }
}
