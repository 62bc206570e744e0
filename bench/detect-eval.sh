#!/usr/bin/env bash
# Reproduces the detection numbers in docs/DETECTION.md: the shipped model, random-split and
# leave-source-out evaluations, generated-benign FP. Writes JSON reports to bench/results/detect/.
# Usage: bash bench/detect-eval.sh [--skip-shipped]   (run from the repo root after `npx tsc`)
set -euo pipefail
D=${DATA_DIR:-../shared/data}
OUT=bench/results/detect
mkdir -p "$OUT"
J="node bin/jirachi.js"
HOLDOUT_BENIGN=vcr-datadog,devtools-lighthouse,vcr-praw,har-mitmproxy,vcr-linode
if [ "${1:-}" != "--skip-shipped" ]; then
  # The shipped model: random-split train side of both corpora + generated benign, 5 benign-extra sources held out.
  $J train --data "$D/train-requests.jsonl.gz" "$D/benign-extra.jsonl.gz" --generated-benign 4000 --split train \
    --exclude-sources "$HOLDOUT_BENIGN" --trees 200 --depth 7 --seed 1 --target-fpr 0.0017 --out models/jirachi-gbdt.json
fi
$J eval --corpus "$D/train-requests.jsonl.gz" "$D/benign-extra.jsonl.gz" --generated-benign 4000 --split test --json > "$OUT/random-split-test.json"
$J eval --corpus "$D/train-requests.jsonl.gz" "$D/benign-extra.jsonl.gz" --generated-benign 4000 --split test --only-model --json > "$OUT/random-split-test-only-model.json"
$J eval --corpus "$D/train-requests.jsonl.gz" "$D/benign-extra.jsonl.gz" --generated-benign 4000 --split test --no-model --json > "$OUT/random-split-test-signatures.json"
$J eval --corpus "$D/benign-extra.jsonl.gz" --sources "$HOLDOUT_BENIGN" --json > "$OUT/benign-extra-heldout-sources.json"
$J eval --corpus "$D/benign-extra.jsonl.gz" --json > "$OUT/benign-extra-all.json"
$J eval --generated-benign 20000 --json > "$OUT/generated-benign.json"
# Leave-source-out: train without one attack source, test on it (plus the held-out benign sources).
# The models are kept in $LSO_DIR (default /tmp/jirachi-lso) and reused unless RETRAIN=1.
LSO_DIR=${LSO_DIR:-/tmp/jirachi-lso}
mkdir -p "$LSO_DIR"
for SRC in patt libinjection grananqvist crs-regression; do
  M="$LSO_DIR/lso-$SRC.model.json"
  if [ ! -f "$M" ] || [ "${RETRAIN:-0}" = 1 ]; then
    $J train --data "$D/train-requests.jsonl.gz" "$D/benign-extra.jsonl.gz" --generated-benign 4000 \
      --exclude-sources "$SRC,$HOLDOUT_BENIGN" --trees 200 --depth 7 --seed 1 --out "$M" --report "$OUT/lso-$SRC.train-report.json"
  fi
  $J eval --corpus "$D/train-requests.jsonl.gz" "$D/benign-extra.jsonl.gz" --sources "$SRC,$HOLDOUT_BENIGN" \
    --model "$M" --json > "$OUT/lso-$SRC.json"
done
node -e '
const fs=require("fs");const dir=process.argv[1];
for (const f of fs.readdirSync(dir).filter((x)=>x.endsWith(".json")&&!x.includes("report")).sort()) {
  const r=JSON.parse(fs.readFileSync(dir+"/"+f));
  console.log(f.padEnd(44), "TPR", r.tpr, "TNR", r.tnr, "n", r.counts.total, "p50", r.p50_us, "p99", r.p99_us);
}' "$OUT"
