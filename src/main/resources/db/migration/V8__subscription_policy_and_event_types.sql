-- Per-subscription delivery policy: each column NULL means "the node's default" (HOOKRELAY_RETRY_SCHEDULE,
-- HOOKRELAY_MAX_ATTEMPTS, HOOKRELAY_DELIVERY_TIMEOUT). The API validates with the config's rules; the checks here
-- hold the bounds that do not depend on a node's settings.
ALTER TABLE subscriptions
  ADD COLUMN retry_schedule_ms bigint[]
    CONSTRAINT subscriptions_retry_schedule_fits CHECK (
      retry_schedule_ms IS NULL OR (cardinality(retry_schedule_ms) BETWEEN 1 AND 100)),
  ADD COLUMN max_attempts int
    CONSTRAINT subscriptions_max_attempts_fits CHECK (max_attempts IS NULL OR max_attempts BETWEEN 1 AND 100),
  ADD COLUMN timeout_ms int
    CONSTRAINT subscriptions_timeout_fits CHECK (timeout_ms IS NULL OR timeout_ms BETWEEN 1 AND 600000),
  -- Static request headers, lower-case name -> value. Values may be credentials: the API never answers them whole.
  ADD COLUMN headers jsonb;

-- PATCH merges headers into the stored ones, so the limit of 20 is held here, where concurrent merges meet.
CREATE FUNCTION hookrelay_object_size(jsonb) RETURNS int LANGUAGE sql IMMUTABLE STRICT
  AS 'SELECT count(*)::int FROM jsonb_object_keys($1)';
ALTER TABLE subscriptions ADD CONSTRAINT subscriptions_headers_at_most_20
  CHECK (headers IS NULL OR (jsonb_typeof(headers) = 'object' AND hookrelay_object_size(headers) <= 20));

-- The event-type catalogue: global (not per tenant). A schema is a JSON Schema (draft 2020-12) that ingest holds
-- payloads of the type to; the example is what POST /subscriptions/{id}/send-example delivers.
CREATE TABLE event_types (
  name text PRIMARY KEY CONSTRAINT event_types_name_syntax CHECK (name ~ '^[A-Za-z0-9._:-]{1,128}$'),
  description text,
  schema jsonb,
  example jsonb,
  deprecated boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now()
);
