-- A login challenge can end 'blocked': the account that answered it is blocked (the answer
-- that reached the failure threshold, or any answer while blocked), so that the browser
-- showing the QR tells its user at once. `blocked_until` is the end of a temporary block
-- (NULL: until an administrator unblocks). The CHECK constraint on `state` is replaced in
-- place and the new column goes last, rows and index kept.
ALTER TABLE challenges
    DROP CONSTRAINT challenges_state_check,
    ADD CONSTRAINT challenges_state_check
        CHECK (state IN ('pending', 'scanned', 'approved', 'denied', 'blocked'));

ALTER TABLE challenges ADD COLUMN blocked_until BIGINT;
