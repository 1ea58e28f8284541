-- Mutual TLS per subscription: the certificate chain and key presented to the target (PEM), and what the API shows
-- of them instead of the key (subject, SHA-256 fingerprint, expiry). All five are set together or all are null.
ALTER TABLE subscriptions
  ADD COLUMN client_cert_pem       text,
  ADD COLUMN client_key_pem        text,
  ADD COLUMN client_cert_subject   text,
  ADD COLUMN client_cert_sha256    text,
  ADD COLUMN client_cert_not_after timestamptz,
  ADD CONSTRAINT subscriptions_client_cert_complete CHECK (
    (client_cert_pem IS NULL) = (client_key_pem IS NULL)
    AND (client_cert_pem IS NULL) = (client_cert_sha256 IS NULL));
