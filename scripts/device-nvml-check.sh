#!/usr/bin/env bash
# Real-GPU check of GPU energy (issue 14), run on a lent device machine from the repository root (see ../shared/DEVICE.md):
# trains a small PyTorch model under `profiler run` and prints NVML's total-energy counter against ∫ power.draw and
# ∫ power.draw.instant over the run (scripts/nvml-compare.mjs), and an independent counter read by nvidia-smi -q -d POWER.
# Carry .device (node.xz), node_modules and dist; results go under $OUT (nvml.txt is the summary).
set -u
mkdir -p .device/bin "$OUT/home"
xz -dc .device/node.xz > .device/bin/node && chmod +x .device/bin/node
export PATH="$PWD/.device/bin:$PATH" PROFILER_HOME="$OUT/home" PROFILER_SAMPLE_MS="${PROFILER_SAMPLE_MS:-100}"
nvidia-smi --query-gpu=name,driver_version,power.draw,power.draw.average,power.draw.instant,power.limit --format=csv > "$OUT/smi.txt" 2>&1
nvidia-smi -q -d POWER > "$OUT/power-before.txt" 2>&1
node dist/cli/index.js run --epochs "${EPOCHS:-10}" -- python3 scripts/torch-train.py --epochs "${EPOCHS:-10}" --steps "${STEPS:-150}" > "$OUT/run.log" 2>&1
echo "run exit: $?" >> "$OUT/run.log"
nvidia-smi -q -d POWER > "$OUT/power-after.txt" 2>&1
node dist/cli/index.js show last --json > "$OUT/run.json" 2>&1
{
  node dist/cli/index.js show last
  echo
  node scripts/nvml-compare.mjs
  echo
  node dist/cli/index.js daemon status --json
} > "$OUT/nvml.txt" 2>&1
node dist/cli/index.js daemon stop >> "$OUT/run.log" 2>&1
cp "$PROFILER_HOME/daemon.log" "$OUT/" 2>/dev/null
cat "$OUT/nvml.txt"
exit 0
