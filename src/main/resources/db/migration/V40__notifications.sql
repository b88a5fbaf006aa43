-- Outbound notifications (dev.ferry.notify): one row per (ended job, target), recorded before anything is sent so
-- that nothing accepted is lost across a restart; one row per delivery attempt (the delivery log).
-- secret_mode: none (unsigned), config (the secret is in ferry.notifications.targets."NAME"), sealed (secret_sealed,
-- AES-GCM with ferry.store.secret-key), memory (held by the replica that recorded it only: no store key).
-- Portable SQL: runs on the embedded H2 store and on PostgreSQL.
CREATE TABLE notification_deliveries (
    id              VARCHAR(36)     PRIMARY KEY,
    job_id          VARCHAR(36)     NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    target_key      VARCHAR(64)     NOT NULL,
    url             VARCHAR(2048)   NOT NULL,
    target_name     VARCHAR(128),
    policy          VARCHAR(128),
    event_type      VARCHAR(64)     NOT NULL,
    payload         VARCHAR(1000000) NOT NULL,
    secret_mode     VARCHAR(8)      NOT NULL,
    secret_sealed   VARCHAR(4096),
    state           VARCHAR(16)     NOT NULL,
    attempts        INT             NOT NULL DEFAULT 0,
    last_status     INT,
    last_error      VARCHAR(1024),
    recorded_by     VARCHAR(128)    NOT NULL,
    owner           VARCHAR(128),
    lease_until     TIMESTAMP WITH TIME ZONE,
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    next_attempt_at TIMESTAMP WITH TIME ZONE NOT NULL,
    ended_at        TIMESTAMP WITH TIME ZONE
);
CREATE UNIQUE INDEX notification_deliveries_job_target ON notification_deliveries (job_id, target_key);
CREATE INDEX notification_deliveries_due ON notification_deliveries (state, next_attempt_at);
CREATE INDEX notification_deliveries_created ON notification_deliveries (created_at);

CREATE TABLE notification_attempts (
    delivery_id  VARCHAR(36)    NOT NULL REFERENCES notification_deliveries (id) ON DELETE CASCADE,
    attempt      INT            NOT NULL,
    owner        VARCHAR(128)   NOT NULL,
    attempted_at TIMESTAMP WITH TIME ZONE NOT NULL,
    status       INT,
    error        VARCHAR(1024),
    duration_ms  BIGINT         NOT NULL,
    PRIMARY KEY (delivery_id, attempt)
);
