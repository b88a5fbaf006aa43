-- Per-registry caps on running jobs across replicas: the registries a job touches (" host1 host2 ", for a LIKE
-- match) and one row per capped registry, locked by a claim so two replicas cannot both take the last slot.
-- Portable SQL: runs on the embedded H2 store and on PostgreSQL.
ALTER TABLE jobs ADD COLUMN registries VARCHAR(2048);
CREATE TABLE registry_slots (
    host VARCHAR(256) PRIMARY KEY
);
