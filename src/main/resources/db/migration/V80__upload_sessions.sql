-- Chunked uploads that a job's next run may continue: per job, destination repository and blob, the upload
-- session's location after the last chunk the registry acknowledged, and how many bytes it held then. One row per
-- blob being pushed, updated in place after each chunk (fenced by the job's lease), deleted once the blob is
-- committed or the job ends. Portable SQL: runs on the embedded H2 store and on PostgreSQL.
CREATE TABLE upload_sessions (
    job_id        VARCHAR(36)   NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    destination   VARCHAR(512)  NOT NULL,
    digest        VARCHAR(160)  NOT NULL,
    location      VARCHAR(8192) NOT NULL,
    upload_offset BIGINT        NOT NULL,
    updated_at    TIMESTAMP WITH TIME ZONE NOT NULL,
    PRIMARY KEY (job_id, destination, digest)
);
