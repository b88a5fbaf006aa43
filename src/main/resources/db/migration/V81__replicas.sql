-- Live replicas: each replica on a shared store writes its row every heartbeat. The live ones (seen within a lease)
-- split each registry's traffic rules among themselves by rank (ferry.registries."HOST".max-concurrent-requests and
-- requests-per-second hold across the cluster). A replica stopped gracefully deletes its row.
-- Portable SQL: runs on the embedded H2 store and on PostgreSQL.
CREATE TABLE replicas (
    id      VARCHAR(128) PRIMARY KEY,
    seen_at TIMESTAMP WITH TIME ZONE NOT NULL
);
