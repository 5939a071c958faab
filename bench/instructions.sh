#!/usr/bin/env bash
# End to end in instructions, which the machine's load does not move: each
# variant of bench/load_server.rs runs under callgrind on one worker thread,
# a keep-alive client sends it the signed 28-field webhook, and the server's
# instructions (user space, all its threads; the kernel's socket work is
# not counted) are read over ROUNDS requests after a warm-up.
#
#   bash bench/instructions.sh            # ROUNDS=2000 by default
#
# Needs valgrind (apt-get install -y valgrind). BENCHMARKS.md section 8.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rounds=${ROUNDS:-2000}
port=${INSTRUCTIONS_PORT:-39190}
cargo build --release --quiet -p tower-twilio-bench --example load_server
server=target/release/examples/load_server
script=$("$server" wrk-script)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

send() { # send N: N signed webhooks over one keep-alive connection, each answered 200
  python3 - "$1" "$port" "$script" <<'PY'
import http.client, re, sys
n, port, script = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
body = re.search(r'wrk.body = "(.*)"', script).group(1)
headers = dict(re.findall(r'wrk.headers\["(.*?)"\] = "(.*?)"', script))
conn = http.client.HTTPConnection("127.0.0.1", port)
for _ in range(n):
    conn.request("POST", "/twilio/voice", body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    if response.status != 200:
        sys.exit(f"answered {response.status}")
PY
}

printf '%-12s %14s\n' server instructions/request
for variant in bare floor layer form layer_form; do
  TOKIO_WORKER_THREADS=1 valgrind --tool=callgrind --callgrind-out-file="$work/$variant.%p" \
    "$server" serve "$variant" "$port" 2>"$work/$variant.log" &
  pid=$!
  for _ in $(seq 100); do
    grep -q "load_server: $variant on" "$work/$variant.log" && break
    sleep 0.2
  done
  send 200                                # warm-up
  callgrind_control -z "$pid" >/dev/null 2>&1  # counts from here
  send "$rounds"
  callgrind_control -d "$pid" >/dev/null 2>&1  # dump what was counted since
  kill "$pid"; wait "$pid" 2>/dev/null || true
  total=$(cat "$work/$variant".*.[0-9]* 2>/dev/null | sed -n 's/^summary: //p' | awk '{s+=$1} END {print s}')
  printf '%-12s %14d\n' "$variant" $((total / rounds))
done
