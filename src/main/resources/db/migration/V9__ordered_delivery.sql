-- Ordered delivery: for one subscription and one ordering key, webhook n+1 is not attempted before webhook n has
-- ended (succeeded, or failed and skipped or dismissed). The order is ingest-commit order: each key's counter row
-- is locked by the ingest statement that takes numbers from it, so two ingests of one key commit in number order.
ALTER TABLE subscriptions
  ADD COLUMN ordering text NOT NULL DEFAULT 'none' CHECK (ordering IN ('none', 'per_key')),
  ADD COLUMN ordering_on_failure text NOT NULL DEFAULT 'skip' CHECK (ordering_on_failure IN ('skip', 'block'));

ALTER TABLE deliveries
  ADD COLUMN ordering_key text,
  ADD COLUMN ordering_seq bigint,
  -- a failed delivery that no longer holds its key back ('block' mode), and when that was decided
  ADD COLUMN dismissed_at timestamptz;

-- The deliveries of a key that can still hold the next one back: the claim looks here for an earlier one.
CREATE INDEX deliveries_ordering_open ON deliveries (subscription_id, ordering_key, ordering_seq)
  WHERE ordering_seq IS NOT NULL AND status NOT IN ('succeeded', 'filtered');

CREATE TABLE ordering_keys (
  subscription_id uuid   NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  key             text   NOT NULL,
  last_seq        bigint NOT NULL,
  PRIMARY KEY (subscription_id, key)
);
