-- OpenID Connect provider (docs/oidc.md): registered clients, signing keys, authorization
-- requests waiting for a login, codes, access tokens, which clients each web session signed
-- in to, and the back-channel logout tokens still to deliver. Bearer values (secrets, codes,
-- tokens, browser bindings) are stored as SHA-256 only.

-- Clients (relying parties), registered by administrators.
CREATE TABLE oidc_clients (
    id                        TEXT PRIMARY KEY,
    name                      TEXT NOT NULL,
    -- 'confidential' clients authenticate at the token endpoint; 'public' ones use PKCE only.
    kind                      TEXT NOT NULL CHECK (kind IN ('confidential', 'public')),
    auth_method               TEXT NOT NULL CHECK (auth_method IN
                              ('client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none')),
    -- SHA-256 of the 256-bit random secret (client_secret_* methods).
    secret_hash               BYTEA,
    -- private_key_jwt: the client's public keys (a JWK Set, JSON), or where to fetch them.
    jwks                      TEXT,
    jwks_uri                  TEXT,
    -- JSON arrays of exact URIs.
    redirect_uris             TEXT NOT NULL,
    post_logout_redirect_uris TEXT NOT NULL,
    backchannel_logout_uri    TEXT,
    -- Space-separated scopes the client may ask for (always with openid).
    scopes                    TEXT NOT NULL,
    subject_type              TEXT NOT NULL CHECK (subject_type IN ('public', 'pairwise')),
    created_at                BIGINT NOT NULL,
    updated_at                BIGINT NOT NULL,
    secret_rotated_at         BIGINT,
    CHECK ((kind = 'public') = (auth_method = 'none')),
    CHECK ((secret_hash IS NOT NULL) = (auth_method IN ('client_secret_basic', 'client_secret_post'))),
    CHECK ((auth_method = 'private_key_jwt') = (jwks IS NOT NULL OR jwks_uri IS NOT NULL))
);

-- ES256 signing keys. The private key (PKCS#8) is sealed with the master key like the offline
-- secrets; the current key is the one not retired. A retired key stays published in the JWKS
-- until `publish_until` (the end of the tokens it signed), then the purge deletes it.
CREATE TABLE oidc_signing_keys (
    kid            TEXT PRIMARY KEY,
    private_sealed BYTEA NOT NULL,
    public_jwk     TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    retired_at     BIGINT,
    publish_until  BIGINT
);

CREATE UNIQUE INDEX oidc_signing_keys_one_current ON oidc_signing_keys ((retired_at IS NULL))
    WHERE retired_at IS NULL;

-- Authorization requests waiting for the browser's login, bound to that browser (SHA-256 of
-- the token in its `tigr_oidc` cookie). `request` is the validated request (JSON).
CREATE TABLE oidc_pending (
    id           TEXT PRIMARY KEY,
    browser_hash BYTEA NOT NULL,
    client_id    TEXT NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    request      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);

CREATE INDEX oidc_pending_by_expiry ON oidc_pending (expires_at);

-- Authorization codes: single use, short-lived, bound to client, redirect URI, PKCE challenge,
-- nonce and the web session (its OIDC sid) that authorized them.
CREATE TABLE oidc_codes (
    code_hash      BYTEA PRIMARY KEY,
    client_id      TEXT NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    sid            TEXT NOT NULL,
    redirect_uri   TEXT NOT NULL,
    scope          TEXT NOT NULL,
    nonce          TEXT,
    code_challenge TEXT,
    auth_time      BIGINT NOT NULL,
    amr            TEXT NOT NULL,
    acr            TEXT NOT NULL,
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    used_at        BIGINT
);

CREATE INDEX oidc_codes_by_expiry ON oidc_codes (expires_at);

-- Access tokens (opaque): SHA-256 only; revoked when their code is replayed, their session
-- ends or their client is removed.
CREATE TABLE oidc_access_tokens (
    token_hash BYTEA PRIMARY KEY,
    code_hash  BYTEA NOT NULL,
    client_id  TEXT NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    sid        TEXT NOT NULL,
    scope      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);

CREATE INDEX oidc_access_tokens_by_code ON oidc_access_tokens (code_hash);
CREATE INDEX oidc_access_tokens_by_sid ON oidc_access_tokens (sid);
CREATE INDEX oidc_access_tokens_by_expiry ON oidc_access_tokens (expires_at);

-- Client assertions already used (private_key_jwt): a `jti` is accepted once per client
-- until the assertion expires.
CREATE TABLE oidc_assertion_ids (
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);

-- Web sessions gain their OpenID Connect session id (`sid` of ID and logout tokens) and the
-- time of the latest authentication (a re-authentication updates it and `method`).
ALTER TABLE web_sessions ADD COLUMN sid TEXT;
ALTER TABLE web_sessions ADD COLUMN auth_time BIGINT;
-- 32 random upper-case hex digits per existing session.
UPDATE web_sessions SET sid = upper(replace(gen_random_uuid()::text, '-', '')),
                        auth_time = created_at;
CREATE UNIQUE INDEX web_sessions_by_sid ON web_sessions (sid);

-- The clients each web session signed in to (for back-channel logout).
CREATE TABLE oidc_session_clients (
    sid        TEXT NOT NULL,
    client_id  TEXT NOT NULL REFERENCES oidc_clients (id) ON DELETE CASCADE,
    account_id TEXT NOT NULL,
    first_at   BIGINT NOT NULL,
    PRIMARY KEY (sid, client_id)
);

-- Logout tokens to deliver (a session ended by logout or by an administrator): one row per
-- client with a back-channel logout URI, retried a few times, then dropped (audited).
CREATE TABLE oidc_logout_queue (
    id              BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    sid             TEXT NOT NULL,
    client_id       TEXT NOT NULL,
    account_id      TEXT NOT NULL,
    queued_at       BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL
);

CREATE INDEX oidc_logout_queue_due ON oidc_logout_queue (next_attempt_at);

-- The service a login challenge is for (the client's name when the login page came from an
-- authorization request), shown on the phone; NULL: the server's own service name.
ALTER TABLE challenges ADD COLUMN service_name TEXT;
