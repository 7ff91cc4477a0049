-- Devices are keyed by uuid (indices change across boots); samples reference the small integer id.
CREATE TABLE devices (
  id INTEGER PRIMARY KEY,
  uuid TEXT NOT NULL UNIQUE,
  idx INTEGER,
  name TEXT,
  power_limit_w REAL,
  max_power_limit_w REAL,
  mem_total_mib REAL,
  driver_version TEXT,
  cuda_version TEXT,
  mig_uuids TEXT NOT NULL DEFAULT '[]',
  updated_at INTEGER NOT NULL
);

-- Power in centiwatts and other readings as small integers keep a GPU sample near 30 bytes on disk.
CREATE TABLE gpu_samples (
  dev INTEGER NOT NULL,
  t INTEGER NOT NULL,
  power_cw INTEGER,
  power_instant_cw INTEGER,
  util_gpu INTEGER,
  util_mem INTEGER,
  mem_used_mib INTEGER,
  temp_c INTEGER,
  sm_mhz INTEGER,
  PRIMARY KEY (dev, t)
) WITHOUT ROWID;

CREATE TABLE runs (
  rid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  name TEXT,
  command TEXT NOT NULL,
  cwd TEXT,
  status TEXT NOT NULL CHECK (status IN ('running','succeeded','failed','interrupted','imported')),
  exit_code INTEGER,
  signal TEXT,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  expected_epochs INTEGER,
  client_pid INTEGER,
  sample_ms INTEGER NOT NULL,
  gpu_source TEXT NOT NULL DEFAULT 'all',
  meta TEXT NOT NULL DEFAULT '{}',
  baseline TEXT NOT NULL DEFAULT '{}',
  energy TEXT,
  analysis TEXT
);
CREATE INDEX runs_status ON runs (status);

CREATE TABLE run_devices (
  rid INTEGER NOT NULL REFERENCES runs (rid),
  dev INTEGER NOT NULL REFERENCES devices (id),
  shared INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (rid, dev)
) WITHOUT ROWID;

-- The run's process tree, summed per tick.
CREATE TABLE proc_samples (
  rid INTEGER NOT NULL,
  t INTEGER NOT NULL,
  rss_bytes INTEGER NOT NULL,
  cpu_pct REAL NOT NULL,
  n_procs INTEGER NOT NULL,
  PRIMARY KEY (rid, t)
) WITHOUT ROWID;

-- Host readings: system memory and cumulative RAPL energy (null where unreadable).
CREATE TABLE host_samples (
  t INTEGER PRIMARY KEY,
  mem_used_bytes INTEGER,
  mem_total_bytes INTEGER,
  cpu_energy_j REAL
);

CREATE TABLE epochs (
  rid INTEGER NOT NULL REFERENCES runs (rid),
  epoch INTEGER NOT NULL,
  printed INTEGER,
  source TEXT,
  started_at INTEGER NOT NULL,
  ended_at INTEGER,
  energy_j REAL,
  gpu_j REAL,
  ram_j REAL,
  cpu_j REAL,
  avg_power_w REAL,
  PRIMARY KEY (rid, epoch)
) WITHOUT ROWID;

CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  rid INTEGER,
  t INTEGER NOT NULL,
  kind TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_rid ON events (rid, id);
