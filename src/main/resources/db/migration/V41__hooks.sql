-- Webhooks created through the API (/api/v1/hooks), shared by every replica on the store. Hooks from configuration
-- (ferry.hooks."NAME") are not stored here. definition: the hook's JSON without its secret (registry, maxBodyBytes,
-- rules); secret_sealed: the secret, AES-GCM with ferry.store.secret-key (bound to the hook's name), never shown.
-- Portable SQL: runs on the embedded H2 store and on PostgreSQL.
CREATE TABLE hooks (
    name          VARCHAR(64)     PRIMARY KEY,
    verification  VARCHAR(16)     NOT NULL,
    secret_sealed VARCHAR(4096)   NOT NULL,
    definition    VARCHAR(1000000) NOT NULL,
    version       BIGINT          NOT NULL,
    created_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at    TIMESTAMP WITH TIME ZONE NOT NULL
);
