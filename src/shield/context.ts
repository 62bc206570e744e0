// The shield's runtime state: the swappable config snapshot and the long-lived parts around it.

import type { ShieldConfig } from '../config/index.js';
import type { Detector } from '../core/index.js';
import { Allowlist, AutoBan, type BanStore } from '../decisions/index.js';
import { compilePolicy, type Policy } from '../policy/index.js';
import type { DecisionLog, Metrics } from '../telemetry/index.js';
import type { Upstream } from './forward.js';
import type { FastServerSettings } from './h1-server.js';
import { RateLimiter } from './rate-limit.js';

/** Everything derived from one config; replaced as a whole on reload. Frozen. */
export interface ShieldSnapshot {
  readonly config: ShieldConfig;
  readonly policy: Policy;
  readonly allowlist: Allowlist;
  readonly trusted: Allowlist;
  readonly engine: Detector;
  /** Some route inspects requests (so bodies must be buffered at all). */
  readonly inspects: boolean;
  /** What the fast HTTP/1.1 server reads per request (from `limits`). */
  readonly fast: FastServerSettings;
}

/** Builds a snapshot from a validated config and a detection engine. Pure. */
export function buildSnapshot(config: ShieldConfig, engine: Detector): ShieldSnapshot {
  const policy = compilePolicy({
    mode: config.mode,
    threshold: config.detection.threshold,
    routes: config.routes.map((r) => ({
      name: r.name, prefix: r.prefix, methods: r.methods, mode: r.mode, api: r.api, onBlock: r.onBlock,
      threshold: r.threshold, exclusions: r.exclusions.map((e) => ({ ...(e.rule ? { rule: e.rule } : {}), ...(e.detector ? { detector: e.detector } : {}), ...(e.param ? { param: e.param } : {}) })),
    })),
  });
  return Object.freeze({
    config, policy, engine,
    allowlist: new Allowlist(config.allowlist),
    trusted: new Allowlist(config.trustedProxies),
    inspects: policy.routes.some((r) => r.mode !== 'off'),
    fast: fastSettings(config.limits),
  });
}

/** The fast server's settings for these limits: whole requests with bodies up to what is inspected. */
function fastSettings(l: ShieldConfig['limits']): FastServerSettings {
  return { limits: { maxHeadBytes: l.maxHeaderBytes, maxBodyBytes: Math.min(l.inspectBodyBytes, l.maxBodyBytes) }, idleMs: l.idleTimeoutMs, headersMs: l.headersTimeoutMs };
}

/** The live shield: current snapshot plus the state that survives reloads. */
export interface ShieldContext {
  snapshot: ShieldSnapshot;
  readonly bans: BanStore;
  autoBan: AutoBan;
  readonly rateLimiter: RateLimiter;
  upstream: Upstream;
  readonly metrics: Metrics;
  readonly log: DecisionLog | null;
  /** Requests in flight (for graceful shutdown). */
  inFlight: number;
  /** Open WebSocket tunnels (client sockets), destroyed on shutdown. */
  readonly tunnels: Set<import('node:stream').Duplex>;
  /** Writes a one-line operational message (never secrets). */
  readonly say: (line: string) => void;
  /**
   * Set in a cluster worker: blocked requests are reported to the primary, which counts them and
   * owns the bans. Unset: this process counts and bans itself.
   */
  readonly reportBlocked?: (ip: string) => void;
}

/** Makes the auto-ban counter and rate limiter for a config. */
export function makeLimiters(config: ShieldConfig): { autoBan: AutoBan; rateLimiter: RateLimiter } {
  return {
    autoBan: new AutoBan({ threshold: config.bans.auto.threshold, windowMs: config.bans.auto.windowSeconds * 1000 }),
    rateLimiter: new RateLimiter(config.rateLimit.ratePerSec, config.rateLimit.burst, config.rateLimit.maxTrackedIps),
  };
}
