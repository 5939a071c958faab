#!/usr/bin/env bash
# Memory a refused form holds: CONNECTIONS connections each announce a form
# body of LIMIT bytes to a fresh `load_server serve layer` (max_body_bytes =
# LIMIT, above MAX_FORM_BYTES), send all of it but its last byte and hold it
# there (bench/flood.rs):
#   signed    with a Content-Length of LIMIT
#   chunked   as one chunk of LIMIT bytes, no Content-Length
# Prints each run's RSS before, peak (VmHWM) and after every connection has
# its answer, and checks that the peak grows by at most
#   CONNECTIONS x (MAX_FORM_BYTES + SLACK)
# over the RSS before, whatever LIMIT is: a form is read to the form cap at
# most (SLACK, FORM_CAP_SLACK_KIB, 128, is what hyper's read buffer may add
# per connection, as in bench/memory.sh). Exits non-zero on a failed check.
#
#   bash bench/form_cap.sh                           # 1000 x 256 KiB
#   FORM_CAP_SERVER=path/to/load_server bash bench/form_cap.sh
#                                                    # another build's server
#
# Loopback only; bounded in time; the servers it starts are stopped on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

connections=${FORM_CAP_CONNECTIONS:-1000}
limit=${FORM_CAP_LIMIT:-262144}
port=${FORM_CAP_PORT:-39191}
slack_kib=${FORM_CAP_SLACK_KIB:-128}
profile=${FORM_CAP_PROFILE:-release}
form_cap=65536 # MAX_FORM_BYTES

ulimit -n $((connections * 2 + 256))

work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

if [ "$profile" = release ]; then
  cargo build --release --quiet -p tower-twilio-bench --example load_server --example flood
else
  cargo build --quiet -p tower-twilio-bench --example load_server --example flood
fi
server=${FORM_CAP_SERVER:-target/$profile/examples/load_server}
flood=target/$profile/examples/flood

for mode in signed chunked; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "form_cap.sh: 127.0.0.1:$port is already in use; set FORM_CAP_PORT" >&2
    exit 2
  fi
  "$server" serve layer "$port" "$limit" 2>"$work/server.log" &
  pid=$!
  for _ in $(seq 1 300); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
  done
  timeout 120 "$flood" "$port" "$pid" "$connections" "$limit" "$mode" | tee -a "$work/results"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=
done

python3 - "$work/results" "$connections" "$limit" "$slack_kib" "$form_cap" <<'EOF'
import sys

path, connections, limit, slack_kib, form_cap = sys.argv[1], *map(int, sys.argv[2:])
mib = lambda kib: f"{kib / 1024:.1f} MiB"
print()
print(f"{connections} connections announcing {limit}-byte form bodies, max_body_bytes = {limit}")
bound_kib = connections * (form_cap / 1024 + slack_kib)
failures = []
for line in open(path):
    r = dict(f.split("=", 1) for f in line.split()[1:])
    before, after = int(r["rss_before_kib"]), int(r["rss_after_kib"])
    # VmHWM may lag the RSS sampled while the connections were held.
    peak = max(int(r["hwm_kib"]), int(r["rss_held_kib"]))
    print(f"{r['mode']:<8} RSS before {mib(before)}, peak {mib(peak)}, after {mib(after)};"
          f" {(peak - before) / connections:.1f} KiB per connection at peak; statuses {r['statuses']}")
    if peak - before > bound_kib:
        failures.append(f"{r['mode']}: peak grew by {mib(peak - before)} > {mib(bound_kib)}")
    # Refused at the form cap; the client may see the close before the answer.
    if not {s.split(":")[0] for s in r["statuses"].split(",")} <= {"413", "none"}:
        failures.append(f"{r['mode']}: expected only 413, got {r['statuses']}")
print("form cap: " + ("all checks met" if not failures else "FAILED: " + "; ".join(failures)))
sys.exit(1 if failures else 0)
EOF
