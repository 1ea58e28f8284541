package io.hookrelay.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.tenant.Scope;
import io.hookrelay.testing.TestServers;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The newest-first listings of deliveries and attempts read their index backwards, with no sort, while the indexes
 * themselves are ascending, so that each new row goes to an index's high end (V14). The plans are asked for with
 * sequential scans and sorts discouraged (settings of this test's own database): what is left is whether an index
 * gives the order at all.
 */
class NewestFirstIndexesTest {
  private static final String SUBSCRIPTION = "00000000-0000-7000-8000-000000000001";
  private static final String OTHER = "00000000-0000-7000-8000-000000000002";
  private static String url;

  @BeforeAll
  static void fill() throws Exception {
    url = TestServers.freshDatabase();
    TestServers.flyway(url, null).migrate();
    try (Connection c = TestServers.jdbc(url); Statement s = c.createStatement()) {
      s.execute("INSERT INTO subscriptions (id, target_url, secret, tenant_id) SELECT id::uuid, "
          + "'https://example.com/', 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0', '" + Scope.DEFAULT_TENANT + "' "
          + "FROM unnest(ARRAY['" + SUBSCRIPTION + "', '" + OTHER + "']) id");
      // One delivery in twenty is the subscription's, so that reading every delivery to find its own would cost.
      s.execute("INSERT INTO deliveries (id, message_id, subscription_id, event_type, status, created_at, tenant_id) "
          + "SELECT gen_random_uuid(), gen_random_uuid(), CASE WHEN i % 20 = 0 THEN '" + SUBSCRIPTION + "' ELSE '"
          + OTHER + "' END::uuid, 'order.created', 'succeeded', "
          + "timestamptz '2026-01-01' + make_interval(secs => i), '" + Scope.DEFAULT_TENANT + "' "
          + "FROM generate_series(1, 4000) i");
      s.execute("INSERT INTO attempts (delivery_id, subscription_id, target_url, attempt_number, started_at, "
          + "duration_ms, outcome) SELECT id, subscription_id, 'https://example.com/', 1, created_at, 5, 'Success' "
          + "FROM deliveries");
      s.execute("ANALYZE");
      for (String setting : List.of("enable_seqscan", "enable_sort", "enable_incremental_sort")) {
        s.execute("ALTER DATABASE " + c.getCatalog() + " SET " + setting + " = off");
      }
    }
  }

  @Test
  void everyDeliveryNewestFirstComesFromTheRecentIndexReadBackwards() throws Exception {
    String plan = plan("SELECT * FROM deliveries ORDER BY created_at DESC, id DESC LIMIT 51");
    assertThat(plan).contains("Index Scan Backward using deliveries_recent").doesNotContain("Sort");
    String next = plan("SELECT * FROM deliveries WHERE (created_at, id) < (timestamptz '2026-01-01 00:05', "
        + "'ffffffff-ffff-ffff-ffff-ffffffffffff') ORDER BY created_at DESC, id DESC LIMIT 51");
    assertThat(next).contains("Index Scan Backward using deliveries_recent").doesNotContain("Sort");
  }

  @Test
  void aSubscriptionsDeliveriesNewestFirstComeFromItsIndexReadBackwards() throws Exception {
    String plan = plan("SELECT * FROM deliveries WHERE subscription_id = '" + SUBSCRIPTION + "' "
        + "ORDER BY created_at DESC, id DESC LIMIT 51");
    assertThat(plan).contains("Index Scan Backward using deliveries_subscription").doesNotContain("Sort");
  }

  @Test
  void aSubscriptionsAttemptsNewestFirstNeedNoSortEvenForTheTieBreak() throws Exception {
    String plan = plan("SELECT * FROM attempts WHERE subscription_id = '" + SUBSCRIPTION + "' "
        + "ORDER BY started_at DESC, id DESC LIMIT 51");
    assertThat(plan).contains("Index Scan Backward using attempts_subscription").doesNotContain("Sort");
  }

  @Test
  void theListingIndexesAreAscendingSoThatNewRowsGoToTheirHighEnd() throws Exception {
    List<String> definitions = TestServers.column(url, "SELECT indexdef FROM pg_indexes WHERE indexname IN ("
        + "'deliveries_recent', 'deliveries_subscription', 'attempts_subscription') ORDER BY indexname");
    assertThat(definitions).hasSize(3).noneMatch(d -> d.contains("DESC"));
  }

  private static String plan(String sql) throws Exception {
    return String.join("\n", TestServers.column(url, "EXPLAIN " + sql));
  }
}
