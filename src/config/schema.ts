// The shield's configuration schema (zod): every key, its type, default and bounds.

import { z } from 'zod';

const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected HOST:PORT, e.g. 127.0.0.1:8080')
  .refine((s) => { const p = Number(s.slice(s.lastIndexOf(':') + 1)); return p >= 0 && p <= 65535; }, 'port must be 0..65535');
const httpUrl = z.string().refine((s) => { try { const u = new URL(s); return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== ''; } catch { return false; } }, 'expected an http:// or https:// URL')
  .refine((s) => { try { const u = new URL(s); return u.username === '' && u.password === ''; } catch { return true; } }, 'credentials in the upstream URL are not supported (they would be logged and are not sent)');
const mode = z.enum(['off', 'detect', 'block']);
const target = z.string().min(1);

const exclusion = z.object({
  rule: z.string().min(1).optional(),
  detector: z.string().min(1).optional(),
  param: z.string().min(1).optional(),
}).strict().refine((e) => e.rule !== undefined || e.detector !== undefined, 'an exclusion needs `rule` or `detector`');

const route = z.object({
  name: z.string().min(1).optional(),
  prefix: z.string().startsWith('/', 'a route prefix starts with /').default('/'),
  methods: z.array(z.string().regex(/^[A-Z]+$/, 'methods are upper-case tokens')).optional(),
  mode: mode.optional(),
  api: z.boolean().default(false),
  onBlock: z.enum(['block', 'deceive']).default('block'),
  threshold: z.number().positive().optional(),
  exclusions: z.array(exclusion).default([]),
}).strict();

/** The schema of a shield config file. Defaults make an empty file valid except for `upstream`. */
export const configSchema = z.object({
  listen: hostPort.default('127.0.0.1:8080'),
  upstream: httpUrl,
  mode: mode.default('block'),
  failMode: z.enum(['open', 'closed']).default('closed'),
  workers: z.union([z.number().int().min(1).max(64), z.literal('auto')]).default(1),
  /** Serve plain whole requests with the shield's own HTTP/1.1 server (false: node:http serves all). */
  fastPath: z.boolean().default(true),
  stateDir: z.string().min(1).default('.jirachi-state'),
  trustedProxies: z.array(target).default([]),
  admin: z.object({
    listen: hostPort.default('127.0.0.1:9090'),
    token: z.string().min(16, 'admin token must be at least 16 characters').optional(),
    tokenEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('JIRACHI_ADMIN_TOKEN'),
  }).strict().default({ listen: '127.0.0.1:9090', tokenEnv: 'JIRACHI_ADMIN_TOKEN' }),
  limits: z.object({
    headersTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
    requestTimeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
    idleTimeoutMs: z.number().int().min(100).max(600_000).default(5_000),
    maxHeaderBytes: z.number().int().min(1024).max(1_048_576).default(16_384),
    maxBodyBytes: z.number().int().min(0).default(10 * 1024 * 1024),
    inspectBodyBytes: z.number().int().min(0).max(16 * 1024 * 1024).default(64 * 1024),
    overInspectLimit: z.enum(['reject', 'inspect-prefix']).default('inspect-prefix'),
    tunnelIdleTimeoutMs: z.number().int().min(1000).max(86_400_000).default(300_000),
  }).strict().refine((l) => l.requestTimeoutMs >= l.headersTimeoutMs, { message: 'must be at least limits.headersTimeoutMs (the headers are part of the request)', path: ['requestTimeoutMs'] }).default({ headersTimeoutMs: 10_000, requestTimeoutMs: 30_000, idleTimeoutMs: 5_000, maxHeaderBytes: 16_384, maxBodyBytes: 10 * 1024 * 1024, inspectBodyBytes: 64 * 1024, overInspectLimit: 'inspect-prefix', tunnelIdleTimeoutMs: 300_000 }),
  upstreamTimeouts: z.object({
    connectMs: z.number().int().min(50).default(5_000),
    headersMs: z.number().int().min(50).default(30_000),
    bodyMs: z.number().int().min(50).default(60_000),
  }).strict().default({ connectMs: 5_000, headersMs: 30_000, bodyMs: 60_000 }),
  upstreamConnections: z.number().int().min(1).max(4096).default(128),
  rateLimit: z.object({
    enabled: z.boolean().default(false),
    ratePerSec: z.number().positive().default(50),
    burst: z.number().positive().default(100),
    maxTrackedIps: z.number().int().min(100).default(100_000),
  }).strict().default({ enabled: false, ratePerSec: 50, burst: 100, maxTrackedIps: 100_000 }),
  allowlist: z.array(target).default([]),
  bans: z.object({
    static: z.array(target).default([]),
    auto: z.object({
      enabled: z.boolean().default(true),
      threshold: z.number().int().min(1).default(10),
      windowSeconds: z.number().positive().default(60),
      banSeconds: z.number().positive().default(600),
    }).strict().default({ enabled: true, threshold: 10, windowSeconds: 60, banSeconds: 600 }),
  }).strict().default({ static: [], auto: { enabled: true, threshold: 10, windowSeconds: 60, banSeconds: 600 } }),
  detection: z.object({
    threshold: z.number().positive().default(5),
    modelPath: z.string().min(1).optional(),
    disableModel: z.boolean().default(false),
    /** The model's blocking probability instead of the model file's own (0 < p < 1). */
    modelThreshold: z.number().gt(0).lt(1).optional(),
  }).strict().default({ threshold: 5, disableModel: false }),
  routes: z.array(route).default([]),
  log: z.object({
    decisions: z.string().min(1).default('-'),
  }).strict().default({ decisions: '-' }),
  kernel: z.object({
    enabled: z.boolean().default(false),
    pinDir: z.string().min(1).default('/sys/fs/bpf/jirachi'),
  }).strict().default({ enabled: false, pinDir: '/sys/fs/bpf/jirachi' }),
}).strict();

/** A validated config, defaults filled in. */
export type ShieldConfig = z.infer<typeof configSchema>;
/** One route as configured. */
export type RouteConfig = z.infer<typeof route>;
/** One per-route exclusion. */
export type ExclusionConfig = z.infer<typeof exclusion>;
