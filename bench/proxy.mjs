#!/usr/bin/env node
// Side-by-side proxy benchmark: direct upstream vs nginx reverse proxy vs the Jirachi shield
// (inspection on, block mode, decision log to a file), same wrk requests, fronts interleaved.
// Usage (root, nginx + wrk installed): node bench/proxy.mjs [--pin|--nopin] [--rounds N] [--duration S]
//        [--workers N] [--upstream-cpus LIST] [--fronts "direct nginx node-tcp node-raw node-raw-spin node-rawsrv node-undici shield-off shield-sig shield-node shield shield-base"] [--spin-us N] [--base DIR] [--workloads "get post c1"] [--out FILE.jsonl]
// Reports req/s, p50/p99, and server CPU µs per request (front + upstream processes, from /proc).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync, readdirSync, rmSync, appendFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// Other jobs share this box: run in our own session and give that session's autogroup nice -20
// (as ../shared/bench/proxy/bench.sh does), so the measured processes get the CPUs they are pinned to.
if (!process.env.JIRACHI_BENCH_SESSION) {
  const r = spawnSync('setsid', ['-w', process.execPath, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, JIRACHI_BENCH_SESSION: '1' } });
  process.exit(r.status ?? 1);
}
try { writeFileSync('/proc/self/autogroup', '-20'); } catch { console.error('note: could not set autogroup nice (not root?); numbers are fair-share'); }
const args = process.argv.slice(2);
const opt = (k, d) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : d; };
const PIN = !args.includes('--nopin');
const ROUNDS = Number(opt('--rounds', 2));
const DURATION = Number(opt('--duration', 10));
const WARMUP = Number(opt('--warmup', 3));
const WORKERS = opt('--workers', PIN ? '1' : '2');
const FRONTS = opt('--fronts', 'direct nginx shield shield-off').split(/\s+/);
const WORKLOADS = opt('--workloads', 'get post c1').split(/\s+/);
const OUT = opt('--out', null);
const SPIN_US = Number(opt('--spin-us', 50));
const LUA = opt('--lua', '/work/shared/bench/proxy/wrk-req.lua');
// A built checkout of an earlier commit (git worktree + npx tsc): front `shield-base` runs its shield, for before/after in one run.
const BASE = opt('--base', null);
const PORTS = { upstream: 18180, nginx: 18181, shield: 18182, admin: 18183, 'shield-off': 18184, adminOff: 18185, 'node-undici': 18186, 'node-raw': 18187, 'node-tcp': 18188, 'node-rawsrv': 18189, 'node-raw-spin': 18190, 'shield-base': 18191, adminBase: 18192, 'shield-sig': 18193, adminSig: 18194, 'shield-node': 18195, adminNode: 18196 };
const SERVER_CPUS = PIN ? '1' : '0,1';
// --upstream-cpus LIST: where the upstream nginx runs (default: with the fronts). `--pin --upstream-cpus 0,1`
// keeps each front alone on CPU 1 and lets the upstream float, as a sidecar beside its service on another core.
const UPSTREAM_CPUS = opt('--upstream-cpus', SERVER_CPUS);
const WRK_CPUS = PIN ? '0' : '0,1';
const dir = mkdtempSync(join(tmpdir(), 'jirachi-bench-'));
const procs = [];

function nginxConf(name, workers, body) {
  const f = join(dir, `${name}.conf`);
  writeFileSync(f, `worker_processes ${workers};\npid ${dir}/${name}.pid;\nerror_log ${dir}/${name}.err warn;\ndaemon off;\nevents { worker_connections 4096; }\nhttp {\n access_log off;\n keepalive_requests 100000;\n ${body}\n}\n`);
  return f;
}

function start(name, cmd, argv, cpus = SERVER_CPUS) {
  const p = spawn('taskset', ['-c', cpus, cmd, ...argv], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let err = ''; p.stderr.on('data', (d) => { err += d; });
  procs.push(p);
  p.name = name; p.errText = () => err;
  return p;
}

async function waitHttp(port, path = '/') {
  for (let i = 0; i < 100; i++) {
    try { const r = await fetch(`http://127.0.0.1:${port}${path}`); await r.arrayBuffer(); return r.status; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  throw new Error(`nothing on port ${port}`);
}

function groupPids(pgid) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try { const s = readFileSync(`/proc/${d}/stat`, 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); if (Number(f[2]) === pgid) out.push(Number(d)); } catch {}
  }
  return out;
}

function cpuTicks(pgids) {
  let t = 0;
  for (const g of pgids) for (const pid of groupPids(g)) {
    try { const s = readFileSync(`/proc/${pid}/stat`, 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); t += Number(f[11]) + Number(f[12]); } catch {}
  }
  return t; // clock ticks (USER_HZ = 100)
}

function wrk(port, workload, seconds) {
  const c1 = workload === 'c1';
  const a = ['-c', WRK_CPUS, 'wrk', c1 ? '-t1' : '-t2', c1 ? '-c1' : '-c64', `-d${seconds}s`, '--timeout', '5s', '-s', LUA, `http://127.0.0.1:${port}`];
  const r = spawnSync('taskset', a, { env: { ...process.env, WRK_MODE: workload === 'post' ? 'post' : 'get' }, encoding: 'utf8', timeout: (seconds + 30) * 1000 });
  const line = (r.stdout || '').split('\n').find((l) => l.startsWith('JSON:'));
  if (!line) throw new Error(`wrk failed: ${r.stdout} ${r.stderr}`);
  return JSON.parse(line.slice(5));
}

const fronts = {
  direct: { port: PORTS.upstream, pgids: () => [] },
  nginx: { port: PORTS.nginx },
  shield: { port: PORTS.shield },
  // The same shield with every route in mode off: the proxy's own cost, without inspection.
  'shield-off': { port: PORTS['shield-off'] },
  // The same shield with the model disabled (signatures only): the model's share of the inspection cost.
  'shield-sig': { port: PORTS['shield-sig'] },
  // The same shield with its own HTTP/1.1 server off (`fastPath: false`): node:http serves every request.
  'shield-node': { port: PORTS['shield-node'] },
  // The same shield config run by the build in --base (an earlier commit): before/after in one run.
  'shield-base': { port: PORTS['shield-base'] },
  // The shared harness's minimal node:http + undici proxy (no checks, no log): what Node alone costs.
  'node-undici': { port: PORTS['node-undici'] },
  // bench/ref: the least a Node HTTP proxy can do (node:http + raw pooled sockets, no checks), and a bare TCP pipe.
  'node-raw': { port: PORTS['node-raw'] },
  'node-tcp': { port: PORTS['node-tcp'] },
  // node-raw without node:http (requests parsed by hand): what node:http's server side costs.
  'node-rawsrv': { port: PORTS['node-rawsrv'] },
  // node-raw plus a busy wait of --spin-us (default 50) per request: how added CPU per request becomes added latency here.
  'node-raw-spin': { port: PORTS['node-raw-spin'] },
};

async function main() {
  const upBody = `server { listen 127.0.0.1:${PORTS.upstream} reuseport; location / { default_type application/json; return 200 '{"ok":true,"items":[1,2,3],"message":"fixed upstream answer for benchmarks"}'; } }`;
  const up = start('upstream', 'nginx', ['-c', nginxConf('upstream', 1, upBody)], UPSTREAM_CPUS);
  await waitHttp(PORTS.upstream);
  const nginxWorkers = PIN ? 1 : Number(WORKERS);
  const pxBody = `upstream app { server 127.0.0.1:${PORTS.upstream}; keepalive 128; }\n server { listen 127.0.0.1:${PORTS.nginx}; location / { proxy_pass http://app; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; } }`;
  const nx = FRONTS.includes('nginx') ? start('nginx', 'nginx', ['-c', nginxConf('proxy', nginxWorkers, pxBody)]) : null;
  const cfg = join(dir, 'shield.yaml');
  writeFileSync(cfg, `listen: 127.0.0.1:${PORTS.shield}\nupstream: http://127.0.0.1:${PORTS.upstream}\nmode: block\nworkers: ${WORKERS}\nstateDir: ${dir}/state\nadmin:\n  listen: 127.0.0.1:${PORTS.admin}\n  token: bench-token-0123456789abcdef\nlog:\n  decisions: ${dir}/decisions.jsonl\nbans:\n  auto:\n    enabled: false\n`);
  const sh = FRONTS.includes('shield') ? start('shield', process.execPath, [join(root, 'bin/jirachi.js'), 'shield', '--config', cfg]) : null;
  if (FRONTS.includes('shield-base') && !BASE) throw new Error('front shield-base needs --base DIR (a built checkout of an earlier commit)');
  // Variants of the shield config, each on its own ports, state and decision log.
  const variant = (name, adminPort, edit, rootDir = root) => {
    if (!FRONTS.includes(name)) return null;
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, edit(readFileSync(cfg, 'utf8').replace(`listen: 127.0.0.1:${PORTS.shield}`, `listen: 127.0.0.1:${PORTS[name]}`).replace(`127.0.0.1:${PORTS.admin}`, `127.0.0.1:${adminPort}`).replace(`${dir}/state`, `${dir}/state-${name}`).replace(`${dir}/decisions.jsonl`, `${dir}/decisions-${name}.jsonl`)));
    return start(name, process.execPath, [join(rootDir, 'bin/jirachi.js'), 'shield', '--config', file]);
  };
  const shOff = variant('shield-off', PORTS.adminOff, (c) => c.replace('mode: block', 'mode: off'));
  const shSig = variant('shield-sig', PORTS.adminSig, (c) => c + 'detection:\n  disableModel: true\n');
  const shNode = variant('shield-node', PORTS.adminNode, (c) => c + 'fastPath: false\n');
  const shBase = variant('shield-base', PORTS.adminBase, (c) => c, BASE);
  for (const [name, p] of [['shield-off', shOff], ['shield-sig', shSig], ['shield-node', shNode], ['shield-base', shBase]]) if (p) await waitHttp(PORTS[name]);
  const ref = FRONTS.includes('node-undici') ? start('node-undici', process.execPath, ['/work/shared/bench/proxy/node-proxy-undici.mjs', '--port', String(PORTS['node-undici']), '--upstream', `http://127.0.0.1:${PORTS.upstream}`, '--buffer', '--undici', join(root, 'node_modules/undici')]) : null;
  if (ref) await waitHttp(PORTS['node-undici']);
  if (nx) await waitHttp(PORTS.nginx);
  if (sh) {
    await waitHttp(PORTS.shield);
    // Sanity: the shield inspects (an attack is blocked) and the bench requests pass.
    const atk = await fetch(`http://127.0.0.1:${PORTS.shield}/?q=1'%20OR%20'1'='1'%20--`);
    if (atk.status !== 403) throw new Error(`shield did not block the sanity attack (${atk.status})`);
  }
  for (const [name, file, extra] of [['node-raw', 'node-raw-proxy.mjs', []], ['node-raw-spin', 'node-raw-proxy.mjs', [String(SPIN_US)]], ['node-tcp', 'node-tcp-pipe.mjs', []], ['node-rawsrv', 'node-raw-server-proxy.mjs', []]]) {
    if (!FRONTS.includes(name)) continue;
    const p = start(name, process.execPath, [join(root, 'bench/ref', file), String(PORTS[name]), String(PORTS.upstream), ...extra]);
    await waitHttp(PORTS[name]);
    fronts[name].pgids = () => [up.pid, p.pid];
  }
  fronts.direct.pgids = () => [up.pid];
  fronts.nginx.pgids = () => [up.pid, nx?.pid];
  fronts.shield.pgids = () => [up.pid, sh?.pid];
  fronts['shield-off'].pgids = () => [up.pid, shOff?.pid];
  fronts['shield-base'].pgids = () => [up.pid, shBase?.pid];
  fronts['shield-sig'].pgids = () => [up.pid, shSig?.pid];
  fronts['shield-node'].pgids = () => [up.pid, shNode?.pid];
  fronts['node-undici'].pgids = () => [up.pid, ref?.pid];
  const rows = [];
  for (let r = 1; r <= ROUNDS; r++) for (const w of WORKLOADS) for (const f of FRONTS) {
    const fr = fronts[f];
    wrk(fr.port, w, WARMUP);
    // Other jobs on this shared box move the numbers (at -c1 most): each row records the 1-minute load.
    const load1 = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
    const c0 = cpuTicks(fr.pgids());
    const res = wrk(fr.port, w, DURATION);
    const c1 = cpuTicks(fr.pgids());
    const cpuUs = ((c1 - c0) * 10_000) / Math.max(1, res.requests);
    const row = { front: f, workload: w, round: r, pin: PIN, workers: f.startsWith('shield') ? WORKERS : f === 'nginx' ? nginxWorkers : 1, rps: Math.round(res.rps), p50_ms: res.lat_p50_us / 1000, p99_ms: res.lat_p99_us / 1000, cpu_us_per_req: Math.round(cpuUs * 10) / 10, errors: res.err_connect + res.err_read + res.err_write + res.err_status + res.err_timeout, requests: res.requests, load1 };
    rows.push(row);
    console.error(JSON.stringify(row));
    if (OUT) appendFileSync(OUT, JSON.stringify(row) + '\n');
  }
  summarize(rows);
}

function median(xs) { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; }

function summarize(rows) {
  console.log(`\n${PIN ? 'pinned: wrk on CPU 0, front on CPU 1' : 'unpinned: wrk and servers share both CPUs'}, upstream on CPU ${UPSTREAM_CPUS}; shield workers ${WORKERS}; medians of ${ROUNDS} round(s), ${DURATION}s each`);
  for (const w of WORKLOADS) {
    console.log(`\n${w === 'get' ? 'GET with query + browser headers, wrk -t2 -c64' : w === 'post' ? 'POST 1 KB form, wrk -t2 -c64' : 'GET, one connection, wrk -t1 -c1'}\n`);
    console.log('| front | req/s | ×nginx | p50 ms | p99 ms | server CPU µs/req | errors |\n|---|---|---|---|---|---|---|');
    const med = (f, k) => median(rows.filter((r) => r.front === f && r.workload === w).map((r) => r[k]));
    const nginxRps = FRONTS.includes('nginx') ? med('nginx', 'rps') : NaN;
    for (const f of FRONTS) {
      console.log(`| ${f} | ${Math.round(med(f, 'rps'))} | ${(med(f, 'rps') / nginxRps).toFixed(2)} | ${med(f, 'p50_ms').toFixed(3)} | ${med(f, 'p99_ms').toFixed(2)} | ${med(f, 'cpu_us_per_req').toFixed(1)} | ${rows.filter((r) => r.front === f && r.workload === w).reduce((a, r) => a + r.errors, 0)} |`);
    }
    if (w === 'c1' && FRONTS.includes('direct')) {
      // Added p50 per round (each front minus direct in the same round), then the median and range over rounds.
      const added = (f) => {
        const per = [];
        for (let r = 1; r <= ROUNDS; r++) {
          const a = rows.find((x) => x.front === f && x.workload === w && x.round === r), d = rows.find((x) => x.front === 'direct' && x.workload === w && x.round === r);
          if (a && d) per.push(a.p50_ms - d.p50_ms);
        }
        return per.length ? `${median(per).toFixed(3)} ms (rounds ${Math.min(...per).toFixed(3)}…${Math.max(...per).toFixed(3)})` : 'n/a';
      };
      console.log(`\nadded p50 at c1 over direct: ${FRONTS.filter((f) => f !== 'direct').map((f) => `${f} ${added(f)}`).join(', ')}`);
    }
    const loads = rows.filter((r) => r.workload === w).map((r) => r.load1);
    console.log(`load average (1 min) during these rows: ${Math.min(...loads).toFixed(2)}…${Math.max(...loads).toFixed(2)}`);
  }
}

function cleanup() {
  for (const p of procs) { try { process.kill(-p.pid, 'SIGTERM'); } catch {} }
  setTimeout(() => { for (const p of procs) { try { process.kill(-p.pid, 'SIGKILL'); } catch {} } rmSync(dir, { recursive: true, force: true }); }, 1500).unref();
}
process.on('SIGINT', () => { cleanup(); process.exit(130); });
main().then(() => cleanup(), (e) => { console.error(`bench failed: ${e.message}`); for (const p of procs) if (p.errText()) console.error(`${p.name}: ${p.errText().slice(0, 500)}`); cleanup(); process.exitCode = 1; });
