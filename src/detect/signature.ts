// Signature detector seam: compiled regex rule tables and the emit helper every detector uses.

import { excerptOf, type AttackClass, type Finding, type RequestView } from '../core/index.js';
import type { ParsedRequest, Part, PartKind } from './parts.js';
import { NeedleAutomaton, type NeedleScan, type NeedleSpec } from './needles.js';

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
  /** The same ids as a set. */
  readonly needleSet: ReadonlySet<number>;
  /** `needleMember[id] === 1` when needle `id` is one of this rule's (the test against a part's hits: an index, not a hash lookup). */
  readonly needleMember: Uint8Array;
  /** The table's needle-mask bit; 0 for raw rules (gated by their raw needles). */
  readonly bit: number;
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

const needleList: NeedleSpec[] = [];
let automaton: NeedleAutomaton | undefined;
let bits = 0;
const rawNeedleList: string[] = [];
let rawGate: RegExp | undefined;

/** Allocates one bit of the needle masks (past 30 they share the last bit: still correct, less selective). */
export function allocateBit(): number {
  return 1 << Math.min(bits++, 30);
}

function needleId(text: string, bit: number, word: boolean): number {
  automaton = undefined;
  const i = needleList.findIndex((n) => n.text === text && n.word === word);
  if (i >= 0) { needleList[i] = { ...needleList[i]!, owners: needleList[i]!.owners | bit }; return i; }
  needleList.push({ text, owners: bit, word });
  return needleList.length - 1;
}

/**
 * Registers gate needles for a detector that is not a rule table: `bit` is set in a part's scan mask
 * when one occurs (`word`: only as a whole word, which a digit may precede). Returns the needle ids.
 */
export function addGateNeedles(needles: readonly string[], bit: number, word = false): number[] {
  return needles.map((n) => needleId(n, bit, word));
}

/** Every registered needle (index = needle id). */
export function needles(): readonly NeedleSpec[] {
  return needleList;
}

/** The needle scan of a part's whole normalized value, computed once and cached on the part. */
export function partScan(part: Part): NeedleScan {
  if (part.scan) return part.scan;
  automaton ??= new NeedleAutomaton(needleList);
  part.scan = automaton.scan(part.norm, part.norm.length);
  return part.scan;
}

/** True when a part's raw value (first 8 KiB) holds a needle of a raw rule (case-insensitive), cached on the part. */
function partRawGate(part: Part): boolean {
  if (part.rawGate !== undefined) return part.rawGate;
  rawGate ??= new RegExp([...new Set(rawNeedleList.map((n) => n.toLowerCase()))].map(escapeRe).join('|'), 'i');
  part.rawGate = rawGate.test(part.value.length > 8192 ? part.value.slice(0, 8192) : part.value);
  return part.rawGate;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The parts any rule table may act on: a needle occurs in the normalized value or a raw rule's
 * needle in the raw value. Every other part is skipped by every table (the per-part fast path).
 * Computed once per request.
 */
export function activeParts(parsed: ParsedRequest): readonly Part[] {
  if (parsed.active) return parsed.active;
  const active: Part[] = [];
  for (const p of parsed.parts) if (partScan(p).mask !== 0 || partRawGate(p)) active.push(p);
  parsed.active = active;
  return active;
}

/** What gatedValues returns when no part qualifies (shared, never written). */
const NO_GATED_VALUES: ReadonlyArray<readonly [Part, string]> = [];

/**
 * The active, non-plain parts whose needle scan has `bit` set and which default rules read, each
 * with its normalized value cut to 4 KiB: what the custom (non-table) detectors scan. A list, not a
 * generator: most requests have no such part, and then nothing is allocated.
 */
export function gatedValues(parsed: ParsedRequest, bit: number): ReadonlyArray<readonly [Part, string]> {
  let out: Array<readonly [Part, string]> | undefined;
  for (const part of activeParts(parsed)) {
    if (part.plain || (partScan(part).mask & bit) === 0 || !ruleReads(undefined, part)) continue;
    (out ??= []).push([part, part.norm.length > 4096 ? part.norm.slice(0, 4096) : part.norm]);
  }
  return out ?? NO_GATED_VALUES;
}

/** Ids of the needles that occur in a part's normalized value (one scan per part, cached on the part). */
export function needleHits(part: Part): readonly number[] {
  return partScan(part).hits;
}

/**
 * Compiles rule specs once, freezing each rule. Every rule needs needles: lower-case literals of the
 * normalized value, or for `raw` rules literals of the raw value (matched case-insensitively).
 * The list itself is read-only by its type but not frozen: V8 does not inline `for…of` over a frozen
 * array (each step goes through the iterator protocol, ~4× slower), and detectors loop over their
 * rules for every part. Throws on a bad pattern or a rule without needles (a bug, found at load).
 */
export function compileRules(specs: readonly RegexRuleSpec[]): readonly RegexRule[] {
  const bit = allocateBit();
  return specs.map((s) => {
    if (s.needles.length === 0) throw new Error(`rule ${s.id} has no needles`);
    if (s.raw) rawNeedleList.push(...s.needles);
    const needleIds = s.raw ? [] : s.needles.map((n) => needleId(n, bit, false));
    return Object.freeze({
      id: s.id, needleIds, needleSet: new Set(needleIds), needleMember: memberTable(needleIds), bit: s.raw ? 0 : bit, score: s.score,
      re: trackPattern(new RegExp(s.pattern, s.flags ?? '')), needles: s.needles,
      explanation: s.explanation, ...(s.kinds ? { kinds: s.kinds } : {}), ...(s.raw ? { raw: true } : {}),
    });
  });
}

/** A table with 1 at each of `ids` (needle ids registered later are past its end: not members). */
function memberTable(ids: readonly number[]): Uint8Array {
  const t = new Uint8Array(ids.length === 0 ? 0 : Math.max(...ids) + 1);
  for (const id of ids) t[id] = 1;
  return t;
}

const DEFAULT_KINDS: ReadonlySet<PartKind> = new Set(['path', 'query', 'body', 'json', 'multipart', 'xml', 'cookie', 'name']);

/** True when a rule with `kinds` reads `part`. */
export function ruleReads(kinds: readonly PartKind[] | undefined, part: Part, allHeaders = false): boolean {
  if (kinds) return kinds.includes(part.kind);
  if (part.kind === 'header') return allHeaders || part.content;
  return DEFAULT_KINDS.has(part.kind);
}

/** True when the part's needle scan found one of the rule's needles (always true for rules without needles). */
function needlesPresent(rule: RegexRule, part: Part): boolean {
  if (rule.raw) return partRawGate(part);
  const scan = partScan(part);
  if ((scan.mask & rule.bit) === 0) return false;
  const member = rule.needleMember;
  for (const id of scan.hits) if (member[id] === 1) return true;
  return false;
}

/** Runs one regex rule on one part; emits at most one finding. Never throws. */
export function runRule(sink: FindingSink, detector: string, cls: AttackClass, rule: RegexRule, part: Part, allHeaders = false): boolean {
  return needlesPresent(rule, part) && execRule(sink, detector, cls, rule, part, allHeaders);
}

/** runRule once the rule's needles are known to occur. */
function execRule(sink: FindingSink, detector: string, cls: AttackClass, rule: RegexRule, part: Part, allHeaders: boolean): boolean {
  if (!ruleReads(rule.kinds, part, allHeaders)) return false;
  const text = rule.raw ? part.value : part.norm;
  const m = rule.re.exec(text.length > 8192 ? text.slice(0, 8192) : text);
  if (!m) return false;
  emit(sink, detector, rule.id, cls, rule.score, part, m.index, rule.explanation);
  return true;
}

/** Builds a detector from a compiled table: each rule fires at most once per part; parts whose raw value matches `skipValue` are not read; `allHeaders` lets rules without explicit kinds read every header; `readPlain` reads letters-and-digits-only values too. A part none of whose needles occur is skipped after one mask test. */
export function tableDetector(id: string, cls: AttackClass, rules: readonly RegexRule[], skipValue?: RegExp, allHeaders = false, readPlain = false): SignatureDetector {
  const tableMask = rules.reduce((a, r) => a | r.bit, 0);
  const raw = rules.some((r) => r.raw === true);
  // Built at the first request, when every rule table has registered its needles (ids below needles().length).
  let present: PresentRules | undefined;
  const bitsPerRule = rules.length <= 31;
  return Object.freeze({
    id,
    classes: [cls],
    inspectParsed(parsed: ParsedRequest, _view: RequestView, sink: FindingSink): void {
      for (const part of activeParts(parsed)) {
        if ((partScan(part).mask & tableMask) === 0 && !(raw && partRawGate(part))) continue;
        if ((part.plain && !readPlain) || (part.kind === 'header' && !allHeaders && !part.content)) continue;
        if (skipValue !== undefined && skipValue.test(part.value)) continue;
        if (bitsPerRule) {
          // The rules whose needles occur, from one pass over the part's hits (not one pass per rule).
          present ??= presentRules(rules);
          const byNeedle = present.byNeedle;
          let bits = raw && partRawGate(part) ? present.raw : 0;
          for (const h of partScan(part).hits) if (h < byNeedle.length) bits |= byNeedle[h]!;
          for (let r = 0; bits !== 0 && r < rules.length; r++) {
            if ((bits & (1 << r)) === 0) continue;
            if (sink.findings.length >= sink.max) return;
            execRule(sink, id, cls, rules[r]!, part, allHeaders);
          }
          continue;
        }
        for (const rule of rules) {
          if (sink.findings.length >= sink.max) return;
          runRule(sink, id, cls, rule, part, allHeaders);
        }
      }
    },
  });
}

/** Per needle id, the bits (1 << index) of the rules of a table (≤ 31 rules) that own it; `raw`: the bits of its raw rules. */
interface PresentRules { readonly byNeedle: Int32Array; readonly raw: number }

function presentRules(rules: readonly RegexRule[]): PresentRules {
  const byNeedle = new Int32Array(needleList.length);
  let raw = 0;
  rules.forEach((r, i) => {
    if (r.raw) raw |= 1 << i;
    for (const n of r.needleIds) byNeedle[n]! |= 1 << i;
  });
  return { byNeedle, raw };
}

/** Parameter-like parts only (no headers, cookies or path): for rules about URL-valued parameters. */
export const PARAM_KINDS: readonly PartKind[] = Object.freeze(['query', 'body', 'json', 'multipart', 'xml', 'name']);

/** Gives every spec without explicit kinds the PARAM_KINDS. */
export function withKinds(specs: readonly RegexRuleSpec[], kinds: readonly PartKind[] = PARAM_KINDS): RegexRuleSpec[] {
  return specs.map((s) => (s.kinds ? s : { ...s, kinds }));
}
