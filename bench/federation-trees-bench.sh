#!/usr/bin/env bash
# 10-node tree-round benchmark (docs/BENCHMARKS.md, Federation): `federation simulate --model gbdt` with 10 client processes
# (real gRPC/TLS on loopback), then per-round time and bytes per node from summary.json.
# Usage: bash bench/federation-trees-bench.sh OUTDIR   (after `npx tsc -p tsconfig.json`; ~1 minute on 2 shared cores)
set -euo pipefail
out=${1:-/tmp/fedtrees10}; mkdir -p "$out"
d="$out/d3"
node dist/bench/federation-splits.js --out "$d" --per-class 1000 --nodes 3 --server-val 100 >/dev/null
# 10 nodes over the 3 non-IID data files (as the weight-model round-time benchmark): node i holds node-((i-1)%3+1).jsonl.
args=(); for i in $(seq 1 10); do args+=(--data "$d/node-$(( (i - 1) % 3 + 1 )).jsonl"); done
node bin/jirachi.js federation simulate "${args[@]}" --rounds 3 --model gbdt --validation "$d/server-validation.jsonl" \
  --trees-per-round 20 --tree-depth 3 --local-trees 60 --round-timeout 120000 --out "$out/run" >/dev/null
node -e '
const s = require(process.argv[1]);
for (const r of s.rounds) console.log(`round ${r.round}: ${r.durationMs} ms, ${r.participants.length} participants, accepted ${r.accepted.length}, request bytes per node ${r.bytesPerNode}, trees ${r.info.treesTotal}`);
const t = s.nodeReports.map((n) => n.traffic);
const avg = (k) => Math.round(t.reduce((a, x) => a + x[k], 0) / t.length);
console.log(`per node, whole run: sent ${avg("sent")} B, received ${avg("received")} B (mean of ${t.length}); total ${s.totalMs} ms`);
const m = require("fs").statSync(process.argv[2]).size; console.log(`final global model file: ${m} B`);
' "$out/run/summary.json" "$out/run/global-model.json"
