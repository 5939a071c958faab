#!/usr/bin/env bash
# Differential test of tower-twilio against twilio-python and twilio-node.
#
# Generates random webhook requests, asks both helper libraries for their verdicts,
# and checks that the layer agrees (diff/tests/differential.rs). Installs nothing: first run
#   pip install -r diff/requirements.txt && (cd diff && npm ci)
#
# Usage: bash diff/run.sh [--update-snapshot] [--no-cargo]
#   --update-snapshot  also rewrite diff/data/differential-cases.jsonl from this run
#   --no-cargo         stop after the verdicts (no cargo test)
# Environment: TWILIO_DIFF_SEED (generator seed), TWILIO_DIFF_COUNT (random requests).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

update_snapshot=0
run_cargo=1
for arg in "$@"; do
  case "$arg" in
    --update-snapshot) update_snapshot=1 ;;
    --no-cargo) run_cargo=0 ;;
    *) echo "usage: bash diff/run.sh [--update-snapshot] [--no-cargo]" >&2; exit 2 ;;
  esac
done

if [[ ! -d diff/node_modules/twilio ]]; then
  echo "twilio-node is missing: run (cd diff && npm ci)" >&2
  exit 1
fi
node -e 'const v = require("./diff/node_modules/twilio/package.json").version;
  if (v !== "6.3.1") { console.error("twilio-node " + v + " installed, want 6.3.1: (cd diff && npm ci)"); process.exit(1); }'
if ! python3 -c 'import twilio' 2>/dev/null; then
  echo "twilio-python is missing: run pip install -r diff/requirements.txt" >&2
  exit 1
fi
python3 - <<'PY'
import sys
from importlib.metadata import version
if version("twilio") != "9.13.0":
    sys.exit("twilio-python %s installed, want 9.13.0: pip install -r diff/requirements.txt" % version("twilio"))
PY

out=target/differential
mkdir -p "$out"
seed_args=()
[[ -n "${TWILIO_DIFF_SEED:-}" ]] && seed_args+=(--seed "$TWILIO_DIFF_SEED")
[[ -n "${TWILIO_DIFF_COUNT:-}" ]] && seed_args+=(--count "$TWILIO_DIFF_COUNT")

python3 diff/gen_cases.py "${seed_args[@]}" > "$out/cases.jsonl"
python3 diff/verdict_python.py < "$out/cases.jsonl" > "$out/python.jsonl"
node diff/verdict_node.js < "$out/cases.jsonl" > "$out/node.jsonl"
python3 diff/merge.py "$out/cases.jsonl" "$out/python.jsonl" "$out/node.jsonl" "$out/expected.jsonl"

if (( update_snapshot )); then
  python3 diff/snapshot.py "$out/expected.jsonl" diff/data/differential-cases.jsonl
fi

if (( run_cargo )); then
  TWILIO_DIFF_CASES="$PWD/$out/expected.jsonl" cargo test -p tower-twilio-diff --test differential -- --nocapture
fi
