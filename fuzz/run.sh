#!/usr/bin/env bash
# Runs every cargo-fuzz target (or those named in TARGETS) for SECONDS each
# (default 30), one after the other, starting from the committed seeds in
# seeds/<target> plus whatever earlier runs left in corpus/<target>.
#
#   bash fuzz/run.sh            # about 30 s per target, as CI does
#   bash fuzz/run.sh 600        # the 10-minute runs recorded in SECURITY.md
#   TARGETS=layer bash fuzz/run.sh 60
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). The machine has only
# a stable toolchain: RUSTC_BOOTSTRAP=1 lets it accept the -Z flags that
# cargo-fuzz passes (sanitizer and coverage instrumentation).
# A crash, a panic, a leak, an input slower than 10 s or a run over 2 GiB RSS
# fails the run; the input is saved in fuzz/artifacts/<target>/ and the
# command to reproduce it is printed. Exits non-zero if any target failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
seconds=${1:-30}
export RUSTC_BOOTSTRAP=1

cargo fuzz build || exit 1
targets=${TARGETS:-$(cargo fuzz list)}
mkdir -p logs
failed=()
for target in $targets; do
  mkdir -p "corpus/$target" "seeds/$target"
  log="logs/$target.log"
  printf '\n==> fuzz %s for %ss\n' "$target" "$seconds"
  cargo fuzz run "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    >"$log" 2>&1
  status=$?
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
  printf '%s: exit %s, %s runs (%s/s), peak RSS %s MB; %s\n' \
    "$target" "$status" "${runs:-?}" "${speed:-?}" "${rss:-?}" "${done_line:-no DONE line}"
  if [ "$status" -ne 0 ]; then
    failed+=("$target")
    grep -E 'panicked|ERROR|SUMMARY|Test unit written|Reproduce with' "$log" | head -20
  fi
done
if [ "${#failed[@]}" -ne 0 ]; then
  printf '\nfuzz targets that failed: %s (logs in fuzz/logs/)\n' "${failed[*]}"
  exit 1
fi
printf '\nall fuzz targets ran %ss without a crash\n' "$seconds"
