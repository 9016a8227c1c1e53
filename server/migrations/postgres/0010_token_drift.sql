-- TOTP clock drift (RFC 6238 §6): a hardware token's clock wanders over the months; the
-- server remembers how far ahead (positive) or behind it was at its last accepted code, in
-- time steps, and looks for the next code around that. Bounded to 20 minutes
-- (server/src/domain/otp_token.rs, MAX_DRIFT_SECS: 40 steps of 30 s, 20 of 60 s); always 0
-- for HOTP. Updated with `last_step` in the same conditional UPDATE (a code works once).
-- See docs/security.md, "TOTP and HOTP tokens".
ALTER TABLE otp_tokens ADD COLUMN drift BIGINT NOT NULL DEFAULT 0 CHECK (drift BETWEEN -40 AND 40);
