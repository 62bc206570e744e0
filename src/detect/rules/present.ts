// Rule presence masks: which rules of an ordered table have a needle in a part, from one pass over its needle hits.

import type { Part } from '../parts.js';
import { needles, partScan, type RegexRule } from '../signature.js';

/** An ordered rule list (at most 31 rules) with a lazily built needle → rule-bits index. */
export interface PresenceTable {
  readonly rules: readonly RegexRule[];
  /** Bit r is set for rule r when it is raw (its raw gate is checked when it runs). */
  readonly rawBits: number;
  byNeedle: Int32Array | undefined;
}

/** Makes a presence table for `rules` (in the order they are tried). Throws for more than 31 rules (a bug, found at load). */
export function presenceTable(rules: readonly RegexRule[]): PresenceTable {
  if (rules.length > 31) throw new Error(`presence table of ${rules.length} rules (at most 31)`);
  let rawBits = 0;
  rules.forEach((r, i) => { if (r.raw) rawBits |= 1 << i; });
  return { rules, rawBits, byNeedle: undefined };
}

/**
 * Bit r is set when rule r of the table may match `part`: one of its needles occurs in the part (or it is
 * a raw rule). Built on first use, when every table has registered its needles. Replaces one pass over
 * the part's hits per rule by one pass per part.
 */
export function presentRules(t: PresenceTable, part: Part): number {
  let byNeedle = t.byNeedle;
  if (byNeedle === undefined) {
    byNeedle = new Int32Array(needles().length);
    t.rules.forEach((r, i) => { for (const n of r.needleIds) byNeedle![n]! |= 1 << i; });
    t.byNeedle = byNeedle;
  }
  let bits = t.rawBits;
  for (const h of partScan(part).hits) if (h < byNeedle.length) bits |= byNeedle[h]!;
  return bits;
}
