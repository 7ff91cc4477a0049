#!/usr/bin/env bash
# One real-GPU check, run on a lent device machine from the repository root (see ../shared/DEVICE.md):
# the node binary travels as .device/node.xz with node_modules and dist; results are written under $OUT.
set -u
mkdir -p .device/bin "$OUT/home"
xz -dc .device/node.xz > .device/bin/node && chmod +x .device/bin/node
export PATH="$PWD/.device/bin:$PATH" PROFILER_HOME="$OUT/home" PROFILER_SAMPLE_MS="${PROFILER_SAMPLE_MS:-100}"
nvidia-smi --query-gpu=name,driver_version,power.draw,power.draw.average,power.draw.instant,power.limit --format=csv > "$OUT/smi.txt" 2>&1
# A trimmed real capture of the stream the daemon reads (for a test fixture).
timeout 3 nvidia-smi --query-gpu=timestamp,uuid,index,power.draw,power.draw.instant,power.limit,utilization.gpu,utilization.memory,memory.used,memory.total,temperature.gpu,clocks.sm \
  --format=csv,noheader,nounits -lms 100 > "$OUT/lms100.csv" 2>&1
nvidia-smi -q -x > "$OUT/q-x.xml" 2>&1
node dist/cli/index.js run --epochs "${EPOCHS:-15}" -- python3 scripts/torch-train.py --epochs "${EPOCHS:-15}" --steps "${STEPS:-150}" > "$OUT/run.log" 2>&1
echo "run exit: $?" >> "$OUT/run.log"
node dist/cli/index.js show last --json > "$OUT/run.json" 2>&1
node dist/cli/index.js daemon stop >> "$OUT/run.log" 2>&1
cp "$PROFILER_HOME/daemon.log" "$OUT/" 2>/dev/null
exit 0
