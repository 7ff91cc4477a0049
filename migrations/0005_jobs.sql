-- A run may belong to a job larger than one process or one node (--job, SLURM, torchelastic); `host` is the node's name.
ALTER TABLE runs ADD COLUMN host TEXT;
ALTER TABLE runs ADD COLUMN job_id TEXT;
ALTER TABLE runs ADD COLUMN job_source TEXT;
ALTER TABLE runs ADD COLUMN job_host TEXT;
ALTER TABLE runs ADD COLUMN job_rank INTEGER;
ALTER TABLE runs ADD COLUMN job_step TEXT;
CREATE INDEX runs_job ON runs (job_id, started_at) WHERE job_id IS NOT NULL;
