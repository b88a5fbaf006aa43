-- Leases: which replica runs a job (owner), until when (lease_until, renewed by heartbeats), and the claim's
-- version that fences every write of a runner. attempts: one row per run, to show who ran a job when.
-- Portable SQL: runs on the embedded H2 store and on PostgreSQL.
ALTER TABLE jobs ADD COLUMN owner VARCHAR(128);
ALTER TABLE jobs ADD COLUMN lease_until TIMESTAMP WITH TIME ZONE;
ALTER TABLE jobs ADD COLUMN version BIGINT DEFAULT 0 NOT NULL;
ALTER TABLE jobs ADD COLUMN cancel_requested BOOLEAN DEFAULT FALSE NOT NULL;
ALTER TABLE jobs ADD COLUMN secrets VARCHAR(100000);
CREATE INDEX jobs_state_lease ON jobs (state, lease_until);
CREATE INDEX jobs_owner ON jobs (owner);
CREATE INDEX jobs_finished ON jobs (finished_at);

CREATE TABLE job_attempts (
    job_id     VARCHAR(36)  NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt    INT          NOT NULL,
    owner      VARCHAR(128) NOT NULL,
    claimed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    ended_at   TIMESTAMP WITH TIME ZONE,
    outcome    VARCHAR(32),
    PRIMARY KEY (job_id, attempt)
);
