-- The offline channel's lockout (see server/src/domain/offline_pause.rs): failed offline
-- codes typed into a login page pause the offline form for the Tigr ID typed, never the
-- phone's QR login. The columns of `accounts` keep the phone channel (signed approvals);
-- their values stay valid as they are (a block in force at the upgrade stays a block of
-- the phone channel, lifted as before).
--
-- One row per Tigr ID typed with a wrong code, enrolled or not, so that an unknown ID
-- behaves exactly like an enrolled one. The ID itself is not stored: `tigr_id_key` is an
-- HMAC-SHA256 of the normalised ID under a key derived from the master key (a copy of the
-- database cannot tell what was typed). `account_id` names the account of that ID when
-- one existed at the last write, for the administration (lists, unblock); no foreign key,
-- so that rows are written the same way for every ID. Rows are forgotten a week after their
-- last failure (no pause in force), and the oldest beyond a fixed number; the server's
-- purge deletes them.
CREATE TABLE offline_attempts (
    tigr_id_key     BYTEA PRIMARY KEY,
    account_id      TEXT,
    failures        BIGINT NOT NULL DEFAULT 0 CHECK (failures >= 0),
    paused_at       BIGINT,
    paused_until    BIGINT,
    pauses          BIGINT NOT NULL DEFAULT 0 CHECK (pauses >= 0),
    last_failure_at BIGINT NOT NULL
);

CREATE INDEX offline_attempts_by_account ON offline_attempts (account_id)
    WHERE account_id IS NOT NULL;
CREATE INDEX offline_attempts_by_age ON offline_attempts (last_failure_at);
