-- An import writes in short transactions beside a live daemon: its run stays hidden while import_pid (the importing
-- process) is set, and what it wrote is tracked so that a failed or killed import can be removed exactly.
ALTER TABLE runs ADD COLUMN import_pid INTEGER;
CREATE INDEX runs_importing ON runs (import_pid) WHERE import_pid IS NOT NULL;

-- The devices an unfinished import writes to; created = 1 when the import made the device row.
CREATE TABLE import_devices (
  rid INTEGER NOT NULL,
  dev INTEGER NOT NULL,
  created INTEGER NOT NULL,
  PRIMARY KEY (rid, dev)
) WITHOUT ROWID;

-- Stretches of a device's time line [t_from, t_to] holding only samples that an unfinished import inserted.
CREATE TABLE import_ranges (
  rid INTEGER NOT NULL,
  dev INTEGER NOT NULL,
  t_from INTEGER NOT NULL,
  t_to INTEGER NOT NULL,
  PRIMARY KEY (rid, dev, t_from)
) WITHOUT ROWID;
CREATE INDEX import_ranges_dev ON import_ranges (dev, t_from);
