-- Registry credentials stored by admins (PUT /api/v1/credentials/{host}, skopeo's login), one row per exact host,
-- shared by every replica. The secret (user name and password, or a token) is only ever stored sealed with the
-- store's key (ferry.store.secret-key, AES-GCM with the host as associated data); kind and who set it are not secret.
-- Portable SQL: runs on the embedded H2 store and on PostgreSQL.
CREATE TABLE registry_credentials (
    host    VARCHAR(256)  PRIMARY KEY,
    kind    VARCHAR(16)   NOT NULL,
    sealed  VARCHAR(16384) NOT NULL,
    set_by  VARCHAR(256)  NOT NULL,
    set_at  TIMESTAMP WITH TIME ZONE NOT NULL
);
