#!/usr/bin/env bash
# Through-the-proxy comparison with nginx+ModSecurity3+CRS PL1 (front g of ../shared/bench/proxy/bench.sh):
#  1. detection: replay the same 5 000 held-out requests (random-split test side) through g and through
#     `jirachi shield` (block mode), with ../shared/bench/proxy/replay.mjs;
#  2. cost: the harness's wrk workloads (GET with query + headers, 1 KB form POST) against g (bench.sh)
#     and against the shield (same wrk-req.lua), as server CPU µs per request.
# Needs: apt-get install libnginx-mod-http-modsecurity modsecurity-crs nginx wrk; `npx tsc` first.
# Usage: bash bench/detect-proxy.sh [OUT_DIR]   (run from the repo root; loopback only; ~3 minutes)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
H="$(cd "$ROOT/../shared/bench/proxy" && pwd)"
OUT="${1:-/tmp/jirachi-detect-proxy}"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
node "$ROOT/dist/bench/detect-sample.js" "$WORK/sample.jsonl" 2500
cat > "$WORK/shield.yaml" <<YAML
listen: 127.0.0.1:18095
upstream: http://127.0.0.1:18080
mode: block
stateDir: $WORK/state
admin:
  listen: 127.0.0.1:18096
rateLimit:
  enabled: false
bans:
  auto:
    enabled: false
detection:
  threshold: 5
log:
  decisions: off
YAML
# The shield is started by the command bench.sh runs (after it has started the upstream on :18080).
cat > "$WORK/with-shield.sh" <<SH
#!/usr/bin/env bash
set -u
(cd "$WORK" && exec taskset -c 1 node "$ROOT/bin/jirachi.js" shield --config "$WORK/shield.yaml" > "$WORK/shield.log" 2>&1) &
SP=\$!
trap 'kill \$SP 2>/dev/null; wait \$SP 2>/dev/null' EXIT
for i in \$(seq 1 100); do curl -s -o /dev/null http://127.0.0.1:18095/ && break; sleep 0.2; done
node "$H/replay.mjs" --url http://127.0.0.1:18095 --corpus "$WORK/sample.jsonl" --out "$OUT/jirachi.verdicts.jsonl" --concurrency 4 --quiet > "$OUT/jirachi.replay.txt"
clk=\$(getconf CLK_TCK)
cpu() { awk '{print \$14+\$15+\$16+\$17}' /proc/\$SP/stat; }
for mode in get post; do
  WRK_MODE=\$mode taskset -c 0 wrk -t2 -c64 -d3s -s "$H/wrk-req.lua" http://127.0.0.1:18095 > /dev/null 2>&1
  c0=\$(cpu)
  out=\$(WRK_MODE=\$mode taskset -c 0 wrk -t2 -c64 -d10s -s "$H/wrk-req.lua" http://127.0.0.1:18095 2>&1)
  c1=\$(cpu)
  reqs=\$(echo "\$out" | awk '/requests in/ {print \$1}')
  echo "jirachi \$mode requests=\$reqs req/s=\$(echo "\$out" | awk '/Requests\\/sec/ {print \$2}') shield_cpu_us_per_req=\$(awk -v a=\$c0 -v b=\$c1 -v n=\$reqs -v k=\$clk 'BEGIN{printf "%.1f", (b-a)/k*1e6/n}')"
done
SH
chmod +x "$WORK/with-shield.sh"
"$H/waf-eval.sh" --fronts g --out "$OUT" --tag sample "$WORK/sample.jsonl" > /dev/null
"$H/bench.sh" serve a -- "$WORK/with-shield.sh" | tee "$OUT/jirachi-cpu.txt"
"$H/bench.sh" --repeats 1 --duration 10 --warmup 3 --fronts "a g" --workloads "get post" --out "$OUT/bench-g" > "$OUT/bench-g.log" 2>&1
echo "== nginx+ModSecurity3+CRS PL1 (g), same requests:"; head -3 "$OUT/g-sample.summary.txt"
echo "== jirachi shield (block mode), same requests:"; head -3 "$OUT/jirachi.replay.txt"
echo "== CPU (bench.sh, front+upstream µs/req; a is the upstream alone):"; grep -E '^\| (a|g) ' "$OUT/bench-g/summary.md" || true
