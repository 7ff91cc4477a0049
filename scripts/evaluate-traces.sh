#!/usr/bin/env bash
# `scripts/evaluate-traces.sh [EVALUATE OPTION…]`, from the repository root after `npm run build`: imports the eight
# shared traces (test/fixtures/traces, with their RAM logs and equal-slice epoch logs of reference.csv's epoch
# counts) into a fresh PROFILER_HOME and runs `profiler evaluate` on them (the figures of docs/evaluation.md).
# TRACES_HOME=DIR: import into DIR (a new, empty folder) and keep it, to run more `profiler evaluate`s on it.
set -euo pipefail
TRACES=test/fixtures/traces
if [ -n "${TRACES_HOME:-}" ]; then
  HOME_DIR=$TRACES_HOME
  mkdir -p "$HOME_DIR"
else
  HOME_DIR=$(mktemp -d "${TMPDIR:-/tmp}/evaluate-traces.XXXXXX")
  trap 'rm -rf "$HOME_DIR"' EXIT
fi
export PROFILER_HOME="$HOME_DIR"
tail -n +2 "$TRACES/reference.csv" | while IFS=, read -r file env _gpu arch _samples _kj _h _w _usage epochs _rest; do
  node scripts/trace-epochs.mjs "$TRACES/$file" "$epochs" > "$HOME_DIR/epochs.csv"
  stamp=${file##*-}
  node dist/cli/index.js import --gpu-csv "$TRACES/$file" --mem-csv "$TRACES/${file/gpu-power/cpu-mem-usage}" \
    --epochs-csv "$HOME_DIR/epochs.csv" --name "$env-$arch-${stamp%.csv}" > /dev/null
done
node dist/cli/index.js evaluate "$@"
