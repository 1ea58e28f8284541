package io.hookrelay.delivery;

import io.netty.channel.EventLoop;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.resolver.dns.DnsCache;
import io.netty.resolver.dns.DnsCacheEntry;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The DNS answers of target hosts, each kept for its own TTL held between a floor and a ceiling, for at most
 * {@code maxHosts} hosts (the least recently used go first). Netty's resolver fills and reads it.
 */
final class BoundedDnsCache implements DnsCache {
  private final int maxHosts;
  private final long minTtlSeconds;
  private final long maxTtlSeconds;
  private final long negativeTtlSeconds;
  private final LongSupplier nanoClock;
  private final Map<String, List<Entry>> byHost;

  private record Entry(InetAddress address, Throwable cause, long expiresAtNanos) implements DnsCacheEntry {}

  BoundedDnsCache(int maxHosts, long minTtlSeconds, long maxTtlSeconds, long negativeTtlSeconds, LongSupplier nanoClock) {
    this.maxHosts = maxHosts;
    this.minTtlSeconds = minTtlSeconds;
    this.maxTtlSeconds = maxTtlSeconds;
    this.negativeTtlSeconds = negativeTtlSeconds;
    this.nanoClock = nanoClock;
    this.byHost = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, List<Entry>> eldest) {
        return size() > BoundedDnsCache.this.maxHosts;
      }
    };
  }

  @Override
  public synchronized void clear() {
    byHost.clear();
  }

  @Override
  public synchronized boolean clear(String hostname) {
    return byHost.remove(key(hostname)) != null;
  }

  @Override
  public synchronized List<? extends DnsCacheEntry> get(String hostname, DnsRecord[] additionals) {
    List<Entry> entries = byHost.get(key(hostname));
    if (entries == null) {
      return List.of();
    }
    long now = nanoClock.getAsLong();
    entries.removeIf(e -> e.expiresAtNanos() - now <= 0);
    if (entries.isEmpty()) {
      byHost.remove(key(hostname));
      return List.of();
    }
    return List.copyOf(entries);
  }

  @Override
  public synchronized DnsCacheEntry cache(String hostname, DnsRecord[] additionals, InetAddress address,
      long originalTtl, EventLoop loop) {
    long ttl = Math.max(minTtlSeconds, Math.min(maxTtlSeconds, originalTtl));
    Entry entry = new Entry(address, null, nanoClock.getAsLong() + ttl * 1_000_000_000L);
    List<Entry> entries = byHost.computeIfAbsent(key(hostname), h -> new ArrayList<>(2));
    entries.removeIf(e -> e.cause() != null || e.address().equals(address));
    entries.add(entry);
    return entry;
  }

  @Override
  public synchronized DnsCacheEntry cache(String hostname, DnsRecord[] additionals, Throwable cause, EventLoop loop) {
    Entry entry = new Entry(null, cause, nanoClock.getAsLong() + negativeTtlSeconds * 1_000_000_000L);
    if (negativeTtlSeconds > 0) {
      byHost.put(key(hostname), new ArrayList<>(List.of(entry)));
    }
    return entry;
  }

  synchronized int size() {
    return byHost.size();
  }

  private static String key(String hostname) {
    return hostname.toLowerCase(Locale.ROOT);
  }
}
