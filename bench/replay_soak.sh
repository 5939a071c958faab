#!/usr/bin/env bash
# Replay soak: two instances of bench/replay_soak_server.rs behind the replay
# guard, sharing one Redis (Debian's redis-server, started and stopped here),
# four tenants, and bench/replay_soak.rs sending them mixed traffic for
# SOAK_SECS seconds (default 150) while it pauses (SIGSTOP), resumes, kills
# and restarts Redis. Reports genuine webhooks handled, MessageSids handled
# twice (must be 0), genuine webhooks refused while Redis was up (must be 0),
# 503s while it was paused or down, and each instance's RSS (idle and peak);
# exits non-zero unless both zeros hold.
#
#   timeout 400 bash bench/replay_soak.sh
#
# Loopback only; bounded in time; everything it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

command -v redis-server >/dev/null || { echo "replay soak: redis-server is needed" >&2; exit 1; }
export SOAK_SECS=${SOAK_SECS:-150}
base=${SOAK_PORT:-23380}
ports=($base $((base + 1)))
redis_port=$((base + 10))
for port in "${ports[@]}" "$redis_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "replay soak: 127.0.0.1:$port is already in use; set SOAK_PORT" >&2
    exit 1
  fi
done

cargo build --quiet --release -p tower-twilio-bench --features redis \
  --example replay_soak_server --example replay_soak

export REDIS_PIDFILE=target/replay-soak-redis.pid
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -f "$REDIS_PIDFILE" ]; then
    redis=$(cat "$REDIS_PIDFILE")
    kill -CONT "$redis" 2>/dev/null || true
    kill "$redis" 2>/dev/null || true
    rm -f "$REDIS_PIDFILE"
  fi
  wait 2>/dev/null || true
}
trap cleanup EXIT

redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no \
  --maxmemory 256mb --maxmemory-policy noeviction >target/replay-soak-redis.log 2>&1 &
echo $! >"$REDIS_PIDFILE"
export RUST_LOG=${RUST_LOG:-warn}
for port in "${ports[@]}"; do
  BIND=127.0.0.1:$port REDIS_URL=redis://127.0.0.1:$redis_port \
    target/release/examples/replay_soak_server >"target/replay-soak-$port.log" 2>&1 &
  pids+=($!)
done
for port in "${ports[@]}" "$redis_port"; do
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    sleep 0.1
  done
done
for pid in "${pids[@]}" "$(cat "$REDIS_PIDFILE")"; do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "replay soak: a process did not start; logs in target/replay-soak-*.log" >&2
    exit 1
  fi
done

INSTANCES=127.0.0.1:${ports[0]},127.0.0.1:${ports[1]} \
INSTANCE_PIDS=${pids[0]},${pids[1]} \
REDIS_PID=$(cat "$REDIS_PIDFILE") REDIS_PORT=$redis_port \
  timeout $((SOAK_SECS + 120)) target/release/examples/replay_soak
