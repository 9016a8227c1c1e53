-- Administration: temporary blocks that escalate, disabled accounts with a reason,
-- enrollment invitations that can be listed and cancelled.

-- Lockout (see server/src/domain/lockout.rs). A block with blocked_until NULL is permanent
-- (every block written before this migration is one).
ALTER TABLE accounts ADD COLUMN blocked_until BIGINT;
-- Blocks since the last successful login or unblock (the N-th one is permanent).
ALTER TABLE accounts ADD COLUMN block_strikes BIGINT NOT NULL DEFAULT 0
    CHECK (block_strikes >= 0);
-- Start of the latest block, kept after it lifts (a new block soon after is permanent).
ALTER TABLE accounts ADD COLUMN last_blocked_at BIGINT;
UPDATE accounts SET last_blocked_at = blocked_at WHERE blocked_at IS NOT NULL;
-- Why an administrator disabled the account (free text, no secret).
ALTER TABLE accounts ADD COLUMN disabled_reason TEXT;

CREATE INDEX accounts_blocked ON accounts (blocked_at) WHERE blocked_at IS NOT NULL;

-- Invitations get a public identifier (the code itself is only known by its hash), their
-- author, and may be cancelled before use.
ALTER TABLE enrollments ADD COLUMN invitation_id TEXT;
ALTER TABLE enrollments ADD COLUMN created_by TEXT;
ALTER TABLE enrollments ADD COLUMN cancelled_at BIGINT;
-- 32 random upper-case hex digits per existing invitation.
UPDATE enrollments SET invitation_id = upper(replace(gen_random_uuid()::text, '-', ''))
    WHERE invitation_id IS NULL;
CREATE UNIQUE INDEX enrollments_by_invitation_id ON enrollments (invitation_id);

-- Audit queries by actor and by event.
CREATE INDEX audit_by_actor ON audit (actor, at);
CREATE INDEX audit_by_event ON audit (event, at);
