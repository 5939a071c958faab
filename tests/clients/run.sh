#!/usr/bin/env bash
# Real clients (curl, python-requests) against the example server with Basic and
# with Digest authentication, over loopback; also watches the server's memory
# while 100 Digest clients run at once. Needs curl, python3 with requests and
# twilio (pip install -r diff/requirements.txt requests).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

cargo build --quiet --example server
server=target/debug/examples/server
token=clients-test-token
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT

rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

status=0
for scheme in basic digest; do
  port=$((3300 + RANDOM % 1000))
  TWILIO_AUTH_TOKEN=$token TWILIO_WEBHOOK_AUTH=$scheme TWILIO_WEBHOOK_USER=twilio \
    TWILIO_WEBHOOK_PASSWORD='pa:ss wörd' BIND=127.0.0.1:$port RUST_LOG=warn \
    "$server" > "target/clients-$scheme.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && break
    sleep 0.1
  done
  before=$(rss_kib "$pid")
  echo "== $scheme (server RSS ${before} KiB)"
  python3 tests/clients/clients.py "$scheme" "http://127.0.0.1:$port" "$token" twilio 'pa:ss wörd' || status=1
  after=$(rss_kib "$pid")
  growth=$((after - before))
  echo "server RSS after: ${after} KiB (growth ${growth} KiB)"
  # Bounded: a few MiB of allocator and connection state at most, whatever the traffic.
  if (( growth > 32768 )); then
    echo "FAIL: server RSS grew by ${growth} KiB"; status=1
  fi
  kill "$pid"
done
exit $status
