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
import { applyBanMessage, BanFeed, Outbox, type BanMessage } from './cluster-bans.js';
import { RateAuthority } from './rate-limit.js';
import { Shield, type ShieldOptions } from './shield.js';

/** Messages between primary and workers. Rate reports are numbered (`seq`); the answer names the report it answers. */
type ToWorker = BanMessage | { t: 'reload'; id: number } | { t: 'shutdown' } | { t: 'metrics'; id: number } | { t: 'rate'; seq: number; at: number; shares: Array<[string, number, number]> };
type ToPrimary = { t: 'want-bans' } | { t: 'ready' } | { t: 'blocked'; ip: string } | { t: 'metrics'; id: number; snap: MetricsSnapshot } | { t: 'reloaded'; id: number; errors: string[] } | { t: 'rate'; seq: number; used: Array<[string, number, number]> };

/** How often a worker reports the rate-limit tokens it took to the primary. */
const RATE_SYNC_MS = 50;
/** Ban changes reach the workers at most this often (coalesced). */
const BAN_PUSH_MS = 50;
/**
 * Messages the primary lets wait per worker before it skips what can be skipped (rate answers, ban
 * deltas; a fresh ban list follows once the worker has caught up).
 */
const MAX_QUEUED = 32;

/** A worker's outbox; a send to a worker that died meanwhile is not an error here (its exit is handled). */
function outboxFor(w: Worker): Outbox<ToWorker> {
  return new Outbox<ToWorker>((m, done) => {
    if (!w.isConnected()) return false;
    try { w.send(m, () => done()); } catch { return false; }
    return true;
  }, MAX_QUEUED);
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
  const workers = new Map<Worker, Outbox<ToWorker>>();
  const broadcast = (m: ToWorker): void => { for (const out of workers.values()) out.send(m); };
  const feed = new BanFeed(bans, BAN_PUSH_MS);
  let nextId = 1;
  const pending = new Map<number, { snaps: MetricsSnapshot[]; left: number; done: () => void }>();
  const reloadWaits = new Map<number, { left: number; errors: string[]; done: () => void }>();
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
    const out = outboxFor(w);
    workers.set(w, out);
    w.on('message', (m: ToPrimary) => {
      // The worker asks for the ban list before it starts serving; it gets the changes from then on.
      if (m.t === 'want-bans') feed.follow(w.id, out);
      else if (m.t === 'ready') resolve();
      else if (m.t === 'blocked') {
        if (cfg.bans.auto.enabled && applyAutoBan(m.ip, autoBan, bans, cfg.bans.auto, metrics, o.say)) feed.touched(m.ip);
      } else if (m.t === 'rate') {
        // Under backlog the answer is dropped: the worker keeps its share and its unanswered usage.
        if (cfg.rateLimit.enabled && Array.isArray(m.used)) { const now = Date.now(); out.offer({ t: 'rate', seq: m.seq, at: now, shares: rates.report(w.id, m.used, now) }); }
      } else if (m.t === 'reloaded') {
        const r = reloadWaits.get(m.id);
        if (r) { r.errors.push(...m.errors.map((e) => `worker ${w.process.pid}: ${e}`)); if (--r.left === 0) r.done(); }
      } else if (m.t === 'metrics') {
        const p = pending.get(m.id);
        if (p) { p.snaps.push(m.snap); if (--p.left === 0) p.done(); }
      }
    });
    w.on('exit', (code) => {
      workers.delete(w);
      feed.unfollow(w.id);
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
    for (const w of workers.keys()) w.kill();
    return err([(e as Error).message]);
  }
  // Workers drop lapsed bans themselves (each carries its expiry): nothing to send.
  const sweep = setInterval(() => { if (bans.sweep() > 0) feed.lapsed(); }, 1000);
  sweep.unref();
  const reloadOnce = async (): Promise<string[]> => {
    const n = loadConfig(o.configFile, o.overrides);
    if (!n.ok) return n.error.map(formatIssue);
    if (JSON.stringify(n.value.bans.auto) !== JSON.stringify(cfg.bans.auto)) autoBan = new AutoBan({ threshold: n.value.bans.auto.threshold, windowMs: n.value.bans.auto.windowSeconds * 1000 });
    if (JSON.stringify(n.value.admin) !== JSON.stringify(cfg.admin)) o.say('admin settings (address, token) change only on restart: the old token stays valid until then');
    cfg = n.value;
    rates.reconfigure(cfg.rateLimit.ratePerSec, cfg.rateLimit.burst, cfg.rateLimit.maxTrackedIps);
    bans.syncConfigBans(cfg.bans.static);
    feed.resync();
    // Answer only when every worker has swapped its snapshot (or said why it could not). Each reload
    // has its own id, so a late confirmation of an earlier (timed-out) reload is not counted here.
    const id = nextId++;
    const errors = await new Promise<string[]>((resolve) => {
      const w = { left: workers.size, errors: [] as string[], done: () => { reloadWaits.delete(id); resolve(w.errors); } };
      reloadWaits.set(id, w);
      if (w.left === 0) return w.done();
      broadcast({ t: 'reload', id });
      setTimeout(() => { if (reloadWaits.get(id) === w) { w.errors.push(`${w.left} worker(s) did not confirm the reload within 10 s`); w.done(); } }, 10_000).unref();
    });
    o.say(errors.length ? `config reload incomplete: ${errors.join('; ')}` : `config reloaded in ${workers.size} workers (mode ${cfg.mode})`);
    return errors;
  };
  // Reloads run one after another: a second request (SIGHUP, admin API) waits for the first and then
  // reloads again, so both answer and the last config read wins.
  let reloading: Promise<unknown> = Promise.resolve();
  const reload = (): Promise<string[]> => {
    const r = reloading.then(reloadOnce, reloadOnce);
    reloading = r;
    return r;
  };
  const admin = createAdminServer({
    bans, metrics, say: o.say, reload, bansChanged: () => feed.changed(), metricsText: scrape,
    status: () => ({ listen: cfg.listen, upstream: cfg.upstream, mode: cfg.mode, failMode: cfg.failMode, workers: workers.size, bans: bans.list().length }),
  }, adminToken(cfg, o.say));
  let adminAddr;
  try { adminAddr = await listen(admin, cfg.admin.listen); } catch (e) {
    stopping = true; for (const w of workers.keys()) w.kill();
    return err([`cannot listen: ${(e as Error).message}`]);
  }
  return ok({
    proxyAddress: cfg.listen, adminAddress: `${adminAddr.address}:${adminAddr.port}`, reload,
    stop: async () => {
      stopping = true;
      clearInterval(sweep);
      admin.close(); admin.closeAllConnections();
      const exits = [...workers.keys()].map((w) => new Promise<void>((r) => { if (w.isDead()) r(); else w.once('exit', () => r()); }));
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
  // One listener from the start: messages that arrive while the shield starts (ban changes, and a
  // reload, metrics or shutdown request even before the first list) are kept and handled in order
  // after the first list, so none is lost (each is sent once) and the primary gets every answer.
  let handle: ((m: ToWorker) => void) | null = null;
  const early: ToWorker[] = [];
  let initial: Ban[] | null = null;
  let gotInitial = (): void => {};
  process.on('message', (m: ToWorker) => {
    if (handle) handle(m);
    else if (initial === null && m.t === 'bans') { initial = m.bans; gotInitial(); }
    else early.push(m);
  });
  // Serve only once the primary's ban list is here, so no banned client slips through at start.
  await new Promise<void>((resolve) => { gotInitial = resolve; send({ t: 'want-bans' }); });
  const started = await Shield.start({ ...opts, worker: { reportBlocked: (ip) => send({ t: 'blocked', ip }) } });
  if (!started.ok) { for (const l of started.error) process.stderr.write(`${l}\n`); return 1; }
  const s = started.value;
  s.replaceBans(initial ?? []);
  // Rate limits hold cluster-wide: report the tokens taken here (numbered), adopt the primary's balances.
  const limiter = s.context.rateLimiter;
  limiter.trackUsage();
  const rateSync = setInterval(() => { const r = limiter.drainReport(); if (r) send({ t: 'rate', seq: r.seq, used: r.used }); }, RATE_SYNC_MS);
  rateSync.unref();
  return new Promise((resolve) => {
    handle = (m: ToWorker): void => {
      if (m.t === 'bans' || m.t === 'ban-delta') applyBanMessage(s.context.bans, m, Date.now());
      else if (m.t === 'rate') { if (Array.isArray(m.shares)) limiter.applyReply(m.seq, m.shares, m.at, Date.now()); }
      else if (m.t === 'reload') {
        const e = s.reload();
        // The shield's own reload keeps the tracked-clients bound; a worker applies the new one here.
        const rl = s.context.snapshot.config.rateLimit;
        limiter.reconfigure(rl.ratePerSec, rl.burst, rl.maxTrackedIps);
        send({ t: 'reloaded', id: m.id, errors: e });
      } else if (m.t === 'metrics') send({ t: 'metrics', id: m.id, snap: s.context.metrics.snapshot() });
      else if (m.t === 'shutdown') {
        clearInterval(rateSync);
        void s.stop().then(() => { process.disconnect(); resolve(0); });
      }
    };
    for (const m of early.splice(0)) handle(m);
    // The primary going away (crash, SIGKILL) must not leave an orphan serving on its own.
    process.on('disconnect', () => void s.stop(2000).then(() => resolve(0)));
    // The primary handles signals for the whole cluster; a worker ignores its own copies.
    process.on('SIGTERM', () => {});
    process.on('SIGINT', () => {});
    process.on('SIGHUP', () => {});
    send({ t: 'ready' });
  });
}
