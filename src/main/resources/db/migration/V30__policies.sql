-- Stored sync policies (issue 13), their schedules and the due times they skipped, and the link of a job to the
-- policy run or the job it retries. Portable SQL: runs on the embedded H2 store and on PostgreSQL.
-- next_due: the next due time of the policy's schedule (NULL: manual/webhook only). A replica fires a due time by
-- UPDATE policies SET next_due = <next> WHERE name = ? AND next_due = <due> in the transaction that records the run
-- job, so exactly one replica fires each due time (see dev.ferry.policy.PolicyScheduler).
CREATE TABLE policies (
    name        VARCHAR(64)      PRIMARY KEY,
    caller      VARCHAR(256)     NOT NULL,
    spec        VARCHAR(1000000) NOT NULL,
    secrets     VARCHAR(100000),
    next_due    TIMESTAMP WITH TIME ZONE,
    created_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    updated_at  TIMESTAMP WITH TIME ZONE NOT NULL,
    revision    BIGINT           DEFAULT 1 NOT NULL
);
CREATE INDEX policies_next_due ON policies (next_due);

CREATE TABLE policy_skips (
    policy      VARCHAR(64)      NOT NULL,
    due_at      TIMESTAMP WITH TIME ZONE NOT NULL,
    reason      VARCHAR(512)     NOT NULL,
    running_job VARCHAR(36),
    recorded_at TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (policy, due_at)
);

ALTER TABLE jobs ADD COLUMN policy VARCHAR(64);
ALTER TABLE jobs ADD COLUMN due_at TIMESTAMP WITH TIME ZONE;
ALTER TABLE jobs ADD COLUMN retry_of VARCHAR(36);
CREATE INDEX jobs_policy_created ON jobs (policy, created_at);
-- a second guard next to the fenced next_due update: one run job per (policy, due time); NULLs never collide
CREATE UNIQUE INDEX jobs_policy_due ON jobs (policy, due_at);
