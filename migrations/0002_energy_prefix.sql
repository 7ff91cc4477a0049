-- Energy of a running run up to a time (the last finalized epoch end), advanced epoch by epoch, so the live total is
-- this prefix plus the open tail: reading a long run no longer integrates every raw sample.
ALTER TABLE runs ADD COLUMN energy_prefix TEXT;
