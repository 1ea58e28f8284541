-- No index of messages or deliveries leads with the tenant any more. With many tenants each webhook put a row into
-- one of thousands of leaves of both, at a cost of PostgreSQL CPU per webhook that one tenant does not pay
-- (BENCHMARKS.md, Tenants). A tenant's deliveries are listed and counted through its subscriptions
-- (deliveries_subscription), and its purge finds deliveries the same way, their messages by id, and the messages no
-- subscription matched by a sweep of the table.
DROP INDEX messages_tenant;
DROP INDEX deliveries_tenant;
