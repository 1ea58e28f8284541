#!/usr/bin/env bash
# Delivery throughput of a cluster with one, then two delivery nodes, on this machine. Starts an API node (which
# also runs embedded PostgreSQL and Redis for everyone), the sink, and the delivery nodes, all from
# target/hookrelay.jar; per run: N webhooks are ingested for subscriptions that are disabled (so they wait, held),
# then the subscriptions are enabled and the clock runs until the sink has received all N. Order: a warm-up run
# with one delivery node (JIT), one node; a warm-up run for the second node, two nodes; then one node again after
# the second stopped gracefully.
#   mvn -B -q package -DskipTests && bench/cluster-throughput.sh            # N=10000 by default
# BENCH_CLUSTER_HOST=0.0.0.0 BENCH_PUBLIC_HOST=localhost runs the nodes the way docker-compose.yml does.
# Everything it starts is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
SUBS=4
JAR=target/hookrelay.jar
KEY=bench-key-0123456789abcdef
WORK=$(mktemp -d /tmp/hookrelay-bench.XXXXXX)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
SINK_PORT=$(free_port); API_PORT=$(free_port)
HZ=(59$((RANDOM % 50 + 10)) 0 0); HZ[1]=$((HZ[0] + 20)); HZ[2]=$((HZ[0] + 40))
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

export HOOKRELAY_CLUSTER=true HOOKRELAY_CLUSTER_NAME=bench-$$ HOOKRELAY_CLUSTER_HOST=${BENCH_CLUSTER_HOST:-127.0.0.1}
export HOOKRELAY_CLUSTER_PUBLIC_HOST=${BENCH_PUBLIC_HOST:-}
export HOOKRELAY_CLUSTER_MEMBERS="127.0.0.1:${HZ[0]},127.0.0.1:${HZ[1]},127.0.0.1:${HZ[2]}"
export HOOKRELAY_API_KEYS=$KEY HOOKRELAY_ALLOW_PRIVATE_TARGETS=true

await_line() { # file pattern
  for _ in $(seq 1 600); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.2; done
  echo "timed out waiting for '$2' in $1" >&2; tail -20 "$1" >&2; exit 1
}

java -jar $JAR sink --port "$SINK_PORT" --quiet > "$WORK/sink.log" 2>&1 & PIDS+=($!)
HOOKRELAY_ROLES=api HOOKRELAY_HTTP_PORT=$API_PORT HOOKRELAY_DATA_DIR=$WORK/api \
  HOOKRELAY_CLUSTER_HAZELCAST_PORT=${HZ[0]} java -jar $JAR > "$WORK/api.log" 2>&1 & PIDS+=($!)
await_line "$WORK/api.log" " up: roles"
DB=$(grep -o 'postgresql://[^ ,]*' "$WORK/api.log" | head -1)
REDIS=$(grep -o 'redis://[^ ;,]*' "$WORK/api.log" | head -1)
API=http://127.0.0.1:$API_PORT

start_delivery() { # index
  HOOKRELAY_ROLES=delivery HOOKRELAY_HTTP_PORT=$(free_port) HOOKRELAY_DATA_DIR=$WORK/d$1 \
    HOOKRELAY_DATABASE_URL=$DB HOOKRELAY_REDIS_URL=$REDIS HOOKRELAY_CLUSTER_HAZELCAST_PORT=${HZ[$1]} \
    java -jar $JAR > "$WORK/delivery$1.log" 2>&1 & PIDS+=($!)
  DELIVERY_PID[$1]=$!
  await_line "$WORK/delivery$1.log" " up: roles"
}

sink_received() { curl -s "http://127.0.0.1:$SINK_PORT/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["distinct"])'; }

run() { # label
  ids=()
  for _ in $(seq 1 $SUBS); do
    id=$(curl -s -H "Authorization: Bearer $KEY" -H 'content-type: application/json' "$API/subscriptions" \
      -d "{\"target_url\": \"http://127.0.0.1:$SINK_PORT/hook\", \"max_in_flight\": 1000}" \
      | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    curl -s -o /dev/null -X PATCH -H "Authorization: Bearer $KEY" -H 'content-type: application/json' \
      "$API/subscriptions/$id" -d '{"status": "disabled"}'
    ids+=("$id")
  done
  SUBS_CSV=$(IFS=,; echo "${ids[*]}") API=$API KEY=$KEY k6 run -q --vus 16 --iterations "$N" - <<'JS' > "$WORK/k6-$1.log" 2>&1
import http from 'k6/http';
const subs = __ENV.SUBS_CSV.split(',');
export default function () {
  const sub = subs[(__VU + __ITER) % subs.length];
  const r = http.post(`${__ENV.API}/ingest/${sub}`, JSON.stringify({ n: __ITER, vu: __VU }),
    { headers: { Authorization: `Bearer ${__ENV.KEY}`, 'Content-Type': 'application/json' } });
  if (r.status !== 202) { throw new Error(`ingest answered ${r.status}: ${r.body}`); }
}
JS
  base=$(sink_received)
  start=$(date +%s.%N)
  for id in "${ids[@]}"; do
    curl -s -o /dev/null -X POST -H "Authorization: Bearer $KEY" "$API/subscriptions/$id/enable"
  done
  while [ "$(sink_received)" -lt $((base + N)) ]; do sleep 0.1; done
  end=$(date +%s.%N)
  python3 -c "s=$end-$start; print(f'$1: $N webhooks delivered in {s:.1f} s = {$N/s:.0f} deliveries/s')"
}

declare -A DELIVERY_PID
start_delivery 1
run "warm-up, 1 delivery node"
run "1 delivery node"
start_delivery 2
run "warm-up, 2 delivery nodes"
run "2 delivery nodes"
kill "${DELIVERY_PID[2]}"; await_line "$WORK/delivery2.log" "stopped"
run "1 delivery node again"
echo "logs in $WORK"
