package io.hookrelay.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.tenant.Scope;
import io.hookrelay.testing.TestServers;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * V11 (deliveries_open) on a database filled at V10: every delivery that is still to make gets its row, at its
 * next attempt, and no other does; the deliveries themselves are unchanged.
 */
class OpenDeliveriesMigrationTest {
  private static final String DELIVERY = "('00000000-0000-7000-a000-' || lpad(to_hex(i), 12, '0'))::uuid";

  @Test
  void everyOpenDeliveryAndNoOtherGetsItsRowAtItsNextAttempt() throws Exception {
    String url = TestServers.freshDatabase();
    TestServers.flyway(url, "10").migrate();
    try (Connection c = TestServers.jdbc(url); Statement s = c.createStatement()) {
      s.execute("INSERT INTO subscriptions (id, target_url, secret, tenant_id) VALUES ("
          + "'00000000-0000-7000-8000-000000000001', 'https://example.com/', 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0', "
          + "'" + Scope.DEFAULT_TENANT + "')");
      s.execute("INSERT INTO messages (id, event_type, payload, payload_sha256, tenant_id) SELECT ('00000000-0000-7000-9000-' || "
          + "lpad(to_hex(i), 12, '0'))::uuid, 'order.created', convert_to('{}', 'UTF8'), sha256(convert_to('{}', "
          + "'UTF8')), '" + Scope.DEFAULT_TENANT + "' FROM generate_series(1, 70) i");
      // Seven statuses, ten each; the delivering ones have no next attempt (claimed when first due).
      s.execute("INSERT INTO deliveries (id, message_id, subscription_id, event_type, status, next_attempt_at, "
          + "lease_until, created_at, tenant_id) SELECT " + DELIVERY + ", ('00000000-0000-7000-9000-' || lpad(to_hex(i), 12, '0'))"
          + "::uuid, '00000000-0000-7000-8000-000000000001', 'order.created', (ARRAY['pending', 'delivering', "
          + "'retrying', 'succeeded', 'failed', 'filtered', 'held'])[1 + i % 7], CASE WHEN i % 7 <> 1 THEN "
          + "timestamptz '2026-01-01' + make_interval(mins => i) END, CASE WHEN i % 7 = 1 THEN now() END, "
          + "timestamptz '2025-12-31' + make_interval(mins => i), '" + Scope.DEFAULT_TENANT + "' "
          + "FROM generate_series(1, 70) i");
    }
    List<String> before = TestServers.column(url, "SELECT row_to_json(d)::text FROM deliveries d ORDER BY id");
    TestServers.flyway(url, null).migrate();

    assertThat(TestServers.column(url, "SELECT row_to_json(d)::text FROM deliveries d ORDER BY id")).hasSize(70)
        .containsExactlyElementsOf(before);
    List<String> expected = TestServers.column(url, "SELECT id || ' ' || coalesce(next_attempt_at, created_at) "
        + "FROM deliveries "
        + "WHERE status IN ('pending', 'retrying', 'delivering') ORDER BY id");
    assertThat(expected).hasSize(30);
    assertThat(TestServers.column(url, "SELECT delivery_id || ' ' || due_at FROM deliveries_open "
        + "ORDER BY delivery_id"))
        .containsExactlyElementsOf(expected);
    assertThat(TestServers.column(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'deliveries'"))
        .doesNotContain("deliveries_due");
  }
}
