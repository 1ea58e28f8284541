-- The system tenant: hookrelay's own operational webhooks (subscription disabled or enabled, delivery failed,
-- tenant deleted) are messages of this tenant, delivered by the same pipeline to one subscription of it. It takes
-- no tokens and no portal links, so no tenant credential can see it; it cannot be deleted.
INSERT INTO tenants (id, uid, name) VALUES ('00000000-0000-0000-0000-000000000002', 'hookrelay-system',
  'hookrelay operational webhooks') ON CONFLICT DO NOTHING;
