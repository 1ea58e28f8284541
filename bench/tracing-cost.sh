#!/usr/bin/env bash
# What tracing costs on the hot path: ingest with wrk (1 KiB payload) to a live subscription delivering to the
# built-in sink, with tracing off and on (OTLP/HTTP to a second sink that accepts anything), alternating, twice.
# Bounded: four node starts, a 5 s warm-up and a 10 s measured run each; everything on 127.0.0.1; embedded
# PostgreSQL and Redis under a temporary data directory, removed at the end.
#   bench/tracing-cost.sh [seconds]        (after mvn -B -q package -DskipTests)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_RUN=${1:-10}
NODE_PORT=18480 SINK_PORT=19490 OTLP_PORT=14318
KEY=bench-tracing-key-0123456789
WORK=$(mktemp -d /tmp/hookrelay-tracing-bench.XXXXXX)
BASE=http://127.0.0.1:$NODE_PORT
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

java -jar "$ROOT/target/hookrelay.jar" sink --host 127.0.0.1 --port $SINK_PORT --quiet >"$WORK/sink.log" 2>&1 &
PIDS+=($!)
java -jar "$ROOT/target/hookrelay.jar" sink --host 127.0.0.1 --port $OTLP_PORT --quiet >"$WORK/otlp.log" 2>&1 &
PIDS+=($!)
cat >"$WORK/ingest.lua" <<LUA
wrk.method = "POST"
wrk.body = io.open("$ROOT/bench/order.json"):read("*a")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $KEY"
wrk.headers["X-Event-Type"] = "order.created"
LUA
api() { curl -fsS -X "$1" "$BASE$2" -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' ${3:+-d "$3"}; }
wait_for() { for _ in $(seq 1 300); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.2; done; echo "no answer at $1" >&2; exit 1; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
wrk_ms() { awk -v l="$1" '$1 == l {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v/=1000} else if (v ~ /ms$/) sub(/ms$/,"",v);
  else if (v ~ /s$/) {sub(/s$/,"",v); v*=1000}; printf "%.2f", v}' "$2"; }
wait_for "http://127.0.0.1:$SINK_PORT/stats"
wait_for "http://127.0.0.1:$OTLP_PORT/stats"

run() { # run off|on
  local mode=$1 node_pid sub c0 c1 d0 d1 o0 o1 log="$WORK/wrk-$1.log"
  local -a otel=()
  [[ $mode == on ]] && otel=(OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$OTLP_PORT OTEL_SERVICE_NAME=hookrelay-bench)
  env HOOKRELAY_DATA_DIR="$WORK/data" HOOKRELAY_HTTP_HOST=127.0.0.1 HOOKRELAY_HTTP_PORT=$NODE_PORT \
    HOOKRELAY_API_KEYS=$KEY HOOKRELAY_ALLOW_PRIVATE_TARGETS=true "${otel[@]}" \
    java -Xmx256m -jar "$ROOT/target/hookrelay.jar" >"$WORK/node-$mode.log" 2>&1 &
  node_pid=$!
  wait_for "$BASE/ready"
  sub=$(api POST /subscriptions "{\"target_url\":\"http://127.0.0.1:$SINK_PORT/hook\"}" | jq -r .id)
  timeout 30 wrk -t1 -c16 -d5s -s "$WORK/ingest.lua" "$BASE/ingest/$sub" >/dev/null 2>&1 # warm-up, not counted
  c0=$(cpu_ticks $node_pid); d0=$(api GET /stats | jq .node.totals.succeeded)
  o0=$(curl -fsS "http://127.0.0.1:$OTLP_PORT/stats" | jq .received)
  timeout $(( SECONDS_RUN + 30 )) wrk -t1 -c16 -d"${SECONDS_RUN}s" --latency -s "$WORK/ingest.lua" "$BASE/ingest/$sub" >"$log" 2>&1
  c1=$(cpu_ticks $node_pid); d1=$(api GET /stats | jq .node.totals.succeeded)
  o1=$(curl -fsS "http://127.0.0.1:$OTLP_PORT/stats" | jq .received)
  printf '%-4s %9s req/s  p50 %6s ms  p99 %7s ms  non-2xx %s  delivered %6s/s  node CPU %5s%% of a core  OTLP posts %s\n' \
    "$mode" "$(awk '/Requests\/sec/ {print $2}' "$log")" "$(wrk_ms 50% "$log")" "$(wrk_ms 99% "$log")" \
    "$(awk '/Non-2xx/ {print $NF}' "$log" | grep . || echo 0)" "$(( (d1 - d0) / SECONDS_RUN ))" \
    "$(( (c1 - c0) * 100 / $(getconf CLK_TCK) / SECONDS_RUN ))" "$(( o1 - o0 ))"
  kill -TERM $node_pid
  wait $node_pid || true
  grep -h "dropped" "$WORK/node-$mode.log" | sed 's/^/     SDK: /' || true # the batch processor's queue was full
}

for round in 1 2; do
  echo "round $round"
  run off
  run on
done
