-- The deliveries still to make (pending, retrying, delivering), each with a time at or before which the recovery
-- sweep need not look at it: its next attempt when it was queued or scheduled (a claim leaves it, as the lease
-- ends later). Kept out of deliveries so that no index of deliveries covers its status or next attempt: the claim
-- and the record of an attempt then change no indexed column, and PostgreSQL makes them HOT updates, in the same
-- page and without a new entry in each of the table's indexes. Before this, each of them wrote all seven.
-- No foreign key: its check would lock each new delivery row (another WAL record per webhook). A row whose delivery
-- was deleted is dropped by the sweep that meets it, and the deletes of subscriptions and tenants remove theirs.
CREATE TABLE deliveries_open (
  delivery_id uuid        PRIMARY KEY,
  due_at      timestamptz NOT NULL
);
CREATE INDEX deliveries_open_due ON deliveries_open (due_at);

INSERT INTO deliveries_open (delivery_id, due_at)
  SELECT id, coalesce(next_attempt_at, created_at) FROM deliveries
  WHERE status IN ('pending', 'retrying', 'delivering');

DROP INDEX deliveries_due;

-- Room in each page for the new versions of its rows that a claim and a record write, so that they stay HOT.
ALTER TABLE deliveries SET (fillfactor = 70);
