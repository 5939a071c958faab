#!/usr/bin/env bash
# Soak test: the example server (examples/server.rs) with Basic authentication
# on 127.0.0.1, and bench/soak.rs sending it mixed traffic (valid, forged,
# unauthenticated, oversized, slow and stalled requests) on 84 connections at
# once for SOAK_SECS seconds (default 60) after SOAK_WARMUP_SECS (default 15)
# of warm-up. It prints the requests served per class, every status seen and
# the server's RSS at the start and, idle, after warm-up and at the end; it
# exits non-zero unless: no 5xx, no connection reset or early end of stream,
# every valid request 200, every refused one as expected, the server still
# up, and its idle RSS at the end within 10% of its idle RSS after warm-up.
#
#   bash bench/soak.sh                                   # the run in SECURITY.md
#   SOAK_SECS=20 SOAK_WARMUP_SECS=20 bash bench/soak.sh  # the short run for CI
#
# Loopback only; bounded in time; the server it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

secs=${SOAK_SECS:-60}
port=${SOAK_PORT:-39170}
export SOAK_SECS=$secs
export BIND=127.0.0.1:$port
export TWILIO_AUTH_TOKEN=soak-auth-token-0123456789abcdef
export TWILIO_BASE_URL=http://127.0.0.1:$port
export TWILIO_WEBHOOK_AUTH=basic TWILIO_WEBHOOK_USER=twilio TWILIO_WEBHOOK_PASSWORD=soak-password
# The example logs every request at INFO; WARN keeps the log small.
export RUST_LOG=${RUST_LOG:-warn}

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "soak: 127.0.0.1:$port is already in use; set SOAK_PORT" >&2
  exit 1
fi

cargo build --quiet --release --example server
cargo build --quiet --release -p tower-twilio-bench --example soak

# The RSS check is about what the server holds, not about glibc's caches:
# glibc raises its mmap threshold to the largest block freed so far (after
# the first 1 MiB body buffer, such buffers come from the heap), and keeps
# freed memory in one arena per thread. With the threshold pinned at glibc's
# own starting value (128 KiB) and one arena, idle RSS stays flat across
# repeated runs; with glibc's defaults it creeps up by a few MiB and then
# levels off (SECURITY.md gives both). SOAK_DEFAULT_MALLOC=1 runs without.
if [ -z "${SOAK_DEFAULT_MALLOC:-}" ]; then
  export MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072
  echo "soak: server runs with MALLOC_ARENA_MAX=1 MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=131072"
fi
log=target/soak-server.log
target/release/examples/server >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT

for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  if ! kill -0 "$server" 2>/dev/null; then
    echo "soak: the server exited; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done

status=0
timeout $((secs + 120)) target/release/examples/soak "127.0.0.1:$port" "$server" || status=$?
if ! kill -0 "$server" 2>/dev/null; then
  echo "FAIL: the server is no longer running; its log:" >&2
  tail -20 "$log" >&2
  status=1
fi
exit "$status"
