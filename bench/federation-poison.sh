#!/usr/bin/env bash
# Herd-immunity and poisoning runs of docs/FEDERATION.md: real `federation simulate` runs, then `jirachi eval --only-model`.
# Usage: bash bench/federation-poison.sh OUTDIR   (after `npx tsc -p tsconfig.json`; ~3 minutes on 2 cores)
set -euo pipefail
out=${1:-/tmp/fedbench}; mkdir -p "$out"
J="node bin/jirachi.js"
node dist/bench/federation-splits.js --out "$out/d3" --per-class 1000 --nodes 3 >/dev/null
node dist/bench/federation-splits.js --out "$out/d5" --per-class 1000 --nodes 5 >/dev/null
dataargs() { local d=$1 n=$2; for i in $(seq 1 "$n"); do printf -- '--data %s ' "$d/node-$i.jsonl"; done; }
rates() { # model datadir label
  $J eval --model "$1" --only-model --json --corpus "$2"/test-{sqli,xss,path-traversal,cmdi,benign}.jsonl |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const r=JSON.parse(s).per_class;const f=c=>((r[c].tpr??r[c].tnr)*100).toFixed(1);console.log(["sqli","xss","path-traversal","cmdi","benign"].map(f).join(" | "), "|", process.argv[1])})' "$3"
}
HP="--local-epochs 2 --lr 2"   # best pooled validation accuracy of bench/federation-tune.ts for fedavg and fedavg-coord
node dist/bench/federation-tune.js --dir "$out/d3" --grid central --c-epochs 2,4,6,10,20 --c-lr 0.25,0.5,1 --save-central "$out/central3.json" > "$out/central3.jsonl"
node dist/bench/federation-tune.js --dir "$out/d5" --grid central --c-epochs 2,4,6,10,20 --c-lr 0.25,0.5,1 --save-central "$out/central5.json" > "$out/central5.jsonl"
echo "## 3 nodes (sqli | xss | path-trav. | cmdi | benign)"
for s in "fedavg 1" "fedavg-coord 1"; do set -- $s
  $J federation simulate $(dataargs "$out/d3" 3) --rounds 3 --strategy $1 --server-lr $2 $HP --out "$out/s3-$1" >/dev/null
  for i in 1 2 3; do rates "$out/s3-$1/node-$i/local-model.json" "$out/d3" "node $i local ($1 run)"; done
  for i in 1 2 3; do rates "$out/s3-$1/node-$i/model.json" "$out/d3" "node $i model.json after 3 rounds ($1, server lr $2)"; done
  rates "$out/s3-$1/global-model.json" "$out/d3" "global after 3 rounds ($1, server lr $2)"
done
rates "$out/central3.json" "$out/d3" "central (best validation config)"
echo "## 5 nodes, node 5 poisoning"
for atk in scale:-10 label-flip; do for s in fedavg fedavg-coord trimmed-mean median krum; do
  $J federation simulate $(dataargs "$out/d5" 5) --rounds 3 --strategy $s --poison 5:$atk $HP --out "$out/p5-$s-$atk" >/dev/null
  rates "$out/p5-$s-$atk/global-model.json" "$out/d5" "$s, node 5 $atk"
done; done
for s in fedavg fedavg-coord krum; do
  $J federation simulate $(dataargs "$out/d5" 5) --rounds 3 --strategy $s $HP --out "$out/p5-clean-$s" >/dev/null
  rates "$out/p5-clean-$s/global-model.json" "$out/d5" "$s, no poisoning"
done
rates "$out/central5.json" "$out/d5" "central (best validation config, all 5 nodes' data)"
