package io.hookrelay.delivery;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.resolver.dns.DnsCacheEntry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** DNS answers are kept for their TTL within a floor and a ceiling, for a bounded number of hosts (fake clock). */
class BoundedDnsCacheTest {
  private static final long SECOND = 1_000_000_000L;
  private final AtomicLong now = new AtomicLong();
  private final BoundedDnsCache cache = new BoundedDnsCache(2, 5, 300, 5, now::get);

  @Test
  void anAnswerIsKeptForItsTtl() throws Exception {
    cache.cache("a.example", null, address("192.0.2.1"), 60, null);
    now.addAndGet(59 * SECOND);
    assertThat(cache.get("a.example", null)).extracting(DnsCacheEntry::address).containsExactly(address("192.0.2.1"));
    now.addAndGet(2 * SECOND);
    assertThat(cache.get("a.example", null)).isEmpty();
  }

  @Test
  void aVeryShortTtlIsRaisedToTheFloorAndAVeryLongOneCutToTheCeiling() throws Exception {
    cache.cache("short.example", null, address("192.0.2.1"), 0, null);
    cache.cache("long.example", null, address("192.0.2.2"), 86_400, null);
    now.addAndGet(4 * SECOND);
    assertThat(cache.get("short.example", null)).hasSize(1);
    now.addAndGet(2 * SECOND);
    assertThat(cache.get("short.example", null)).isEmpty();
    now.addAndGet(300 * SECOND);
    assertThat(cache.get("long.example", null)).isEmpty();
  }

  @Test
  void everyAddressOfAHostIsKept() throws Exception {
    cache.cache("multi.example", null, address("192.0.2.1"), 60, null);
    cache.cache("multi.example", null, address("2001:db8::1"), 60, null);
    assertThat(cache.get("MULTI.example", null)).hasSize(2);
  }

  @Test
  void beyondTheBoundTheLeastRecentlyUsedHostGoes() throws Exception {
    cache.cache("a.example", null, address("192.0.2.1"), 60, null);
    cache.cache("b.example", null, address("192.0.2.2"), 60, null);
    cache.get("a.example", null);
    cache.cache("c.example", null, address("192.0.2.3"), 60, null);
    assertThat(cache.size()).isEqualTo(2);
    assertThat(cache.get("b.example", null)).isEmpty();
    assertThat(cache.get("a.example", null)).hasSize(1);
  }

  @Test
  void aFailedLookupIsRememberedBriefly() {
    cache.cache("missing.example", null, new UnknownHostException("missing.example"), null);
    assertThat(cache.get("missing.example", null)).singleElement().extracting(DnsCacheEntry::cause).isNotNull();
    now.addAndGet(6 * SECOND);
    assertThat(cache.get("missing.example", null)).isEmpty();
  }

  private static InetAddress address(String literal) throws UnknownHostException {
    return InetAddress.getByName(literal);
  }
}
