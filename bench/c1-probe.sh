#!/usr/bin/env bash
# Where the -c1 time of the shield goes: one shield process pinned to CPU 1 (modes off, signatures
# only, signatures + model, in turn, ROUNDS times), an nginx upstream, `wrk -t1 -c1` on CPU 0 with the
# proxy bench's GET. Prints per run: wrk p50, the decision log's inspection / upstream / total p50,
# and the shield main thread's user and system CPU per request over the wrk window (/proc).
# Usage (root, nginx + wrk installed, after `npx tsc`): bash bench/c1-probe.sh [ROUNDS] [SECONDS]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${1:-2}; DUR=${2:-6}
LUA=${LUA:-/work/shared/bench/proxy/wrk-req.lua}
D=$(mktemp -d /tmp/jirachi-c1.XXXXXX)
UP=18280; PX=18282; ADM=18283
cleanup() { [ -f "$D/nginx.pid" ] && kill "$(cat "$D/nginx.pid")" 2>/dev/null || true; rm -rf "$D"; }
trap cleanup EXIT
cat > "$D/up.conf" <<NG
worker_processes 1; daemon on; pid $D/nginx.pid; error_log $D/err.log;
events { worker_connections 1024; }
http { access_log off; server { listen 127.0.0.1:$UP reuseport; location / { default_type application/json; return 200 '{"ok":true,"items":[1,2,3],"message":"fixed upstream answer for benchmarks"}'; } } }
NG
nginx -c "$D/up.conf"
for m in off sig full; do
  mode=block; [ $m = off ] && mode=off
  dm=false; [ $m = sig ] && dm=true
  printf 'listen: 127.0.0.1:%s\nupstream: http://127.0.0.1:%s\nmode: %s\nworkers: 1\nstateDir: %s/state-%s\nadmin:\n  listen: 127.0.0.1:%s\n  token: bench-token-0123456789abcdef\nlog:\n  decisions: %s/decisions.jsonl\nbans:\n  auto:\n    enabled: false\ndetection:\n  disableModel: %s\n' \
    $PX $UP $mode "$D" $m $ADM "$D" $dm > "$D/$m.yaml"
done
echo "| shield | wrk p50 µs | inspect p50 µs | upstream p50 µs | in-shield total p50 µs | main thread user / system CPU µs per request |"
echo "|---|---|---|---|---|---|"
for r in $(seq "$ROUNDS"); do
  for m in off sig full; do
    rm -f "$D/decisions.jsonl"
    taskset -c 1 node "$ROOT/bin/jirachi.js" shield --config "$D/$m.yaml" > "$D/shield.out" 2>&1 & SP=$!
    for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$PX/" && break; sleep 0.1; done
    read -r U0 S0 < <(awk '{print $14, $15}' "/proc/$SP/task/$SP/stat")
    out=$(WRK_MODE=get taskset -c 0 wrk -t1 -c1 -d"${DUR}s" --latency -s "$LUA" "http://127.0.0.1:$PX/api/v1/products")
    read -r U1 S1 < <(awk '{print $14, $15}' "/proc/$SP/task/$SP/stat")
    kill -TERM $SP; wait $SP 2>/dev/null || true
    M=$m HZ=$(getconf CLK_TCK) node -e '
const [file, wrk, du, ds] = process.argv.slice(1);
const ev = require("fs").readFileSync(file, "utf8").split("\n").filter(Boolean).flatMap((l) => { try { return [JSON.parse(l).durations]; } catch { return []; } });
const q = (f) => { const v = ev.map(f).filter((x) => typeof x === "number").sort((a, b) => a - b); return v.length ? Math.round(v[v.length >> 1]) : "–"; };
const p50 = /50%\s+([\d.]+)(us|ms)/.exec(wrk); const n = Number(/(\d+) requests in/.exec(wrk)[1]);
const wp50 = p50 ? (p50[2] === "ms" ? Number(p50[1]) * 1000 : Number(p50[1])) : NaN;
const hz = Number(process.env.HZ) || 100;
console.log(`| ${process.env.M} | ${wp50} | ${q((d) => d.inspectUs)} | ${q((d) => d.upstreamMs * 1000)} | ${q((d) => d.totalMs * 1000)} | ${(Number(du) / hz * 1e6 / n).toFixed(0)} / ${(Number(ds) / hz * 1e6 / n).toFixed(0)} |`);
' "$D/decisions.jsonl" "$out" $((U1 - U0)) $((S1 - S0))
  done
done
