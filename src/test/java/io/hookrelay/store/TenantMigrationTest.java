package io.hookrelay.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.hookrelay.tenant.Scope;
import io.hookrelay.testing.TestServers;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * V7 (tenants) on a database filled at the schema before it: every row of every table is still there with every
 * column unchanged, and all of it belongs to the default tenant.
 */
class TenantMigrationTest {
  private static final int TENANTS = 7;
  private static final List<String> TABLES = List.of("subscriptions", "messages", "deliveries", "attempts", "audit_log");

  @Test
  void aDatabaseFilledBeforeTenantsLosesAndChangesNothingAndLandsInTheDefaultTenant() throws Exception {
    String url = TestServers.freshDatabase();
    // The version before V7, whichever exists (V3 to V6 come with other work): a database as it was before tenants.
    String previous = java.util.Arrays.stream(TestServers.flyway(url, null).info().all())
        .map(m -> m.getVersion()).filter(v -> v.getMajor().intValue() < TENANTS)
        .max(Comparable::compareTo).orElseThrow().getVersion();
    TestServers.flyway(url, previous).migrate();
    try (Connection c = TestServers.jdbc(url); Statement s = c.createStatement()) {
      s.execute("INSERT INTO subscriptions (id, target_url, secret, event_types, description, status, "
          + "consecutive_failures, rate_limit_per_s, max_in_flight) SELECT ('00000000-0000-7000-8000-' || "
          + "lpad(to_hex(i), 12, '0'))::uuid, 'https://example.com/' || i, 'whsec_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0', "
          + "ARRAY['order.*'], 'sub ' || i, CASE WHEN i % 2 = 0 THEN 'enabled' ELSE 'disabled' END, i, "
          + "CASE WHEN i % 3 = 0 THEN 10 END, 8 FROM generate_series(1, 20) i");
      s.execute("INSERT INTO messages (id, event_type, payload, payload_sha256, idempotency_scope, idempotency_key) "
          + "SELECT ('00000000-0000-7000-9000-' || lpad(to_hex(i), 12, '0'))::uuid, 'order.created', "
          + "convert_to('{\"n\":' || i || '}', 'UTF8'), CASE WHEN i % 2 = 0 THEN sha256(convert_to('x' || i, 'UTF8')) END, "
          + "CASE WHEN i % 2 = 0 THEN 'events' END, CASE WHEN i % 2 = 0 THEN 'key-' || i END "
          + "FROM generate_series(1, 200) i");
      s.execute("INSERT INTO deliveries (id, message_id, subscription_id, event_type, status, attempt_count, "
          + "next_attempt_at, last_status_code, last_error) SELECT ('00000000-0000-7000-a000-' || "
          + "lpad(to_hex(i), 12, '0'))::uuid, ('00000000-0000-7000-9000-' || lpad(to_hex(i), 12, '0'))::uuid, "
          + "('00000000-0000-7000-8000-' || lpad(to_hex(1 + i % 20), 12, '0'))::uuid, 'order.created', "
          + "(ARRAY['pending','retrying','succeeded','failed','held'])[1 + i % 5], i % 4, now(), 500, 'boom' "
          + "FROM generate_series(1, 200) i");
      s.execute("INSERT INTO attempts (delivery_id, subscription_id, target_url, attempt_number, started_at, "
          + "duration_ms, outcome, status_code, error, response_body) SELECT d.id, d.subscription_id, "
          + "'https://example.com/x', 1, now(), 12, 'Failed Attempt', 500, 'boom', 'body' FROM deliveries d");
      s.execute("INSERT INTO audit_log (action, subscription_id, details) SELECT 'subscription_created', id, "
          + "'{\"target_url\": \"x\"}'::jsonb FROM subscriptions");
    }
    Map<String, List<String>> before = snapshot(url, null);
    TestServers.flyway(url, null).migrate();
    Map<String, List<String>> after = snapshot(url, previousColumns);
    for (String table : TABLES) {
      assertThat(after.get(table)).as(table).hasSize(before.get(table).size()).isNotEmpty()
          .containsExactlyElementsOf(before.get(table));
    }
    try (Connection c = TestServers.jdbc(url); Statement s = c.createStatement()) {
      for (String table : List.of("subscriptions", "messages", "deliveries", "audit_log")) {
        ResultSet r = s.executeQuery("SELECT count(*) FROM " + table + " WHERE tenant_id IS DISTINCT FROM '"
            + Scope.DEFAULT_TENANT + "'");
        r.next();
        assertThat(r.getLong(1)).as(table + " rows outside the default tenant").isZero();
      }
      ResultSet r = s.executeQuery("SELECT uid FROM tenants WHERE id = '" + Scope.DEFAULT_TENANT + "'");
      assertThat(r.next()).isTrue();
      assertThat(r.getString(1)).isEqualTo("default");
    }
  }

  /** The columns each table had before the migration, filled by the first snapshot: the second compares those. */
  private final Map<String, String> previousColumns = new LinkedHashMap<>();

  /** Every row of every table as text, ordered by id; with {@code columns}, only those columns. */
  private Map<String, List<String>> snapshot(String url, Map<String, String> columns) throws Exception {
    Map<String, List<String>> out = new LinkedHashMap<>();
    try (Connection c = TestServers.jdbc(url); Statement s = c.createStatement()) {
      for (String table : TABLES) {
        String cols = columns == null ? null : columns.get(table);
        boolean first = cols == null;
        if (cols == null) {
          ResultSet names = s.executeQuery("SELECT string_agg(column_name, ', ' ORDER BY ordinal_position) "
              + "FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '" + table + "'");
          names.next();
          cols = names.getString(1);
          if (first) {
            previousColumns.put(table, cols);
          }
        }
        List<String> rows = new ArrayList<>();
        ResultSet r = s.executeQuery("SELECT row_to_json(t)::text FROM (SELECT " + cols + " FROM " + table
            + " ORDER BY id) t");
        while (r.next()) {
          rows.add(r.getString(1));
        }
        out.put(table, rows);
      }
    }
    return out;
  }
}
