-- The newest push of each tag a hook has promoted (BAD-INPUT row 28): an event older than it is not promoted, so
-- out-of-order deliveries never put an older image back under a tag. tag_ref: registry/repository:tag at the source.
-- No foreign key to jobs: the head outlives the retention of the job that promoted it.
-- Portable SQL: runs on the embedded H2 store and on PostgreSQL.
CREATE TABLE webhook_tag_heads (
    hook      VARCHAR(128)  NOT NULL,
    tag_ref   VARCHAR(1024) NOT NULL,
    pushed_at TIMESTAMP WITH TIME ZONE NOT NULL,
    digest    VARCHAR(200)  NOT NULL,
    job_id    VARCHAR(36)   NOT NULL,
    PRIMARY KEY (hook, tag_ref)
);
