#!/usr/bin/env bash
# Herd immunity, both model kinds (docs/FEDERATION.md): 3 non-IID nodes, 3 rounds of real `federation simulate`
# (server and clients as processes, gRPC/TLS on loopback), then `jirachi eval --only-model` on held-out test files.
# Usage: bash bench/federation-immunity.sh OUTDIR [KINDS]   (after `npx tsc -p tsconfig.json`; ~5 minutes on 2 shared cores)
#   KINDS: space-separated subset of "weight gbdt gbdt-hist" (default: all three).
set -euo pipefail
out=${1:-/tmp/fedimm}; mkdir -p "$out"
kinds=${2:-weight gbdt gbdt-hist}
has() { [[ " $kinds " == *" $1 "* ]]; }
J="node bin/jirachi.js"
d="$out/d3"
node dist/bench/federation-splits.js --out "$d" --per-class 1000 --nodes 3 --server-val 100 >/dev/null
dataargs() { for i in 1 2 3; do printf -- '--data %s ' "$d/node-$i.jsonl"; done; }
rates() { # model label
  $J eval --model "$1" --only-model --json --corpus "$d"/test-{sqli,xss,path-traversal,cmdi,benign}.jsonl |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).per_class;const f=c=>((r[c].tpr??r[c].tnr)*100).toFixed(1);console.log("| "+process.argv[1]+" | "+["sqli","xss","path-traversal","cmdi","benign"].map(f).join(" | ")+" |")})' "$2"
}
gate() { node -e 'const s=require(process.argv[1]);for(const n of s.nodeReports){const d=n.decisions.at(-1);console.log(`${n.nodeId}: final model ${d.accepted?"accepted":"refused"} (${d.reason}); sent ${n.traffic.sent} B, received ${n.traffic.received} B`)}; for (const r of s.rounds) console.log(`round ${r.round}: ${r.durationMs} ms, ${r.bytesPerNode} B/node up, accepted ${JSON.stringify(r.accepted)} rejected ${JSON.stringify(r.rejected)} info ${JSON.stringify(r.info)}`)' "$1/summary.json"; }
# Central baselines: the best configuration on the pooled client validation splits (never the test files).
has weight && node dist/bench/federation-tune.js --dir "$d" --grid central --c-epochs 2,4,6,10,20 --c-lr 0.25,0.5,1 --save-central "$out/central-weight.json" > "$out/central-weight.jsonl"
node dist/bench/federation-trees-tune.js --dir "$d" --grid central --save-central "$out/central-gbdt.json" > "$out/central-gbdt.jsonl"
if has weight; then
echo "## weight model: fedavg-coord, 2 local epochs, lr 2 (docs/FEDERATION.md)"
$J federation simulate $(dataargs) --rounds 3 --strategy fedavg-coord --local-epochs 2 --lr 2 --out "$out/weight" >/dev/null
for i in 1 2 3; do rates "$out/weight/node-$i/local-model.json" "node $i local only"; done
for i in 1 2 3; do rates "$out/weight/node-$i/model.json" "node $i model.json after 3 rounds"; done
rates "$out/weight/global-model.json" "global after 3 rounds"
rates "$out/central-weight.json" "central (best validation config)"
gate "$out/weight"
fi
if has gbdt; then
echo "## gbdt: tree rounds, 20 trees per node per round, depth 3, server validation $d/server-validation.jsonl"
$J federation simulate $(dataargs) --rounds 3 --model gbdt --validation "$d/server-validation.jsonl" --trees-per-round 20 --tree-depth 3 --local-trees 60 --out "$out/gbdt" >/dev/null
for i in 1 2 3; do rates "$out/gbdt/node-$i/local-model.json" "node $i local only"; done
for i in 1 2 3; do rates "$out/gbdt/node-$i/model.json" "node $i model.json after 3 rounds"; done
rates "$out/gbdt/global-model.json" "global after 3 rounds"
rates "$out/central-gbdt.json" "central (best validation config)"
gate "$out/gbdt"
echo "## gbdt as above, clients' rollout gate tolerance 0.02 instead of 0.01 (same server rounds: the gate does not change what the server builds)"
$J federation simulate $(dataargs) --rounds 3 --model gbdt --validation "$d/server-validation.jsonl" --trees-per-round 20 --tree-depth 3 --local-trees 60 --gate-tolerance 0.02 --out "$out/gbdt-gate2" >/dev/null
for i in 1 2 3; do rates "$out/gbdt-gate2/node-$i/model.json" "node $i model.json after 3 rounds (gate 0.02)"; done
gate "$out/gbdt-gate2"
fi
if has gbdt-hist; then
echo "## gbdt-hist: histogram boosting, 34 trees per round (102 in 3 rounds), depth 3, eta 0.3, lambda 1 (the central configuration); no server validation set"
$J federation simulate $(dataargs) --rounds 3 --model gbdt-hist --local-trees 60 --out "$out/gbdt-hist" >/dev/null
for i in 1 2 3; do rates "$out/gbdt-hist/node-$i/local-model.json" "node $i local only"; done
for i in 1 2 3; do rates "$out/gbdt-hist/node-$i/model.json" "node $i model.json after 3 rounds"; done
rates "$out/gbdt-hist/global-model.json" "global after 3 rounds"
rates "$out/central-gbdt.json" "central (best validation config)"
gate "$out/gbdt-hist"
fi
