#!/usr/bin/env bash
# Fuzzes each target for the given time with one libFuzzer worker, then prints per target the
# seconds run, executions, executions per second, corpus size and what was found (files libFuzzer
# wrote to fuzz/artifacts/<target>/ in this run), as a Markdown table.
#
#   scripts/fuzz.sh [seconds-per-target] [target...]      (default: 60 seconds, every target)
#
# Needs the nightly toolchain (`rustup toolchain install nightly`); installs cargo-fuzz if it is
# missing. The corpus grows in fuzz/corpus/ between runs; seeds are rebuilt in fuzz/seeds/ from
# tests/fixtures/stripe/; every input in shared/edge/tests/fuzz_regressions/ is a seed too. Exits 1 if
# anything was found: keep each finding as a regression input (see the README's Fuzzing section).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(stripe_signature stripe_event api_body)
toolchain=${FUZZ_TOOLCHAIN:-nightly}
# The targets are safe Rust: no sanitizer, for throughput (libFuzzer still catches panics).
flags=(--sanitizer none)

if ! cargo "+$toolchain" fuzz --version >/dev/null 2>&1; then
    cargo "+$toolchain" install cargo-fuzz --locked
fi
# The fuzz project resolves its dependencies as the workspace does: its lock file (not committed)
# starts as a copy of the workspace's.
[ -f fuzz/Cargo.lock ] || cp Cargo.lock fuzz/Cargo.lock
python3 fuzz/seeds.py fuzz/seeds
cargo "+$toolchain" fuzz build "${flags[@]}" >&2

logs=fuzz/target/fuzz-logs
mkdir -p "$logs"
rows=()
found_any=0
for target in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$target" "fuzz/artifacts/$target"
    marker=$(mktemp)
    log="$logs/$target.log"
    echo "fuzzing $target for ${seconds}s (log: $log)" >&2
    status=0
    started=$(date +%s)
    cargo "+$toolchain" fuzz run "${flags[@]}" "$target" \
        "fuzz/corpus/$target" "fuzz/seeds/$target" "shared/edge/tests/fuzz_regressions/$target" -- \
        -max_total_time="$seconds" -timeout=10 -dict="fuzz/dictionaries/$target.dict" -print_final_stats=1 \
        >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(grep -o 'corp: [0-9]*/[0-9A-Za-z]*' "$log" | tail -1 | sed 's/corp: //' || true)
    findings=$(find "fuzz/artifacts/$target" -type f -newer "$marker" -printf '%f\n' | sort | tr '\n' ' ')
    rm -f "$marker"
    if [ -z "$took" ]; then
        # libFuzzer stopped early (a finding): its last status line has the time.
        took=$(grep -o 'secs: [0-9]*' "$log" | tail -1 | sed 's/secs: //' || true)
        took=${took:-$(($(date +%s) - started))}
    fi
    if [ -n "$findings" ] || [ "$status" -ne 0 ]; then
        found_any=1
        findings=${findings:-"libFuzzer exited with $status, see $log"}
    else
        findings=none
    fi
    rows+=("| \`$target\` | ${took:-?} | ${runs:-?} | ${rate:-?} | ${corpus:-?} | $findings |")
done

echo
echo "Command: scripts/fuzz.sh $seconds${*:+ $*} ($(date -u +%Y-%m-%d))"
echo "Machine: $(nproc) cores, $(uname -m), $(rustc "+$toolchain" -V), $(cargo "+$toolchain" fuzz --version), one libFuzzer worker per target, no sanitizer"
echo
echo "| Target | Seconds run | Executions | Execs/s | Corpus (inputs/bytes) | Findings |"
echo "|---|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
if [ "$found_any" -ne 0 ]; then
    echo
    echo "Something was found: reproduce with cargo +$toolchain fuzz run ${flags[*]} <target> fuzz/artifacts/<target>/<file>," >&2
    echo "fix it, and keep the input as shared/edge/tests/fuzz_regressions/<target>/<expected>.<name>." >&2
    exit 1
fi
