// The Shield's lifecycle: start the proxy and admin servers, hot reload, graceful shutdown.

import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { loadConfig, formatIssue, type ConfigOverrides, type ShieldConfig } from '../config/index.js';
import { err, ok, type Detector, type Result } from '../core/index.js';
import { BanStore, type Ban, type BlocklistBackend } from '../decisions/index.js';
import { DecisionLog, isoNow, Metrics, onProtocolError, publishProtocolError } from '../telemetry/index.js';
import { createAdminServer } from './admin.js';
import { adminToken, listen } from './listen.js';
import { openBanStore } from './auto-ban.js';
import { buildSnapshot, makeLimiters, type ShieldContext } from './context.js';
import { Upstream } from './forward.js';
import { FastServer } from './h1-server.js';
import { nodeRequest } from './message.js';
import { handleRequest } from './pipeline.js';
import { handleUpgrade } from './websocket.js';

/** How to start a shield. */
export interface ShieldOptions {
  readonly configFile?: string | undefined;
  readonly overrides?: ConfigOverrides;
  /** Builds the detection engine for a config (called at start and on every reload). */
  readonly engineFactory: (cfg: ShieldConfig) => Result<Detector, string>;
  /** Opens the kernel blocklist when `kernel.enabled`; its failure is reported and the shield runs on. */
  readonly kernelFactory?: (cfg: ShieldConfig) => Promise<Result<BlocklistBackend, string>>;
  /** Operational messages (one line each, never secrets). Default: stderr. */
  readonly say?: (line: string) => void;
  /**
   * Cluster worker mode: no admin server, no ban file or kernel mirror (the primary owns them);
   * bans arrive through `Shield.replaceBans`, blocked requests go to `reportBlocked`.
   */
  readonly worker?: { readonly reportBlocked: (ip: string) => void };
}

/** A running shield. */
export class Shield {
  private constructor(
    private ctx: ShieldContext,
    private readonly server: http.Server,
    private readonly admin: http.Server | null,
    readonly proxyAddress: AddressInfo,
    /** Null in a cluster worker (the primary serves the admin API). */
    readonly adminAddress: AddressInfo | null,
    private readonly opts: ShieldOptions,
    private readonly timers: NodeJS.Timeout[],
    private readonly unsubscribe: () => void,
    /** The shield's own HTTP/1.1 server in front of `server`; null with `fastPath: false`. */
    private readonly fast: FastServer | null,
  ) {}

  /** Validates the config, opens ports and starts serving. Config errors come back as lines. */
  static async start(opts: ShieldOptions): Promise<Result<Shield, string[]>> {
    const say = opts.say ?? ((l: string) => process.stderr.write(`jirachi: ${l}\n`));
    const c = loadConfig(opts.configFile, opts.overrides ?? {});
    if (!c.ok) return err(c.error.map(formatIssue));
    const cfg = c.value;
    const engine = opts.engineFactory(cfg);
    if (!engine.ok) return err([`detection engine: ${engine.error}`]);
    // A cluster worker holds only a replica: no file, no kernel mirror (its primary owns them).
    const opened = opts.worker ? ok(new BanStore({ file: null, onError: say })) : await openBanStore(cfg, opts.kernelFactory, say);
    if (!opened.ok) return err([opened.error]);
    const bans = opened.value;
    const metrics = new Metrics();
    metrics.gauge('jirachi_active_bans', () => bans.list().length);
    const ctx: ShieldContext = {
      snapshot: buildSnapshot(cfg, engine.value), bans, ...makeLimiters(cfg),
      upstream: Upstream.fromConfig(cfg),
      metrics, log: cfg.log.decisions === 'off' ? null : new DecisionLog(cfg.log.decisions), inFlight: 0, say, tunnels: new Set(),
      ...(opts.worker ? { reportBlocked: opts.worker.reportBlocked } : {}),
    };
    metrics.gauge('jirachi_decision_log_lost_lines', () => ctx.log?.errors ?? 0);
    const unsubscribe = onProtocolError((e) => { metrics.inc('jirachi_protocol_errors_total', { code: e.code }); ctx.log?.write({ ...e, kind: 'protocol-error' }); });
    const server = http.createServer({
      requestTimeout: cfg.limits.requestTimeoutMs, headersTimeout: cfg.limits.headersTimeoutMs, keepAliveTimeout: cfg.limits.idleTimeoutMs,
      maxHeaderSize: cfg.limits.maxHeaderBytes, connectionsCheckingInterval: 500, insecureHTTPParser: false, requireHostHeader: true,
    }, (req, res) => { void handleRequest(ctx, nodeRequest(req), res); });
    // With this listener Node sends no automatic `100 Continue`: the pipeline sends it only once the
    // request has passed bans, rate limit and size checks and its body is wanted.
    server.on('checkContinue', (req, res) => { void handleRequest(ctx, nodeRequest(req), res, { expectContinue: true }); });
    // Plain whole requests are served by the shield's own server; it hands node:http the rest.
    const fast = cfg.fastPath ? FastServer.attach(server, () => ctx.snapshot.fast, (req, res) => { void handleRequest(ctx, req, res); }) : null;
    if (fast) metrics.collect(() => {
      metrics.set('jirachi_fast_path_total', { kind: 'served' }, fast.stats.served);
      metrics.set('jirachi_fast_path_total', { kind: 'handed_off' }, fast.stats.handedOff);
    });
    // Reading the peer address on accept makes Node keep it: a client that resets right after its
    // request would otherwise leave the request without an address (and the pipeline drops those).
    // (The fast server reads it on accept too.)
    if (!fast) server.on('connection', (s: Socket) => { void s.remoteAddress; });
    server.on('upgrade', (req, socket, head) => handleUpgrade(ctx, req, socket, head));
    server.on('connect', (req, socket) => {
      publishProtocolError({ time: isoNow(), clientIp: req.socket.remoteAddress ?? '', code: 'connect', status: 405, message: 'CONNECT is not proxied' });
      socket.on('error', () => socket.destroy());
      socket.end('HTTP/1.1 405 Method Not Allowed\r\nallow: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    });
    server.on('clientError', (e: NodeJS.ErrnoException, socket) => {
      const code = e.code ?? 'HPE_UNKNOWN';
      const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      publishProtocolError({ time: isoNow(), clientIp: (socket as Socket).remoteAddress ?? '', code, status, message: e.message.slice(0, 200) });
      const inProgress = (socket as { _httpMessage?: { headersSent?: boolean } })._httpMessage;
      // Bytes after a `Connection: close` request: that request's answer is still due, and the
      // connection closes after it; a 400 now would take its place.
      if (code === 'HPE_CLOSED_CONNECTION' && inProgress) return;
      // A parse error mid-body still gets its 400 unless the response has started.
      if (socket.writable && (!inProgress || !inProgress.headersSent)) {
        socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      } else socket.destroy();
    });
    const shieldRef = { current: undefined as Shield | undefined };
    const admin = opts.worker ? null : createAdminServer({
      bans, metrics, say,
      reload: () => shieldRef.current?.reload() ?? ['not started'],
      status: () => shieldRef.current?.status() ?? {},
      metricsText: () => metrics.expose(),
    }, adminToken(cfg, say));
    let proxyAddr: AddressInfo, adminAddr: AddressInfo | null = null;
    try {
      proxyAddr = await listen(server, cfg.listen);
      if (admin) adminAddr = await listen(admin, cfg.admin.listen);
    } catch (e) {
      server.close(); admin?.close();
      return err([`cannot listen: ${(e as Error).message}`]);
    }
    const sweep = setInterval(() => { bans.sweep(); }, 1000);
    sweep.unref();
    const s = new Shield(ctx, server, admin, proxyAddr, adminAddr, opts, [sweep], unsubscribe, fast);
    shieldRef.current = s;
    return ok(s);
  }

  /** Replaces the ban list (cluster workers: the primary's list after every change). */
  replaceBans(bans: readonly Ban[]): void { this.ctx.bans.replaceAll(bans); }

  /** The live context (for tests and the admin API). */
  get context(): ShieldContext { return this.ctx; }

  /**
   * Re-reads the config and swaps the snapshot atomically; in-flight requests finish on the old one
   * and no connection is dropped. On any error the old config stays active and the errors are returned.
   */
  reload(): string[] {
    const c = loadConfig(this.opts.configFile, this.opts.overrides ?? {});
    if (!c.ok) return c.error.map(formatIssue);
    const cfg = c.value;
    const old = this.ctx.snapshot.config;
    const engine = this.opts.engineFactory(cfg);
    if (!engine.ok) return [`detection engine: ${engine.error}`];
    const notes: string[] = [];
    if (cfg.listen !== old.listen) notes.push('the listen address changes only on restart');
    if (cfg.fastPath !== old.fastPath) notes.push('fastPath changes only on restart');
    if (JSON.stringify(cfg.admin) !== JSON.stringify(old.admin)) notes.push('admin settings (address, token) change only on restart: the old token stays valid until then');
    if (!this.opts.worker) this.ctx.bans.syncConfigBans(cfg.bans.static);
    this.ctx.snapshot = buildSnapshot(cfg, engine.value);
    this.ctx.rateLimiter.reconfigure(cfg.rateLimit.ratePerSec, cfg.rateLimit.burst, cfg.rateLimit.maxTrackedIps);
    if (JSON.stringify(cfg.bans.auto) !== JSON.stringify(old.bans.auto)) this.ctx.autoBan = makeLimiters(cfg).autoBan;
    if (cfg.upstream !== old.upstream || cfg.upstreamConnections !== old.upstreamConnections || JSON.stringify(cfg.upstreamTimeouts) !== JSON.stringify(old.upstreamTimeouts)) {
      const prev = this.ctx.upstream;
      this.ctx.upstream = Upstream.fromConfig(cfg);
      void prev.close();
    }
    this.server.headersTimeout = cfg.limits.headersTimeoutMs;
    this.server.requestTimeout = cfg.limits.requestTimeoutMs;
    this.server.keepAliveTimeout = cfg.limits.idleTimeoutMs;
    // node:http reads it per connection; the fast server reads the live config: both follow reloads.
    (this.server as { maxHeaderSize?: number }).maxHeaderSize = cfg.limits.maxHeaderBytes;
    this.ctx.say(`config reloaded (mode ${cfg.mode}, ${cfg.routes.length} routes)${notes.length ? '; ' + notes.join('; ') : ''}`);
    return [];
  }

  /** A summary of the running state (no secrets). */
  status(): Record<string, unknown> {
    const c = this.ctx.snapshot.config;
    return {
      listen: `${this.proxyAddress.address}:${this.proxyAddress.port}`, upstream: c.upstream, mode: c.mode, failMode: c.failMode,
      routes: this.ctx.snapshot.policy.routes.map((r) => ({ name: r.name, prefix: r.prefix, mode: r.mode })),
      bans: this.ctx.bans.list().length, inFlight: this.ctx.inFlight, engine: this.ctx.snapshot.engine.id,
      fastPath: this.fast ? { ...this.fast.stats, connections: this.fast.connections } : null,
    };
  }

  /**
   * Graceful stop: stop accepting, let in-flight requests finish (up to `drainMs`), then flush the
   * decision log and close the upstream pool. Idempotent: later calls get the same promise.
   */
  stop(drainMs = 10_000): Promise<void> {
    this.stopping ??= this.drainAndClose(drainMs);
    return this.stopping;
  }

  private stopping: Promise<void> | undefined;

  private async drainAndClose(drainMs: number): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeIdleConnections();
    this.fast?.closeIdle();
    // Requests the fast server just handed to node:http (still arriving) count in flight once parsed.
    await new Promise((r) => setImmediate(r));
    this.admin?.close();
    this.admin?.closeAllConnections();
    const deadline = Date.now() + drainMs;
    while (this.ctx.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    this.server.closeAllConnections();
    this.fast?.closeAll();
    for (const t of this.ctx.tunnels) t.destroy();
    await closed;
    this.ctx.bans.flush();
    this.unsubscribe();
    await this.ctx.log?.close();
    await this.ctx.upstream.close();
  }
}
