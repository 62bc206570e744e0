// Decision-log cost per event: builds and serializes 100 000 verdict events (50 per 1 ms tick), with
// the log writing to a file (`file`) or not at all (`none`); prints process CPU µs per event.
// Usage: node bench/log-bench.mjs file|none [OUT.jsonl]   (after npx tsc; e.g. under taskset -c 1)
import { DecisionLog } from '../dist/src/telemetry/index.js';
import { requestSample } from '../dist/src/shield/index.js';
import { randomUUID } from 'node:crypto';
const headers = { host: 'shop.example.com', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36', referer: 'https://shop.example.com/catalog/books?page=1', cookie: 'x', authorization: 'y', accept: 'application/json' };
const q = 'category=books&sort=price_asc&page=2&per_page=20&q=distributed+systems+design&min_price=10&max_price=80&in_stock=true';
const mode = process.argv[2];
const log = mode === 'none' ? null : new DecisionLog(process.argv[3] ?? '/tmp/jirachi-log-bench.jsonl');
const N = 100000; let i = 0;
const c0 = process.cpuUsage(); const t0 = Date.now();
function tick() {
  for (let k = 0; k < 50 && i < N; k++, i++) {
    const ev = { time: new Date().toISOString(), requestId: randomUUID(), clientIp: '127.0.0.1', method: 'GET', host: 'shop.example.com', route: 'default', verdict: 'ALLOW', mode: 'off', wouldBlock: false, score: 0, reason: 'mode-off', findings: [], status: 200, upstreamStatus: 200, durations: { inspectUs: 0, upstreamMs: 0.3, totalMs: 0.5 }, request: requestSample('/api/v1/products', q, headers, '') };
    if (log) log.write(ev); else JSON.stringify(ev);
  }
  if (i < N) setTimeout(tick, 1); else log ? log.close().then(done) : done();
}
function done() { const c = process.cpuUsage(c0); console.log(mode, 'cpu us/event', ((c.user + c.system) / N).toFixed(2), 'user', (c.user / N).toFixed(2), 'sys', (c.system / N).toFixed(2), 'wall', Date.now() - t0); }
tick();
