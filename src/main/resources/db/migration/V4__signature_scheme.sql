-- Standard Webhooks v1a: a subscription signs either with an HMAC secret (v1) or an ed25519 private key (v1a).
-- For v1a, secret holds the private key ('whsk_' + base64 of the 32-byte seed), which the API never returns, and
-- public_key the matching 'whpk_' key, which receivers verify with: the JDK cannot derive it from the seed.
-- The second check keeps the scheme, the key's prefix and the public key in step even under concurrent changes.
ALTER TABLE subscriptions
  ADD COLUMN signature_scheme text NOT NULL DEFAULT 'v1'
    CONSTRAINT subscriptions_signature_scheme_known CHECK (signature_scheme IN ('v1', 'v1a')),
  ADD COLUMN public_key text,
  ADD CONSTRAINT subscriptions_signature_key_fits_scheme CHECK (
    (signature_scheme = 'v1' AND public_key IS NULL)
    OR (signature_scheme = 'v1a' AND secret LIKE 'whsk\_%' AND public_key LIKE 'whpk\_%'));
