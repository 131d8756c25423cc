#!/usr/bin/env bash
# `make soak`: the guarantee suites (tests/tests/under_faults.rs) under the emulator's fault mode,
# run after run with a new random seed each, for SOAK_MINUTES (first argument). Run inside
# scripts/with-emulator.sh. Prints each run's seed and outcome, then the faults injected by kind
# over the whole soak; fails if any run failed (its seed reproduces its mix of faults:
# `LOOP_FAULT_SEED=<seed> make test`).
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
deadline=$(( $(date +%s) + minutes * 60 ))
runs=0 passed=0 failed_seeds=()
log=$(mktemp -t loop-soak.XXXXXX.log)
trap 'rm -f "$log"' EXIT
while [ "$(date +%s)" -lt "$deadline" ]; do
  seed=$(( (RANDOM << 15 | RANDOM) ))
  runs=$((runs + 1))
  if LOOP_FAULT_SEED=$seed cargo test -q -p loop-tests --test under_faults >"$log" 2>&1; then
    passed=$((passed + 1))
    echo "run $runs: seed $seed passed"
  else
    failed_seeds+=("$seed")
    echo "run $runs: seed $seed FAILED"
    grep -E "panicked|assert|left|right" "$log" | head -20 || true
  fi
done
echo
echo "soak: $runs runs in $minutes min, $passed passed, ${#failed_seeds[@]} failed${failed_seeds:+ (seeds: ${failed_seeds[*]})}"
echo "faults injected, by kind:"
.venv/bin/python -c '
import collections, json, os, urllib.request
totals = collections.Counter()
plans = json.load(urllib.request.urlopen(os.environ["AWS_ENDPOINT_URL"] + "/_loop/faults"))
for plan in plans.values():
    totals.update(plan["injected"])
for kind, n in sorted(totals.items()):
    print(f"  {kind}: {n}")
'
[ "${#failed_seeds[@]}" -eq 0 ]
