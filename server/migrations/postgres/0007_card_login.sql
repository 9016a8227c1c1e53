-- Card login (docs/cps.md): an administrator binds a health-sector card to an account, by
-- the national identifier its certificate carries (`national_id`, e.g. '810001234567') or
-- by the SHA-256 fingerprint of one certificate (`fingerprint`, 64 hex digits), for cards
-- whose certificate carries no identifier. A value is bound to one account at most.
CREATE TABLE card_bindings (
    kind       TEXT NOT NULL CHECK (kind IN ('national_id', 'fingerprint')),
    value      TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    created_at BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    PRIMARY KEY (kind, value)
);

CREATE INDEX card_bindings_by_account ON card_bindings (account_id);

-- Web sessions may be opened by a card ('cps'): the CHECK constraint on `method` is replaced
-- in place, rows, columns and indexes kept.
-- 'qr' (phone approval), 'offline' (Tigr ID + one-time password), 'cps' (card
-- certificate, its PIN checked by the card).
ALTER TABLE web_sessions
    DROP CONSTRAINT web_sessions_method_check,
    ADD CONSTRAINT web_sessions_method_check CHECK (method IN ('qr', 'offline', 'cps'));
