-- The payload digest only serves idempotency checks: messages without a key no longer pay for computing it.
ALTER TABLE messages ALTER COLUMN payload_sha256 DROP NOT NULL;
