-- Two foreign keys whose checks cost the hot path more than the rows they guard. Each check is a query per row that
-- locks the parent row (a WAL record and a dirtied page): an attempt locked its delivery, a delivery its message.
-- Inserting 200,000 attempts in batches of 64 took 1.1–1.3 s without the key and 3.0–3.9 s with it (BENCHMARKS.md).
-- Both parents are written by hookrelay alone, in the same statement or after a claim of the parent, so no check
-- is needed to keep them consistent; what the cascades did is done by the deletes themselves: retention deletes a
-- message's deliveries and their attempts with it, deleting a subscription deletes its attempts, and a tenant's
-- purge deletes table by table. The key from deliveries to subscriptions stays: ingest relies on it to refuse a
-- webhook for a subscription deleted while the webhook was being stored.
ALTER TABLE attempts DROP CONSTRAINT IF EXISTS attempts_delivery_id_fkey;
ALTER TABLE deliveries DROP CONSTRAINT IF EXISTS deliveries_message_id_fkey;
