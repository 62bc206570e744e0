// Signature detector seam: compiled regex rule tables and the emit helper every detector uses.

import { excerptOf, type AttackClass, type Finding, type RequestView } from '../core/index.js';
import type { ParsedRequest, Part, PartKind } from './parts.js';

/** Collects findings for one request, bounded by `max`. */
export interface FindingSink {
  readonly findings: Finding[];
  readonly max: number;
}

/** A signature detector: reads the parsed request and pushes findings into the sink. Never throws. */
export interface SignatureDetector {
  readonly id: string;
  readonly classes: readonly AttackClass[];
  inspectParsed(parsed: ParsedRequest, view: RequestView, sink: FindingSink): void;
}

/** Adds a finding about `part` (redacted excerpt around `at`). Returns false when the sink is full. */
export function emit(sink: FindingSink, detector: string, rule: string, cls: AttackClass, score: number,
  part: Pick<Part, 'name' | 'norm'> & { readonly param?: string | undefined }, at: number, explanation: string): boolean {
  if (sink.findings.length >= sink.max) return false;
  const f: Finding = part.param === undefined
    ? { detector, rule, class: cls, score, part: part.name, excerpt: excerptOf(part.norm, at), explanation }
    : { detector, rule, class: cls, score, part: part.name, param: part.param, excerpt: excerptOf(part.norm, at), explanation };
  sink.findings.push(f);
  return true;
}

/** A regex rule: `needles` (lower case) is a literal prefilter; the regex runs only if one occurs. */
export interface RegexRule {
  readonly id: string;
  /** Indexes of this rule's needles in the global needle index. */
  readonly needleIds: readonly number[];
  readonly score: number;
  readonly re: RegExp;
  readonly needles: readonly string[];
  readonly explanation: string;
  /** Part kinds this rule reads; default: all but headers outside the content set. */
  readonly kinds?: readonly PartKind[];
  /** Read the raw transport-decoded value instead of the normalized one (case kept). */
  readonly raw?: boolean;
}

/** Spec of a rule before compilation. */
export interface RegexRuleSpec {
  readonly id: string;
  readonly score: number;
  readonly pattern: string;
  readonly flags?: string;
  readonly needles: readonly string[];
  readonly explanation: string;
  readonly kinds?: readonly PartKind[];
  readonly raw?: boolean;
}

const tracked: RegExp[] = [];

/** Records a load-time regex so the ReDoS test checks it. Returns it unchanged. */
export function trackPattern(re: RegExp): RegExp {
  tracked.push(re);
  return re;
}

/** Every regex compiled by rule tables or tracked with trackPattern (for the ReDoS check). */
export function compiledPatterns(): readonly RegExp[] {
  return tracked;
}

const needleList: string[] = [];
let needleScan: { re: RegExp; covers: Map<string, number[]> } | undefined;

function needleId(n: string): number {
  const i = needleList.indexOf(n);
  if (i >= 0) return i;
  needleScan = undefined;
  needleList.push(n);
  return needleList.length - 1;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Builds (once, at first use) one alternation of every needle, longest first, and which needles each match covers. */
function scanner(): { re: RegExp; covers: Map<string, number[]> } {
  if (needleScan) return needleScan;
  const sorted = [...needleList].filter((n) => n !== '').sort((a, b) => b.length - a.length);
  const covers = new Map<string, number[]>();
  for (const m of sorted) covers.set(m, needleList.map((n, i) => (n !== '' && m.includes(n) ? i : -1)).filter((i) => i >= 0));
  needleScan = { re: new RegExp(sorted.map(escapeRe).join('|'), 'g'), covers };
  return needleScan;
}

/** Which needles occur in a part's normalized value (one regex scan per part, cached on the part). */
export function needleHits(part: Part): Uint8Array {
  if (part.needleHits) return part.needleHits;
  const hits = new Uint8Array(needleList.length);
  const { re, covers } = scanner();
  const text = part.norm.length > 8192 ? part.norm.slice(0, 8192) : part.norm;
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    for (const i of covers.get(m[0]) ?? []) hits[i] = 1;
    re.lastIndex = m.index + 1; // overlapping: a needle may start inside a longer match
  }
  part.needleHits = hits;
  return hits;
}

/** Compiles rule specs once, freezing them. Throws on a bad pattern (a bug, found at load). */
export function compileRules(specs: readonly RegexRuleSpec[]): readonly RegexRule[] {
  return Object.freeze(specs.map((s) => Object.freeze({
    id: s.id, needleIds: s.raw ? [] : s.needles.map(needleId), score: s.score, re: trackPattern(new RegExp(s.pattern, s.flags ?? '')), needles: s.needles,
    explanation: s.explanation, ...(s.kinds ? { kinds: s.kinds } : {}), ...(s.raw ? { raw: true } : {}),
  })));
}

const DEFAULT_KINDS: ReadonlySet<PartKind> = new Set(['path', 'query', 'body', 'json', 'multipart', 'xml', 'cookie', 'name']);
const CONTENT_HEADER_NAMES = new Set(['header:user-agent', 'header:referer', 'header:x-forwarded-for', 'header:x-forwarded-host', 'header:origin', 'header:x-original-url', 'header:x-rewrite-url']);

/** True when a rule with `kinds` reads `part`. */
export function ruleReads(kinds: readonly PartKind[] | undefined, part: Part, allHeaders = false): boolean {
  if (kinds) return kinds.includes(part.kind);
  if (part.kind === 'header') return allHeaders || CONTENT_HEADER_NAMES.has(part.name);
  return DEFAULT_KINDS.has(part.kind);
}

/** Runs one regex rule on one part; emits at most one finding. Never throws. */
export function runRule(sink: FindingSink, detector: string, cls: AttackClass, rule: RegexRule, part: Part, allHeaders = false): boolean {
  if (!ruleReads(rule.kinds, part, allHeaders)) return false;
  const text = rule.raw ? part.value : part.norm;
  if (rule.needleIds.length > 0) {
    const hits = needleHits(part);
    let found = false;
    for (const i of rule.needleIds) if (hits[i] === 1) { found = true; break; }
    if (!found) return false;
  }
  const m = rule.re.exec(text.length > 8192 ? text.slice(0, 8192) : text);
  if (!m) return false;
  emit(sink, detector, rule.id, cls, rule.score, part, m.index, rule.explanation);
  return true;
}

/** Builds a detector from a compiled table: each rule fires at most once per part; parts whose raw value matches `skipValue` are not read; `allHeaders` lets rules without explicit kinds read every header; `readPlain` reads letters-and-digits-only values too. */
export function tableDetector(id: string, cls: AttackClass, rules: readonly RegexRule[], skipValue?: RegExp, allHeaders = false, readPlain = false): SignatureDetector {
  return Object.freeze({
    id,
    classes: [cls],
    inspectParsed(parsed: ParsedRequest, _view: RequestView, sink: FindingSink): void {
      for (const part of parsed.parts) {
        if ((part.plain && !readPlain) || (part.kind === 'header' && !allHeaders && !CONTENT_HEADER_NAMES.has(part.name))) continue;
        if (skipValue !== undefined && skipValue.test(part.value)) continue;
        for (const rule of rules) {
          if (sink.findings.length >= sink.max) return;
          runRule(sink, id, cls, rule, part, allHeaders);
        }
      }
    },
  });
}

/** Parameter-like parts only (no headers, cookies or path): for rules about URL-valued parameters. */
export const PARAM_KINDS: readonly PartKind[] = Object.freeze(['query', 'body', 'json', 'multipart', 'xml', 'name']);

/** Gives every spec without explicit kinds the PARAM_KINDS. */
export function withKinds(specs: readonly RegexRuleSpec[], kinds: readonly PartKind[] = PARAM_KINDS): RegexRuleSpec[] {
  return specs.map((s) => (s.kinds ? s : { ...s, kinds }));
}
