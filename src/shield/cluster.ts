// Cluster mode: a primary process owns bans, persistence, the kernel mirror, auto-ban counting,
// the admin API and metrics; N worker processes serve the proxy port and hold a ban replica.

import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { loadConfig, formatIssue, type ConfigOverrides, type ShieldConfig } from '../config/index.js';
import { err, ok, type Result } from '../core/index.js';
import { AutoBan, type Ban } from '../decisions/index.js';
import { Metrics, type MetricsSnapshot } from '../telemetry/index.js';
import { createAdminServer } from './admin.js';
import { adminToken, listen } from './listen.js';
import { applyAutoBan, openBanStore } from './auto-ban.js';
import { RateAuthority } from './rate-limit.js';
import { Shield, type ShieldOptions } from './shield.js';

/** Messages between primary and workers. */
type ToWorker = { t: 'bans'; bans: Ban[] } | { t: 'reload' } | { t: 'shutdown' } | { t: 'metrics'; id: number } | { t: 'rate'; shares: Array<[string, number, number]> };
type ToPrimary = { t: 'want-bans' } | { t: 'ready' } | { t: 'blocked'; ip: string } | { t: 'metrics'; id: number; snap: MetricsSnapshot } | { t: 'reloaded'; errors: string[] } | { t: 'rate'; used: Array<[string, number]> };

/** How often a worker reports the rate-limit tokens it took to the primary. */
const RATE_SYNC_MS = 50;

/** Sends to a worker unless it is gone; a failed send (it died meanwhile) is not an error here. */
function tell(w: Worker, m: ToWorker): void {
  if (w.isConnected()) w.send(m, () => {});
}

/** Number of workers a config asks for. */
export function workerCount(cfg: Pick<ShieldConfig, 'workers'>): number {
  return cfg.workers === 'auto' ? availableParallelism() : cfg.workers;
}

/** A running cluster primary. */
export interface ClusterPrimary {
  readonly proxyAddress: string;
  readonly adminAddress: string;
  reload(): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * Starts the primary: validates the config, opens the ban store and admin port, forks the workers
 * (each re-runs this CLI as a cluster worker) and waits until all serve. Config errors come back as lines.
 */
export async function startPrimary(o: { configFile?: string | undefined; overrides: ConfigOverrides; kernelFactory?: ShieldOptions['kernelFactory']; say: (l: string) => void }): Promise<Result<ClusterPrimary, string[]>> {
  const c = loadConfig(o.configFile, o.overrides);
  if (!c.ok) return err(c.error.map(formatIssue));
  let cfg = c.value;
  const opened = await openBanStore(cfg, o.kernelFactory, o.say);
  if (!opened.ok) return err([opened.error]);
  const bans = opened.value;
  let autoBan = new AutoBan({ threshold: cfg.bans.auto.threshold, windowMs: cfg.bans.auto.windowSeconds * 1000 });
  const metrics = new Metrics();
  metrics.gauge('jirachi_active_bans', () => bans.list().length);
  const rates = new RateAuthority(cfg.rateLimit.ratePerSec, cfg.rateLimit.burst, cfg.rateLimit.maxTrackedIps);
  const workers = new Set<Worker>();
  const broadcast = (m: ToWorker): void => { for (const w of workers) tell(w, m); };
  const pushBans = (): void => broadcast({ t: 'bans', bans: bans.list() });
  let nextId = 1;
  const pending = new Map<number, { snaps: MetricsSnapshot[]; left: number; done: () => void }>();
  let reloadWait: { left: number; errors: string[]; done: () => void } | null = null;
  const scrape = (): Promise<string> => new Promise((resolve) => {
    const id = nextId++;
    const entry = { snaps: [] as MetricsSnapshot[], left: workers.size, done: () => { pending.delete(id); resolve(metrics.expose(entry.snaps)); } };
    pending.set(id, entry);
    if (entry.left === 0) return entry.done();
    broadcast({ t: 'metrics', id });
    setTimeout(() => { if (pending.has(id)) entry.done(); }, 1000).unref();
  });
  let stopping = false;
  let restarts: number[] = [];
  const fork = (): Promise<void> => new Promise((resolve, reject) => {
    const w = cluster.fork({ JIRACHI_CLUSTER_WORKER: '1' });
    // A send racing a worker's death fails with EPIPE on the Worker: its exit is handled below.
    w.on('error', () => {});
    workers.add(w);
    w.on('message', (m: ToPrimary) => {
      // The worker asks for the ban list before it starts serving.
      if (m.t === 'want-bans') tell(w, { t: 'bans', bans: bans.list() });
      else if (m.t === 'ready') resolve();
      else if (m.t === 'blocked') {
        if (cfg.bans.auto.enabled && applyAutoBan(m.ip, autoBan, bans, cfg.bans.auto, metrics, o.say)) pushBans();
      } else if (m.t === 'rate') {
        if (cfg.rateLimit.enabled && Array.isArray(m.used)) tell(w, { t: 'rate', shares: rates.report(w.id, m.used, Date.now()) });
      } else if (m.t === 'reloaded') {
        if (reloadWait) { reloadWait.errors.push(...m.errors.map((e) => `worker ${w.process.pid}: ${e}`)); if (--reloadWait.left === 0) reloadWait.done(); }
      } else if (m.t === 'metrics') {
        const p = pending.get(m.id);
        if (p) { p.snaps.push(m.snap); if (--p.left === 0) p.done(); }
      }
    });
    w.on('exit', (code) => {
      workers.delete(w);
      reject(new Error(`worker exited with code ${code} before serving`));
      if (!stopping) {
        // Back off when replacements keep dying (e.g. the config or model file became invalid).
        const now = Date.now();
        restarts = restarts.filter((t) => now - t < 60_000);
        restarts.push(now);
        const delay = Math.min(30_000, 250 * 2 ** Math.max(0, restarts.length - 1));
        o.say(`worker ${w.process.pid} exited (${code}); starting a replacement in ${delay} ms`);
        setTimeout(() => { if (!stopping) void fork().catch((e: Error) => o.say(e.message)); }, delay).unref();
      }
    });
  });
  try {
    await Promise.all(Array.from({ length: workerCount(cfg) }, fork));
  } catch (e) {
    stopping = true;
    for (const w of workers) w.kill();
    return err([(e as Error).message]);
  }
  const sweep = setInterval(() => { if (bans.sweep() > 0) pushBans(); }, 1000);
  sweep.unref();
  const reload = async (): Promise<string[]> => {
    const n = loadConfig(o.configFile, o.overrides);
    if (!n.ok) return n.error.map(formatIssue);
    if (JSON.stringify(n.value.bans.auto) !== JSON.stringify(cfg.bans.auto)) autoBan = new AutoBan({ threshold: n.value.bans.auto.threshold, windowMs: n.value.bans.auto.windowSeconds * 1000 });
    if (JSON.stringify(n.value.admin) !== JSON.stringify(cfg.admin)) o.say('admin settings (address, token) change only on restart: the old token stays valid until then');
    cfg = n.value;
    rates.reconfigure(cfg.rateLimit.ratePerSec, cfg.rateLimit.burst);
    bans.syncConfigBans(cfg.bans.static);
    pushBans();
    // Answer only when every worker has swapped its snapshot (or said why it could not).
    const errors = await new Promise<string[]>((resolve) => {
      const w = { left: workers.size, errors: [] as string[], done: () => { reloadWait = null; resolve(w.errors); } };
      reloadWait = w;
      if (w.left === 0) return w.done();
      broadcast({ t: 'reload' });
      setTimeout(() => { if (reloadWait === w) { w.errors.push(`${w.left} worker(s) did not confirm the reload within 10 s`); w.done(); } }, 10_000).unref();
    });
    o.say(errors.length ? `config reload incomplete: ${errors.join('; ')}` : `config reloaded in ${workers.size} workers (mode ${cfg.mode})`);
    return errors;
  };
  const admin = createAdminServer({
    bans, metrics, say: o.say, reload, bansChanged: pushBans, metricsText: scrape,
    status: () => ({ listen: cfg.listen, upstream: cfg.upstream, mode: cfg.mode, failMode: cfg.failMode, workers: workers.size, bans: bans.list().length }),
  }, adminToken(cfg, o.say));
  let adminAddr;
  try { adminAddr = await listen(admin, cfg.admin.listen); } catch (e) {
    stopping = true; for (const w of workers) w.kill();
    return err([`cannot listen: ${(e as Error).message}`]);
  }
  return ok({
    proxyAddress: cfg.listen, adminAddress: `${adminAddr.address}:${adminAddr.port}`, reload,
    stop: async () => {
      stopping = true;
      clearInterval(sweep);
      admin.close(); admin.closeAllConnections();
      const exits = [...workers].map((w) => new Promise<void>((r) => { if (w.isDead()) r(); else w.once('exit', () => r()); }));
      broadcast({ t: 'shutdown' });
      await Promise.all(exits);
      bans.flush();
    },
  });
}

/**
 * Runs this process as a cluster worker: starts a shield without admin port, ban file or kernel
 * mirror, follows the primary's ban list, reload and shutdown messages. Resolves with the exit code.
 */
export async function runWorker(opts: Omit<ShieldOptions, 'worker'>): Promise<number> {
  const send = (m: ToPrimary): void => { if (process.connected) process.send!(m); };
  // Serve only once the primary's ban list is here, so no banned client slips through at start.
  const initial = await new Promise<Ban[]>((resolve) => {
    const onMsg = (m: ToWorker): void => { if (m.t === 'bans') { process.off('message', onMsg); resolve(m.bans); } };
    process.on('message', onMsg);
    send({ t: 'want-bans' });
  });
  const started = await Shield.start({ ...opts, worker: { reportBlocked: (ip) => send({ t: 'blocked', ip }) } });
  if (!started.ok) { for (const l of started.error) process.stderr.write(`${l}\n`); return 1; }
  const s = started.value;
  s.replaceBans(initial);
  // Rate limits hold cluster-wide: report the tokens taken here, adopt the primary's balances.
  const limiter = s.context.rateLimiter;
  limiter.trackUsage();
  const rateSync = setInterval(() => { const used = limiter.drainUsage(); if (used.length) send({ t: 'rate', used }); }, RATE_SYNC_MS);
  rateSync.unref();
  return new Promise((resolve) => {
    process.on('message', (m: ToWorker) => {
      if (m.t === 'bans') s.replaceBans(m.bans);
      else if (m.t === 'rate') { const now = Date.now(); for (const [ip, tokens, share] of m.shares) limiter.applyShared(ip, tokens, now, share); }
      else if (m.t === 'reload') { const e = s.reload(); send({ t: 'reloaded', errors: e }); }
      else if (m.t === 'metrics') send({ t: 'metrics', id: m.id, snap: s.context.metrics.snapshot() });
      else if (m.t === 'shutdown') {
        clearInterval(rateSync);
        void s.stop().then(() => { process.disconnect(); resolve(0); });
      }
    });
    // The primary going away (crash, SIGKILL) must not leave an orphan serving on its own.
    process.on('disconnect', () => void s.stop(2000).then(() => resolve(0)));
    // The primary handles signals for the whole cluster; a worker ignores its own copies.
    process.on('SIGTERM', () => {});
    process.on('SIGINT', () => {});
    process.on('SIGHUP', () => {});
    send({ t: 'ready' });
  });
}
