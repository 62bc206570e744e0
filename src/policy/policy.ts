// Policy: the only place findings become an action. Routes, modes, exclusions, thresholds. Pure.

import { anomalyScore, type Decision, type Finding, type Mode } from '../core/index.js';

/** One exclusion: drop findings from a rule or detector, optionally only on one parameter. */
export interface Exclusion {
  readonly rule?: string;
  readonly detector?: string;
  readonly param?: string;
}

/** A route's policy after compilation. */
export interface RoutePolicy {
  readonly name: string;
  readonly prefix: string;
  /** The prefix lower-cased (for the case-folded match). */
  readonly prefixFolded: string;
  readonly methods: ReadonlySet<string> | null;
  readonly mode: Mode;
  /** Block responses are JSON instead of HTML. */
  readonly api: boolean;
  /** What a blocked request gets: a 403 or the decoy. */
  readonly onBlock: 'block' | 'deceive';
  readonly threshold: number;
  readonly exclusions: readonly Exclusion[];
}

/** Compiled routes, longest prefix first, with a default route at the end. */
export interface Policy {
  readonly routes: readonly RoutePolicy[];
  /** Some prefix has an upper-case letter (then even a lower-case path is matched case-folded too). */
  readonly mixedCase: boolean;
  /** Some route matches only certain methods: only then can a method override claim change the route. */
  readonly byMethod: boolean;
}

/** Input for compilePolicy (the config's shape, loosely typed so tests can build it by hand). */
export interface PolicyInput {
  readonly mode: Mode;
  readonly threshold: number;
  readonly routes: ReadonlyArray<{
    readonly name?: string | undefined; readonly prefix: string; readonly methods?: readonly string[] | undefined;
    readonly mode?: Mode | undefined; readonly api?: boolean | undefined; readonly onBlock?: 'block' | 'deceive' | undefined;
    readonly threshold?: number | undefined; readonly exclusions?: readonly Exclusion[] | undefined;
  }>;
}

/** Compiles route config into a frozen Policy. Never throws. */
export function compilePolicy(input: PolicyInput): Policy {
  const routes: RoutePolicy[] = input.routes.map((r, i) => ({
    name: r.name ?? `route-${i}`,
    prefix: r.prefix,
    prefixFolded: r.prefix.toLowerCase(),
    methods: r.methods && r.methods.length ? new Set(r.methods) : null,
    mode: r.mode ?? input.mode,
    api: r.api ?? false,
    onBlock: r.onBlock ?? 'block',
    threshold: r.threshold ?? input.threshold,
    exclusions: (r.exclusions ?? []).map((e) => ({ ...e })),
  }));
  // Stable sort: longer prefixes first; among equal prefixes, config order.
  routes.sort((a, b) => b.prefix.length - a.prefix.length);
  routes.push({ name: 'default', prefix: '/', prefixFolded: '/', methods: null, mode: input.mode, api: false, onBlock: 'block', threshold: input.threshold, exclusions: [] });
  return Object.freeze({ routes: Object.freeze(routes), mixedCase: routes.some((r) => r.prefix !== r.prefixFolded), byMethod: routes.some((r) => r.methods !== null) });
}

const UNRESERVED = /[A-Za-z0-9._~-]/;
/** A path needs canonicalizing if it has an escape, a backslash, a `;`, an empty or a dot segment. */
const NEEDS_CANON = /[%\\;]|\/\/|\/\.\.?(?:\/|$)/;

/**
 * The path a route is chosen by: the raw path as a server would resolve it. Percent-encoded
 * unreserved characters and encoded separators (%2F, %5C) are decoded, backslashes become `/`,
 * `;params` are cut from each segment (Tomcat's `..;/`), empty segments collapse, `.` and `..` are
 * resolved without climbing above the root. So `/static/..;/api/x`, `/%61pi/x` and `//api//x` all
 * route as `/api/x`. The request is still forwarded with its raw path. Never throws.
 */
export function canonicalPath(raw: string): string {
  // Fast path for the common case: nothing to decode, resolve or collapse.
  if (raw.charCodeAt(0) === 47 && !NEEDS_CANON.test(raw)) return raw;
  let s = raw.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(c) || c === '/' || c === '\\' ? c : m;
  });
  s = s.replace(/\\/g, '/');
  const out: string[] = [];
  for (const seg of s.split('/')) {
    const name = seg.split(';')[0]!;
    if (name === '' || name === '.') continue;
    if (name === '..') { out.pop(); continue; }
    out.push(name);
  }
  return '/' + out.join('/') + (out.length && /\/(\.{0,2})?$/.test(s) ? '/' : '');
}

/**
 * The route for a request: longest matching prefix (at a `/` boundary or exact), then method.
 * Matching uses `canonicalPath(rawPath)`, so encodings cannot move a request into a weaker route, and
 * case variants get the stricter of the exact and the case-folded match. Always returns a route (the
 * default). Never throws.
 */
export function matchRoute(policy: Policy, method: string, rawPath: string): RoutePolicy {
  const path = canonicalPath(rawPath);
  const exact = firstRoute(policy, method, path, false);
  // Case-insensitive upstreams (IIS, macOS, Windows file systems) serve `/ADMIN` as `/admin`: when the
  // path and a prefix differ only in case, the stricter of the two routes applies.
  const folded = path.toLowerCase();
  if (folded === path && !policy.mixedCase) return exact;
  return stricterRoute(exact, firstRoute(policy, method, folded, true));
}

/** The first route (longest prefix first) whose methods and prefix match; `folded`: compare with lower-cased prefixes. */
function firstRoute(policy: Policy, method: string, path: string, folded: boolean): RoutePolicy {
  for (const r of policy.routes) {
    if (r.methods && !r.methods.has(method)) continue;
    const prefix = folded ? r.prefixFolded : r.prefix;
    if (prefix === '/' || path === prefix || path.startsWith(prefix.endsWith('/') ? prefix : prefix + '/')) return r;
  }
  return policy.routes[policy.routes.length - 1]!;
}

const MODE_RANK: Readonly<Record<Mode, number>> = { off: 0, detect: 1, block: 2 };

/** The stricter of two routes: block over detect over off, then the lower threshold, then fewer exclusions; `a` on a tie. */
function stricterRoute(a: RoutePolicy, b: RoutePolicy): RoutePolicy {
  if (a === b) return a;
  const ra = MODE_RANK[a.mode], rb = MODE_RANK[b.mode];
  if (ra !== rb) return rb > ra ? b : a;
  if (a.threshold !== b.threshold) return b.threshold < a.threshold ? b : a;
  return b.exclusions.length < a.exclusions.length ? b : a;
}

/**
 * The route for a request that claims other methods through overrides (a POST with
 * `X-HTTP-Method-Override: DELETE`): the upstream may run any of them, so the strictest of the routes
 * applies (stricterRoute). Without overrides, matchRoute. Never throws.
 */
export function matchRouteWithOverride(policy: Policy, method: string, overrides: readonly string[], rawPath: string): RoutePolicy {
  let route = matchRoute(policy, method, rawPath);
  for (const m of overrides) if (m !== method) route = stricterRoute(route, matchRoute(policy, m, rawPath));
  return route;
}

/** True if an exclusion removes this finding. */
export function isExcluded(f: Finding, exclusions: readonly Exclusion[]): boolean {
  for (const e of exclusions) {
    if (e.rule !== undefined && e.rule !== f.rule) continue;
    if (e.detector !== undefined && e.detector !== f.detector) continue;
    if (e.param !== undefined && e.param !== f.param) continue;
    return true;
  }
  return false;
}

/**
 * Turns findings into a Decision for a route: excluded findings are dropped, the rest are summed
 * (anomaly scoring: each rule once, at its highest score) and compared with the route's threshold. Detect mode never blocks but says
 * `wouldBlock`. Off mode always allows. Never throws.
 */
export function decide(findings: readonly Finding[], route: RoutePolicy): Decision {
  if (route.mode === 'off') return { verdict: 'ALLOW', mode: 'off', wouldBlock: false, score: 0, findings: [], reason: 'mode-off' };
  const kept = route.exclusions.length ? findings.filter((f) => !isExcluded(f, route.exclusions)) : findings;
  const score = anomalyScore(kept);
  const over = score >= route.threshold;
  if (!over) return { verdict: 'ALLOW', mode: route.mode, wouldBlock: false, score, findings: kept, reason: kept.length ? 'below-threshold' : 'clean' };
  if (route.mode === 'detect') return { verdict: 'ALLOW', mode: 'detect', wouldBlock: true, score, findings: kept, reason: 'score>=threshold' };
  return { verdict: route.onBlock === 'deceive' ? 'DECEIVE' : 'BLOCK', mode: 'block', wouldBlock: true, score, findings: kept, reason: 'score>=threshold' };
}
