#!/usr/bin/env bash
# Peak memory of the layer under many bodies at once: a fresh
# `load_server serve layer` (max_body_bytes = LIMIT) per run, and bench/flood.rs
# holding CONNECTIONS requests open at the same time, every body sent but its
# last byte, so the server holds them all:
#   signed     X-Twilio-Signature present, Content-Length = LIMIT: buffered
#   unsigned   no signature header: refused before anything is buffered
#   oversized  Content-Length = LIMIT + 1: refused before anything is buffered
# Prints each run's RSS before and peak (VmHWM), and checks
#   peak(signed) <= CONNECTIONS x (LIMIT + SLACK) + peak(unsigned)
# where peak(unsigned) is the same connections with no body buffered (the
# server's own constant) and SLACK (MEMORY_SLACK_KIB, 128) what hyper's read
# buffer may add per connection while a body streams in; the layer itself
# reserves exactly Content-Length (<= LIMIT) per request, once. Also checks
# that unsigned and oversized bodies were not buffered (their peaks stay
# below peak(signed) - half the bodies). Exits non-zero on a failed check.
#
#   bash bench/memory.sh                       # 1000 x 64 KiB
#   MEMORY_LIMIT=16384 bash bench/memory.sh    # 1000 x 16 KiB
#
# The bodies are forms, which the layer reads to MAX_FORM_BYTES (64 KiB) at
# most whatever its limit: a LIMIT above that is refused here; what a form
# announced past the cap holds is bench/form_cap.sh's measure.
#
# Loopback only; bounded in time; the servers it starts are stopped on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

connections=${MEMORY_CONNECTIONS:-1000}
limit=${MEMORY_LIMIT:-65536}
port=${MEMORY_PORT:-39190}
# What a connection may hold beyond its body: hyper's adaptive read buffer,
# which grows while a large body streams in (see BENCHMARKS.md).
slack_kib=${MEMORY_SLACK_KIB:-128}
if [ "$limit" -gt 65536 ]; then
  echo "memory.sh: MEMORY_LIMIT above 65536 (MAX_FORM_BYTES): forms are refused unread there; see bench/form_cap.sh" >&2
  exit 2
fi

# Each side holds one socket per connection.
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

cargo build --release --quiet -p tower-twilio-bench --example load_server --example flood
server=target/release/examples/load_server
flood=target/release/examples/flood

for mode in signed unsigned oversized; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "memory.sh: 127.0.0.1:$port is already in use; set MEMORY_PORT" >&2
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

python3 - "$work/results" "$connections" "$limit" "$slack_kib" <<'EOF'
import sys

path, connections, limit, slack_kib = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
runs = {}
for line in open(path):
    fields = dict(f.split("=", 1) for f in line.split()[1:])
    runs[fields["mode"]] = fields

mib = lambda kib: f"{kib / 1024:.1f} MiB"
bodies_kib = connections * limit / 1024
print()
print(f"{connections} connections x {limit} bytes = {mib(bodies_kib)} of bodies")
for mode, r in runs.items():
    print(f"{mode:<10} RSS before {mib(int(r['rss_before_kib']))}, peak {mib(int(r['hwm_kib']))}, statuses {r['statuses']}")

signed, unsigned, oversized = (int(runs[m]["hwm_kib"]) for m in ("signed", "unsigned", "oversized"))
slack = (signed - unsigned - bodies_kib) / connections
print(f"peak(signed) - peak(unsigned) - bodies = {slack:.1f} KiB per connection beyond its body"
      f" (allowed: {slack_kib} KiB, hyper's read buffer)")
failures = []
if signed > bodies_kib + unsigned + connections * slack_kib:
    failures.append("peak(signed) > connections x (limit + slack) + peak(unsigned)")
for mode, peak in (("unsigned", unsigned), ("oversized", oversized)):
    if peak > signed - bodies_kib / 2:
        failures.append(f"{mode} bodies look buffered")
# A refused request is answered before its body is read; the server then
# closes, and the client may see the close (a reset, "none") before the answer.
expected = {"signed": {"403"}, "unsigned": {"403", "none"}, "oversized": {"413", "none"}}
for mode, allowed in expected.items():
    seen = {s.split(":")[0] for s in runs[mode]["statuses"].split(",")}
    if not seen <= allowed:
        failures.append(f"{mode}: expected only {sorted(allowed)}, got {runs[mode]['statuses']}")
print("memory: " + ("all checks met" if not failures else "FAILED: " + "; ".join(failures)))
sys.exit(1 if failures else 0)
EOF
