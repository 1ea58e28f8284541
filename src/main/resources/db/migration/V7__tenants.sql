-- Tenants: one hookrelay serving many customers of a platform. Every subscription belongs to exactly one tenant;
-- rows from before this migration belong to 'default', whose id is fixed so that code and tests can name it.

CREATE TABLE tenants (
  id          uuid PRIMARY KEY,
  uid         text        NOT NULL UNIQUE CHECK (uid ~ '^[A-Za-z0-9._~-]+$' AND length(uid) <= 256),
  name        text        NOT NULL,
  metadata    jsonb       NOT NULL DEFAULT '{}'::jsonb,
  max_subscriptions  integer CHECK (max_subscriptions IS NULL OR max_subscriptions >= 0),
  ingest_rate_per_s  integer CHECK (ingest_rate_per_s IS NULL OR ingest_rate_per_s > 0),
  -- 'deleting': its tokens are refused and its deliveries skipped at once; the purge removes its rows in batches
  status      text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleting')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenants_created_at ON tenants (created_at, id);
CREATE INDEX tenants_deleting ON tenants (status) WHERE status = 'deleting';

INSERT INTO tenants (id, uid, name) VALUES ('00000000-0000-0000-0000-000000000001', 'default', 'Default tenant');

-- Credentials a tenant holds: API tokens (hrt_), portal links (hrp_, single use) and portal sessions (hrs_).
-- Only the SHA-256 of a token is stored; it is looked up by that digest.
CREATE TABLE tenant_tokens (
  id          uuid PRIMARY KEY,
  tenant_id   uuid        NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kind        text        NOT NULL CHECK (kind IN ('api', 'portal_link', 'portal_session')),
  hash        bytea       NOT NULL UNIQUE,
  description text,
  read_only   boolean     NOT NULL DEFAULT false,
  expires_at  timestamptz,
  revoked_at  timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_tokens_tenant ON tenant_tokens (tenant_id, kind, created_at);

-- The scoping queries filter by tenant: subscriptions, messages (idempotency, event types, purge) and deliveries
-- (lists, counts, status) carry it, and every existing row goes to 'default'.
ALTER TABLE subscriptions ADD COLUMN tenant_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001'
  REFERENCES tenants (id);
ALTER TABLE subscriptions ALTER COLUMN tenant_id DROP DEFAULT;
CREATE INDEX subscriptions_tenant ON subscriptions (tenant_id, created_at, id);

ALTER TABLE messages ADD COLUMN tenant_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';
ALTER TABLE messages ALTER COLUMN tenant_id DROP DEFAULT;
CREATE INDEX messages_tenant ON messages (tenant_id, created_at);

ALTER TABLE deliveries ADD COLUMN tenant_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000001';
ALTER TABLE deliveries ALTER COLUMN tenant_id DROP DEFAULT;
CREATE INDEX deliveries_tenant ON deliveries (tenant_id, created_at DESC, id DESC);

-- Who acted (admin:<key id>, token:<id>, portal:<session id>, system) and for which tenant. IF NOT EXISTS: the audit
-- actor may already have come with another migration.
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS actor text;
ALTER TABLE audit_log ADD COLUMN IF NOT EXISTS tenant_id uuid;
UPDATE audit_log SET tenant_id = '00000000-0000-0000-0000-000000000001' WHERE tenant_id IS NULL;
CREATE INDEX audit_log_tenant ON audit_log (tenant_id, at DESC, id DESC);
