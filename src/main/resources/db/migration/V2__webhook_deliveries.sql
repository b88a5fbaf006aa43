-- Webhook deliveries already turned into jobs, so that a redelivered event creates no second job.
-- event_key: the event's id, or for events without one a hash of repository, digest and tag.
-- Portable SQL: runs on the embedded H2 store and on PostgreSQL.
CREATE TABLE webhook_deliveries (
    hook        VARCHAR(128)    NOT NULL,
    event_key   VARCHAR(256)    NOT NULL,
    job_id      VARCHAR(36)     NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    received_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (hook, event_key)
);
CREATE INDEX webhook_deliveries_job ON webhook_deliveries (job_id);
