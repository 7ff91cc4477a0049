-- Reads of each GPU's NVML total-energy counter (mJ since the driver loaded), where the GPU has one. `reset` marks a
-- read below the one before it (a driver reload): energy over a span holding one comes from the power integral.
CREATE TABLE gpu_energy (
  dev INTEGER NOT NULL,
  t INTEGER NOT NULL,
  energy_mj INTEGER NOT NULL,
  reset INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (dev, t)
) WITHOUT ROWID;
CREATE INDEX gpu_energy_resets ON gpu_energy (dev, t) WHERE reset = 1;
