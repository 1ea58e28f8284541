-- The whole hookrelay schema. PostgreSQL is the source of truth: Redis can be rebuilt from these tables.

CREATE TABLE subscriptions (
  id                          uuid PRIMARY KEY,
  target_url                  text        NOT NULL,
  secret                      text        NOT NULL,
  previous_secret             text,
  previous_secret_expires_at  timestamptz,
  event_types                 text[],
  description                 text,
  status                      text        NOT NULL DEFAULT 'enabled' CHECK (status IN ('enabled', 'disabled')),
  disabled_reason             text,
  consecutive_failures        integer     NOT NULL DEFAULT 0,
  rate_limit_per_s            integer     CHECK (rate_limit_per_s IS NULL OR rate_limit_per_s > 0),
  max_in_flight               integer     NOT NULL DEFAULT 32 CHECK (max_in_flight > 0),
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subscriptions_created_at ON subscriptions (created_at, id);

CREATE TABLE messages (
  id                 uuid PRIMARY KEY,
  event_type         text,
  payload            bytea       NOT NULL,
  payload_sha256     bytea       NOT NULL,
  -- idempotency keys are scoped: the subscription id for /ingest/{id}, 'events' for /events
  idempotency_scope  text,
  idempotency_key    text,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX messages_idempotency ON messages (idempotency_scope, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX messages_created_at ON messages (created_at);

CREATE TABLE deliveries (
  id               uuid PRIMARY KEY,
  message_id       uuid        NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  subscription_id  uuid        NOT NULL REFERENCES subscriptions (id) ON DELETE CASCADE,
  event_type       text,
  status           text        NOT NULL CHECK (status IN ('pending', 'delivering', 'retrying', 'succeeded', 'failed', 'filtered', 'held')),
  attempt_count    integer     NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz,
  -- while status = 'delivering': when the claim lapses and another worker may take the delivery
  lease_until      timestamptz,
  last_attempt_at  timestamptz,
  last_status_code integer,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_recent ON deliveries (created_at DESC, id DESC);
CREATE INDEX deliveries_subscription ON deliveries (subscription_id, created_at DESC, id DESC);
CREATE INDEX deliveries_message ON deliveries (message_id);

CREATE TABLE attempts (
  id               bigserial PRIMARY KEY,
  delivery_id      uuid        NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
  subscription_id  uuid        NOT NULL,
  target_url       text        NOT NULL,
  attempt_number   integer     NOT NULL,
  started_at       timestamptz NOT NULL,
  duration_ms      integer     NOT NULL,
  outcome          text        NOT NULL CHECK (outcome IN ('Success', 'Failed Attempt', 'Failure')),
  status_code      integer,
  error            text,
  response_body    text
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, attempt_number DESC);
CREATE INDEX attempts_subscription ON attempts (subscription_id, started_at DESC);
CREATE INDEX attempts_started_at ON attempts (started_at);

CREATE TABLE audit_log (
  id               bigserial PRIMARY KEY,
  at               timestamptz NOT NULL DEFAULT now(),
  action           text        NOT NULL,
  subscription_id  uuid,
  delivery_id      uuid,
  message_id       uuid,
  details          jsonb       NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_at ON audit_log (at DESC, id DESC);
