// Labeled corpora: JSONL records (format of shared/data) → request views, plus deterministic splits.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { err, makeRequestView, ok, type RequestView, type Result } from '../core/index.js';

/** One labeled request. `source` and `klass` are for reporting and splitting only, never features. */
export interface CorpusRecord {
  readonly view: RequestView;
  readonly label: 0 | 1;
  readonly klass: string;
  readonly source: string;
  /** Stable hash of the line, for deterministic splits. */
  readonly key: number;
}

function fnv32(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Parses one JSONL line; undefined for malformed or unlabeled lines. Never throws. */
export function parseCorpusLine(line: string): CorpusRecord | undefined {
  let o: Record<string, unknown>;
  try { o = JSON.parse(line) as Record<string, unknown>; } catch { return undefined; }
  if (typeof o !== 'object' || o === null) return undefined;
  if (o['label'] !== 'attack' && o['label'] !== 'benign') return undefined;
  const h = o['headers'];
  const headers = h && typeof h === 'object' && !Array.isArray(h)
    ? Object.entries(h as Record<string, unknown>).filter(([, v]) => typeof v === 'string') as Array<[string, string]>
    : [];
  const str = (k: string, d: string): string => (typeof o[k] === 'string' ? (o[k] as string) : d);
  return {
    view: makeRequestView({ method: str('method', 'GET'), path: str('path', '/'), query: str('query', ''), body: str('body', ''), headers }),
    label: o['label'] === 'attack' ? 1 : 0,
    klass: str('class', o['label'] === 'attack' ? 'attack' : 'benign'),
    source: str('source', 'unknown'),
    key: fnv32(line),
  };
}

/** Reads a JSONL corpus (gzip detected by magic bytes). Malformed lines are counted, not fatal. */
export function readCorpusFile(path: string): Result<{ records: CorpusRecord[]; skipped: number }, string> {
  let buf: Buffer;
  try { buf = readFileSync(path); } catch (e) { return err(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? 'error'})`); }
  try { if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf); } catch { return err(`${path}: corrupt gzip`); }
  const records: CorpusRecord[] = [];
  let skipped = 0;
  for (const line of buf.toString('utf8').split('\n')) {
    if (line.trim() === '') continue;
    const r = parseCorpusLine(line);
    if (r) records.push(r); else skipped++;
  }
  return ok({ records, skipped });
}

/** Which side of the deterministic random split a record falls on (`testFraction` of keys go to test). */
export function splitSide(r: CorpusRecord, testFraction: number, seed = 1): 'train' | 'test' {
  const h = Math.imul(r.key ^ seed, 2654435761) >>> 0;
  return h / 4294967296 < testFraction ? 'test' : 'train';
}

/** Serializes a record back to a JSONL line (format of shared/data). */
export function recordToLine(r: CorpusRecord): string {
  return JSON.stringify({ source: r.source, label: r.label ? 'attack' : 'benign', class: r.klass, method: r.view.method,
    path: r.view.path, query: r.view.query, headers: Object.fromEntries(r.view.headers), body: r.view.body });
}

/** Which records a command uses: random-split side and source filters (sources are never features). */
export interface RecordSelection {
  readonly split?: 'train' | 'test' | 'all';
  readonly testFraction?: number;
  readonly onlySources?: readonly string[];
  readonly excludeSources?: readonly string[];
}

/** Filters records by selection. Pure. */
export function selectRecords(records: readonly CorpusRecord[], sel: RecordSelection): CorpusRecord[] {
  const tf = sel.testFraction ?? 0.2;
  const only = sel.onlySources && sel.onlySources.length > 0 ? new Set(sel.onlySources) : undefined;
  const excl = new Set(sel.excludeSources ?? []);
  return records.filter((r) => (only === undefined || only.has(r.source)) && !excl.has(r.source)
    && (sel.split === undefined || sel.split === 'all' || splitSide(r, tf) === sel.split));
}
