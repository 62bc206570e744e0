// Attack memory: MinHash signatures of confirmed attacks with an LSH index, so variants are recognized.

import { trackPattern } from './signature.js';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { excerptOf, type Finding } from '../core/index.js';
import type { ParsedRequest, Part } from './parts.js';

/** Hashes per signature, LSH bands and rows per band (BANDS × ROWS = HASHES). */
export const MEMORY_HASHES = 64;
const BANDS = 16, ROWS = 4;
/** Most entries kept; the oldest are evicted first. */
export const MEMORY_MAX_ENTRIES = 5000;
/** Jaccard estimate at or above which a value counts as a variant of a stored attack. */
export const MEMORY_SIMILARITY = 0.7;

const SEEDS_A = Uint32Array.from({ length: MEMORY_HASHES }, (_, i) => (Math.imul(i + 1, 0x9e3779b1) | 1) >>> 0);
const SEEDS_B = Uint32Array.from({ length: MEMORY_HASHES }, (_, i) => Math.imul(i + 7, 0x85ebca6b) >>> 0);
const DIGITS_RE = trackPattern(/[0-9]+/g);

interface Entry { readonly sig: Uint32Array; readonly label: string; readonly excerpt: string }

function shingleHashes(text: string): Uint32Array {
  const s = text.replace(DIGITS_RE, '0').slice(0, 2048);
  const n = Math.max(0, s.length - 3);
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let h = 2166136261;
    for (let k = 0; k < 4; k++) h = Math.imul(h ^ s.charCodeAt(i + k), 16777619);
    out[i] = h >>> 0;
  }
  return out;
}

/** MinHash signature of a value's 4-gram shingles (digits folded). Deterministic; never throws. */
export function minhash(text: string): Uint32Array {
  const sh = shingleHashes(text);
  const sig = new Uint32Array(MEMORY_HASHES).fill(0xffffffff);
  for (const h of sh) {
    for (let j = 0; j < MEMORY_HASHES; j++) {
      const v = (Math.imul(h ^ SEEDS_B[j]!, SEEDS_A[j]!) ^ (h >>> 13)) >>> 0;
      if (v < sig[j]!) sig[j] = v;
    }
  }
  return sig;
}

/** Estimated Jaccard similarity of two signatures. */
export function similarity(a: Uint32Array, b: Uint32Array): number {
  let eq = 0;
  for (let j = 0; j < MEMORY_HASHES; j++) if (a[j] === b[j]) eq++;
  return eq / MEMORY_HASHES;
}

function bandKey(sig: Uint32Array, band: number): string {
  let h = band * 0x27d4eb2d;
  for (let r = 0; r < ROWS; r++) h = Math.imul(h ^ sig[band * ROWS + r]!, 0x165667b1);
  return `${band}:${h >>> 0}`;
}

function suspicious(p: Part): boolean {
  if (p.norm.length < 10 || p.kind === 'header' || p.kind === 'cookie') return false;
  let odd = 0;
  for (let i = 0; i < p.norm.length && i < 256; i++) { const c = p.norm.charCodeAt(i); if (!((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 32)) odd++; }
  return odd >= 3;
}

/** Bounded, persistable store of attack signatures. Methods never throw. */
export class AttackMemory {
  private entries: Array<Entry | undefined> = [];
  private head = 0;
  private count = 0;
  private index = new Map<string, number[]>();
  /** The load outcome: 'empty', 'loaded N', or 'unavailable: reason'. */
  readonly status: string;

  constructor(private readonly path?: string) {
    this.status = path === undefined ? 'empty' : this.load(path);
  }

  get size(): number { return this.count; }

  private load(path: string): string {
    let json: unknown;
    try { json = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'empty' : 'unavailable: unreadable memory file'; }
    const o = json as { format?: unknown; entries?: unknown };
    if (o?.format !== 'jirachi-attack-memory' || !Array.isArray(o.entries)) return 'unavailable: not a jirachi-attack-memory file';
    for (const e of o.entries.slice(-MEMORY_MAX_ENTRIES)) {
      const r = e as { sig?: unknown; label?: unknown; excerpt?: unknown };
      if (!Array.isArray(r.sig) || r.sig.length !== MEMORY_HASHES || typeof r.label !== 'string') continue;
      if (!r.sig.every((v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff)) continue;
      this.insert({ sig: Uint32Array.from(r.sig as number[]), label: r.label.slice(0, 64), excerpt: typeof r.excerpt === 'string' ? r.excerpt.slice(0, 100) : '' });
    }
    return `loaded ${this.count}`;
  }

  private insert(e: Entry): void {
    const slot = this.head;
    const old = this.entries[slot];
    if (old) for (let b = 0; b < BANDS; b++) { const k = bandKey(old.sig, b); const l = this.index.get(k); if (l) { const i = l.indexOf(slot); if (i >= 0) l.splice(i, 1); if (l.length === 0) this.index.delete(k); } }
    else this.count++;
    this.entries[slot] = e;
    for (let b = 0; b < BANDS; b++) { const k = bandKey(e.sig, b); const l = this.index.get(k); if (l) l.push(slot); else this.index.set(k, [slot]); }
    this.head = (this.head + 1) % MEMORY_MAX_ENTRIES;
  }

  /** Remembers the suspicious values of a confirmed attack under `label`. */
  add(parsed: ParsedRequest, label: string): void {
    for (const p of parsed.parts.filter(suspicious).slice(0, 8)) this.insert({ sig: minhash(p.norm), label: label.slice(0, 64), excerpt: excerptOf(p.norm) });
  }

  /** A memory finding when a value is a near-duplicate of a stored attack, else undefined. */
  match(parsed: ParsedRequest): Finding | undefined {
    if (this.count === 0) return undefined;
    let checked = 0;
    for (const p of parsed.parts) {
      if (!suspicious(p)) continue;
      if (++checked > 8) break;
      const sig = minhash(p.norm);
      const seen = new Set<number>();
      for (let b = 0; b < BANDS; b++) {
        for (const slot of this.index.get(bandKey(sig, b)) ?? []) {
          if (seen.has(slot)) continue;
          seen.add(slot);
          const e = this.entries[slot];
          if (!e) continue;
          const sim = similarity(sig, e.sig);
          if (sim >= MEMORY_SIMILARITY) {
            const base = { detector: 'memory', rule: 'memory-001', class: 'memory' as const, score: 5, part: p.name, excerpt: excerptOf(p.norm), explanation: `variant of a remembered ${e.label} attack (similarity ${sim.toFixed(2)})` };
            return p.param === undefined ? base : { ...base, param: p.param };
          }
        }
      }
    }
    return undefined;
  }

  /** Writes the memory to its path atomically. Returns an error message, or undefined on success. */
  save(): string | undefined {
    if (this.path === undefined) return undefined;
    const entries = this.entries.filter((e): e is Entry => e !== undefined).map((e) => ({ label: e.label, excerpt: e.excerpt, sig: Array.from(e.sig) }));
    try {
      writeFileSync(this.path + '.tmp', JSON.stringify({ format: 'jirachi-attack-memory', version: 1, entries }));
      renameSync(this.path + '.tmp', this.path);
      return undefined;
    } catch (e) { return `cannot write attack memory: ${(e as NodeJS.ErrnoException).code ?? 'error'}`; }
  }
}
