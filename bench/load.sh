#!/usr/bin/env bash
# End-to-end throughput on loopback: the same trivial TwiML route served by
#   1. axum without validation            (bench/load_server.rs serve bare)
#   2. axum with TwilioValidateLayer      (bench/load_server.rs serve layer)
#   3. Express + twilio-node webhook()    (bench/express_peer.js webhook)
#   4. Express without validation         (bench/express_peer.js bare)
# each driven in turn by wrk with the signed 28-field inbound-call webhook
# (tests/common/fixtures.rs). Prints requests per second and latency side by
# side, and the ratios the targets are about. Exits non-zero if any request
# got a status other than 2xx (a 403 would make a server look fast) or a
# socket error, or if a target is missed.
#
#   bash bench/load.sh                 # as in BENCHMARKS.md: 3 rounds of 10 s per axum server
#   LOAD_SECS=5 LOAD_ROUNDS=1 bash bench/load.sh     # shorter
#
# For context it also measures three more axum servers (bench/load_server.rs):
# a middleware that reads the body and computes one HMAC and nothing else
# (the most throughput any validator can keep), and the route with a handler
# that decodes the fields (axum's Form without validation; TwilioForm behind
# the layer).
#
# Knobs: LOAD_SECS (10), LOAD_ROUNDS (3, for the axum servers), LOAD_WARMUP_SECS (2), LOAD_CONNECTIONS (50),
# LOAD_WRK_THREADS (1), LOAD_WORKERS (tokio worker threads for axum, 1 like
# Node's one thread), LOAD_PORT (first of seven ports, 39180). Needs wrk and
# node/npm (bench/package.json is installed with `npm ci` when missing).
# Loopback only; bounded in time; every server it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

secs=${LOAD_SECS:-10}
rounds=${LOAD_ROUNDS:-3}
warmup=${LOAD_WARMUP_SECS:-2}
connections=${LOAD_CONNECTIONS:-50}
wrk_threads=${LOAD_WRK_THREADS:-1}
workers=${LOAD_WORKERS:-1}
port0=${LOAD_PORT:-39180}

for tool in wrk node npm cargo; do
  command -v "$tool" >/dev/null || { echo "load.sh: $tool is required (wrk: apt-get install -y wrk)" >&2; exit 2; }
done

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "building the axum server (release) and installing the Express peer..." >&2
cargo build --release --quiet -p tower-twilio-bench --example load_server
server=target/release/examples/load_server
[ -d bench/node_modules ] || (cd bench && npm ci --no-audit --no-fund --silent)

"$server" wrk-script >"$work/post.lua"
TWILIO_AUTH_TOKEN=$("$server" auth-token)
export TWILIO_AUTH_TOKEN

# wait_for_port PORT PID NAME: up to 30 s for the server to listen.
wait_for_port() {
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    if ! kill -0 "$2" 2>/dev/null; then
      echo "load.sh: $3 exited; its log:" >&2
      cat "$work/$3.log" >&2
      return 1
    fi
    sleep 0.1
  done
  echo "load.sh: nothing listens on 127.0.0.1:$1 after 30 s" >&2
  return 1
}

# measure NAME PORT COMMAND...: start the server, warm it up, measure, stop it.
measure() {
  local name=$1 port=$2
  shift 2
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "load.sh: 127.0.0.1:$port is already in use; set LOAD_PORT" >&2
    exit 2
  fi
  "$@" 2>"$work/$name.log" &
  local pid=$!
  pids+=("$pid")
  wait_for_port "$port" "$pid" "$name"
  local url="http://127.0.0.1:$port/twilio/voice"
  wrk -t"$wrk_threads" -c"$connections" -d"${warmup}s" -s "$work/post.lua" "$url" >/dev/null
  wrk -t"$wrk_threads" -c"$connections" -d"${secs}s" --latency -s "$work/post.lua" "$url" >"$work/$name.out"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  grep '^RESULT' "$work/$name.out" | sed "s/^RESULT/$name/" >>"$work/results"
}

echo "measuring: ${secs} s per server after ${warmup} s of warm-up, wrk -t${wrk_threads} -c${connections}, axum on ${workers} worker thread(s)" >&2
# The axum servers in turn, round after round, so that a change in the
# machine's load falls on all of them; each ratio is taken from the median
# round of each server.
for round in $(seq 1 "$rounds"); do
  echo "round $round of $rounds" >&2
  measure axum_bare $((port0)) env TOKIO_WORKER_THREADS="$workers" "$server" serve bare $((port0))
  measure axum_layer $((port0 + 1)) env TOKIO_WORKER_THREADS="$workers" "$server" serve layer $((port0 + 1))
  measure axum_hmac_floor $((port0 + 4)) env TOKIO_WORKER_THREADS="$workers" "$server" serve floor $((port0 + 4))
  measure axum_form $((port0 + 5)) env TOKIO_WORKER_THREADS="$workers" "$server" serve form $((port0 + 5))
  measure axum_layer_form $((port0 + 6)) env TOKIO_WORKER_THREADS="$workers" "$server" serve layer_form $((port0 + 6))
done
measure express_webhook $((port0 + 2)) node bench/express_peer.js webhook $((port0 + 2))
measure express_bare $((port0 + 3)) node bench/express_peer.js bare $((port0 + 3))

python3 - "$work/results" <<'EOF'
import sys

runs = {}
for line in open(sys.argv[1]):
    name, *fields = line.split()
    runs.setdefault(name, []).append({k: float(v) for k, v in (f.split("=") for f in fields)})
# Each server's median round by throughput (its only round for Express).
rows = {name: sorted(rs, key=lambda r: r["rps"])[len(rs) // 2] for name, rs in runs.items()}

print(f"each server's median of {max(len(rs) for rs in runs.values())} rounds (req/s of every round in the last column)")
print(f"{'server':<18} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'requests':>10} {'non-2xx':>8} {'socket errors':>13}  rounds")
for name, r in rows.items():
    print(f"{name:<18} {r['rps']:>10.0f} {r['p50_us'] / 1000:>8.2f} {r['p99_us'] / 1000:>8.2f} "
          f"{r['requests']:>10.0f} {r['non2xx']:>8.0f} {r['socket_errors']:>13.0f}  "
          + " ".join(f"{x['rps']:.0f}" for x in runs[name]))

layer, bare = rows["axum_layer"], rows["axum_bare"]
peer, peer_bare = rows["express_webhook"], rows["express_bare"]
keep = layer["rps"] / bare["rps"]
over_peer = layer["rps"] / peer["rps"]
print()
print(f"axum+layer / axum bare:            {keep:.3f} of the throughput (target >= 0.90)"
      f", p99 {layer['p99_us'] / 1000:.2f} ms vs {bare['p99_us'] / 1000:.2f} ms")
print(f"axum+layer / Express+webhook():    {over_peer:.1f}x the throughput (target >= 5x)"
      f", p99 {layer['p99_us'] / 1000:.2f} ms vs {peer['p99_us'] / 1000:.2f} ms")
print(f"Express+webhook() / Express bare:  {peer['rps'] / peer_bare['rps']:.3f} of the throughput (for reference)")
floor, form, layer_form = rows["axum_hmac_floor"], rows["axum_form"], rows["axum_layer_form"]
print(f"axum+HMAC floor / axum bare:       {floor['rps'] / bare['rps']:.3f} of the throughput"
      " (read the body, one HMAC, nothing else: the most any validator can keep)")
print(f"axum+layer / axum+HMAC floor:      {layer['rps'] / floor['rps']:.3f} of the throughput")
print(f"handlers reading the fields, layer+TwilioForm / bare axum Form: "
      f"{layer_form['rps'] / form['rps']:.3f} of the throughput")

failed = [n for n, rs in runs.items() if any(r["non2xx"] or r["socket_errors"] for r in rs)]
if failed:
    print(f"INVALID RUN: non-2xx answers or socket errors from {', '.join(failed)}")
    sys.exit(1)
misses = []
if keep < 0.90:
    misses.append("layer keeps < 90% of bare axum")
if over_peer < 5:
    misses.append("layer < 5x Express+webhook()")
print("targets: " + ("all met" if not misses else "MISSED: " + "; ".join(misses)))
sys.exit(1 if misses else 0)
EOF
