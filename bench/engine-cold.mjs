// The proxy bench's GET inspected in a hot loop and with the CPU caches evicted before each inspection
// (a sweep over SWEEP_MB of memory), as a shield at -c1 sees it. Full engine, or signatures only with `sig`.
// Usage (after `npx tsc`): taskset -c 1 node bench/engine-cold.mjs [SWEEP_MB=8] [sig]
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sweepMb = Number(process.argv[2] ?? 8);
const noModel = process.argv[3] === 'sig';
const { createEngine } = await import(join(root, 'dist/src/detect/index.js'));
const { makeRequestView } = await import(join(root, 'dist/src/core/request.js'));
// The header set and query of ../shared/bench/proxy/wrk-req.lua (WRK_MODE=get).
const H = [['host', 'shop.example.com'], ['user-agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'], ['accept', 'application/json, text/plain, */*'], ['accept-language', 'en-US,en;q=0.9,de;q=0.8'], ['accept-encoding', 'gzip, deflate, br'], ['referer', 'https://shop.example.com/catalog/books?page=1'], ['cookie', 'session_id=3f9a1c2b7d8e4f60a1b2c3d4e5f60718; csrftoken=Zx8Yw7Vu6Ts5Rq4Po3Nm2Lk1Jh0Gf9Ed; theme=dark; locale=en_US'], ['authorization', 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTQyIiwicm9sZSI6ImN1c3RvbWVyIn0.c2lnbmF0dXJlLXBsYWNlaG9sZGVy'], ['x-request-id', '7b1e6f0a-2c4d-4e8f-9a1b-3c5d7e9f1a2b'], ['sec-fetch-mode', 'cors'], ['connection', 'keep-alive']];
const view = () => makeRequestView({ method: 'GET', path: '/api/v1/products', query: 'category=books&sort=price_asc&page=2&per_page=20&q=distributed+systems+design&min_price=10&max_price=80&in_stock=true', headers: H, body: '' });
const engine = createEngine(noModel ? { disableModel: true } : {});
const buf = new Uint8Array(sweepMb * 1024 * 1024);
const sweep = () => { for (let i = 0; i < buf.length; i += 64) buf[i] = (buf[i] + 1) & 255; };
for (let i = 0; i < 5000; i++) engine.inspect(view(), { maxFindings: 16 });
const run = (cold, n) => {
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (cold) sweep();
    const v = view();
    const a = process.hrtime.bigint();
    engine.inspect(v, { maxFindings: 16 });
    t[i] = Number(process.hrtime.bigint() - a) / 1000;
  }
  t.sort();
  return `p50 ${t[n >> 1].toFixed(1)} µs, p90 ${t[Math.floor(n * 0.9)].toFixed(1)} µs`;
};
for (let r = 0; r < 3; r++) console.log(`${noModel ? 'signatures only' : 'full engine'}: hot ${run(false, 3000)} | caches evicted (${sweepMb} MB) ${run(true, 1500)}`);
