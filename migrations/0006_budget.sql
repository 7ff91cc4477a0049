-- A run's energy budget (`profiler run --budget E --on-budget warn|stop`) and whether, when and why it was exceeded (JSON).
ALTER TABLE runs ADD COLUMN budget TEXT;
