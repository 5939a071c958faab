#!/usr/bin/env bash
# The TwiML differential: the documents of diff/twiml/cases.json built by this
# crate's typed builders (tests/twiml_vocabulary.rs), by twilio-python 9.13.0
# and by twilio-node 6.3.1, parsed and compared as trees (diff/twiml/compare.py;
# listed differences in diff/twiml/known.json). Installs nothing: first run
#   pip install twilio==9.13.0 && (cd diff/twiml && npm ci)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

node -e 'const v = require("./diff/twiml/node_modules/twilio/package.json").version;
  if (v !== "6.3.1") { console.error("twilio-node " + v + " installed in diff/twiml, want 6.3.1: (cd diff/twiml && npm ci)"); process.exit(1); }'
python3 - <<'PY'
import sys
from importlib.metadata import version
if version("twilio") != "9.13.0":
    sys.exit("twilio-python %s installed, want 9.13.0" % version("twilio"))
PY

out="$PWD/target/twiml-diff"
mkdir -p "$out"
python3 diff/twiml/build_python.py diff/twiml/cases.json > "$out/python.jsonl"
node diff/twiml/build_node.js diff/twiml/cases.json > "$out/node.jsonl"
TWIML_DIFF_OUT="$out/rust.jsonl" cargo test --quiet --test twiml_vocabulary
python3 diff/twiml/compare.py "$out/rust.jsonl" "$out/python.jsonl" "$out/node.jsonl"
