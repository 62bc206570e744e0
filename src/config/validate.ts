// Pure validation of config text: YAML → schema → frozen snapshot, errors as `file:line path: message`.

import { LineCounter, parseDocument, isNode, type Document } from 'yaml';
import { err, ok, type Result } from '../core/index.js';
import { canonicalTarget } from '../decisions/index.js';
import { configSchema, type ShieldConfig } from './schema.js';

/** One problem in a config file. */
export interface ConfigIssue {
  readonly file: string;
  readonly line: number;
  readonly path: string;
  readonly message: string;
}

/** Formats an issue as `file:line path: message`. */
export function formatIssue(i: ConfigIssue): string {
  return `${i.file}:${i.line} ${i.path || '(root)'}: ${i.message}`;
}

function lineOf(doc: Document, lc: LineCounter, path: ReadonlyArray<PropertyKey>): number {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
    if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
  }
  return 1;
}

/** Flag-level overrides applied on top of the file before validation. */
export type ConfigOverrides = Record<string, unknown>;

/**
 * Validates config text without any I/O. Reports every YAML and schema error with its line.
 * `overrides` (e.g. from CLI flags) are merged at top level, or into `admin` for `admin.listen`.
 * Never throws.
 */
export function validateConfig(text: string, file: string, overrides: ConfigOverrides = {}): Result<ShieldConfig, ConfigIssue[]> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    return err(doc.errors.map((e) => ({ file, line: e.linePos?.[0]?.line ?? 1, path: '', message: `YAML: ${e.message.split('\n')[0]}` })));
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return err([{ file, line: 1, path: '', message: 'the config must be a YAML mapping' }]);
  }
  const merged = applyOverrides(raw as Record<string, unknown>, overrides);
  const parsed = configSchema.safeParse(merged);
  const issues: ConfigIssue[] = [];
  if (!parsed.success) {
    for (const i of parsed.error.issues) {
      issues.push({ file, line: lineOf(doc, lc, i.path), path: i.path.join('.'), message: i.message });
    }
    return err(issues);
  }
  const cfg = parsed.data;
  const lists: Array<[string, string[]]> = [['allowlist', cfg.allowlist], ['trustedProxies', cfg.trustedProxies], ['bans.static', cfg.bans.static]];
  for (const [key, list] of lists) {
    list.forEach((t, idx) => {
      const c = canonicalTarget(t);
      if (!c.ok) issues.push({ file, line: lineOf(doc, lc, [...key.split('.'), idx]), path: `${key}.${idx}`, message: c.error });
    });
  }
  return issues.length ? err(issues) : ok(deepFreeze(cfg));
}

function applyOverrides(raw: Record<string, unknown>, o: ConfigOverrides): Record<string, unknown> {
  const out: Record<string, unknown> = { ...raw };
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    const dot = k.indexOf('.');
    if (dot < 0) { out[k] = v; continue; }
    const head = k.slice(0, dot);
    const sub = typeof out[head] === 'object' && out[head] !== null ? { ...(out[head] as Record<string, unknown>) } : {};
    sub[k.slice(dot + 1)] = v;
    out[head] = sub;
  }
  return out;
}

/** Freezes an object graph in place and returns it. */
export function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as Record<string, unknown>)) deepFreeze(v);
  }
  return o;
}
