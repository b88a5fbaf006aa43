-- Jobs and their recorded events. Portable SQL: runs on the embedded H2 store and on PostgreSQL.
CREATE TABLE jobs (
    id              VARCHAR(36)     PRIMARY KEY,
    type            VARCHAR(16)     NOT NULL,
    state           VARCHAR(16)     NOT NULL,
    caller          VARCHAR(256)    NOT NULL,
    idempotency_key VARCHAR(256),
    request         VARCHAR(1000000) NOT NULL,
    progress        VARCHAR(100000),
    result          VARCHAR(1000000),
    error           VARCHAR(100000),
    runs            INT             NOT NULL DEFAULT 0,
    created_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    started_at      TIMESTAMP WITH TIME ZONE,
    finished_at     TIMESTAMP WITH TIME ZONE
);
CREATE UNIQUE INDEX jobs_caller_idempotency ON jobs (caller, idempotency_key);
CREATE INDEX jobs_state_created ON jobs (state, created_at);
CREATE INDEX jobs_created ON jobs (created_at);

CREATE TABLE job_events (
    job_id  VARCHAR(36)     NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    seq     BIGINT          NOT NULL,
    kind    VARCHAR(16)     NOT NULL,
    data    VARCHAR(100000) NOT NULL,
    PRIMARY KEY (job_id, seq)
);
