-- API keys: only a SHA-256 hash of each key's secret is kept; the key itself is shown once.
CREATE TABLE api_keys (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text        NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    role       text        NOT NULL CHECK (role IN ('reader', 'writer', 'admin')),
    secret_hash bytea      NOT NULL CHECK (length(secret_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,
    revoked_at timestamptz
);

-- Replayed answers to POST requests sent with an Idempotency-Key, shared by every API instance.
CREATE TABLE idempotency_keys (
    key_id       bigint      NOT NULL,
    key          text        NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    request_hash bytea       NOT NULL,
    status       int,
    location     text,
    content_type text,
    body         bytea,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (key_id, key)
);
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
