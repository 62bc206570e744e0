// training_data.csv: the documented column layout, row encoding and a decoder back to examples. Pure.

import { makeRequestView, type RequestView } from '../core/index.js';
import type { LabelOrigin, LogRecord } from './record.js';

/** Turns a request into the model's fixed-length dense feature vector. */
export type Featurize = (view: RequestView) => Float32Array;

/** Options of the CSV layout. */
export interface CsvLayout {
  /** Number of feature columns (the featurizer's output length). */
  readonly featureDim: number;
  /** Adds path, query and user_agent columns (raw attacker text). Off by default. */
  readonly includeRaw: boolean;
}

/**
 * Documented columns, in order. `time`, `format`, `method`, `status` describe the request; `label`
 * is 1 attack / 0 benign / empty unlabeled; `label_origin` is verdict | feedback | decoy | corpus |
 * none; `path`, `query`, `user_agent` only with includeRaw; then `f0`..`f{dim-1}` (the features).
 */
export function csvColumns(layout: CsvLayout): string[] {
  const cols = ['time', 'format', 'method', 'status', 'label', 'label_origin'];
  if (layout.includeRaw) cols.push('path', 'query', 'user_agent');
  for (let i = 0; i < layout.featureDim; i++) cols.push(`f${i}`);
  return cols;
}

/**
 * Quotes a CSV cell (RFC 4180) and defuses spreadsheet formulas: a cell starting with = + - @ or a
 * tab/CR gets a leading apostrophe. Never throws.
 */
export function csvCell(s: string): string {
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Formats a feature value compactly (6 significant digits, integers exact). */
export function formatFeature(v: number): string {
  if (!Number.isFinite(v)) return '0';
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
}

/** The RequestView a record stands for (body as logged, usually empty). Never throws. */
export function recordView(r: LogRecord): RequestView {
  return makeRequestView({
    method: r.method, path: r.path, query: r.query, headers: r.headers, body: r.body, clientIp: r.clientIp,
  });
}

/** Encodes one record as a CSV line (no newline). Throws if the featurizer's length differs from the layout. */
export function csvRow(r: LogRecord, features: Float32Array, layout: CsvLayout): string {
  if (features.length !== layout.featureDim) {
    throw new Error(`featurizer returned ${features.length} values, layout expects ${layout.featureDim}`);
  }
  const cells = [csvCell(r.time), r.format, csvCell(r.method), String(r.status), r.label === null ? '' : String(r.label), r.labelOrigin];
  if (layout.includeRaw) {
    const ua = r.headers.find(([n]) => n === 'user-agent')?.[1] ?? '';
    cells.push(csvCell(r.path), csvCell(r.query), csvCell(ua));
  }
  for (const v of features) cells.push(formatFeature(v));
  return cells.join(',');
}

/** Splits CSV text into records of cells (RFC 4180 quoting, CRLF or LF). Never throws. */
export function splitCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { cell += '"'; i++; } else quoted = false;
      } else cell += c;
    } else if (c === '"' && cell.length === 0) quoted = true;
    else if (c === ',') { row.push(cell); cell = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(cell); cell = '';
      if (row.length > 1 || row[0] !== '') rows.push(row);
      row = [];
    } else cell += c;
  }
  if (cell.length > 0 || row.length > 0) { row.push(cell); rows.push(row); }
  return rows;
}

/** Labeled examples decoded from a training CSV. */
export interface TrainingSet {
  readonly X: Float32Array[];
  readonly y: number[];
  readonly origins: LabelOrigin[];
  readonly featureDim: number;
  /** Rows without a label (skipped) and rows that did not decode (wrong cell count, non-numbers). */
  readonly unlabeled: number;
  readonly bad: number;
}

/**
 * Decodes training_data.csv text into labeled examples. Unlabeled rows are counted and skipped;
 * malformed rows are counted as bad. Returns an error string when the header lacks the columns.
 */
export function decodeTrainingCsv(text: string): TrainingSet | string {
  const rows = splitCsv(text);
  const header = rows[0];
  if (header === undefined) return 'empty CSV';
  const li = header.indexOf('label');
  const oi = header.indexOf('label_origin');
  const fi: number[] = [];
  header.forEach((h, i) => { if (/^f\d+$/.test(h)) fi[Number(h.slice(1))] = i; });
  if (li < 0 || fi.length === 0 || fi.some((x) => x === undefined)) return 'CSV header needs label and f0..fN columns';
  const X: Float32Array[] = [];
  const y: number[] = [];
  const origins: LabelOrigin[] = [];
  let unlabeled = 0;
  let bad = 0;
  for (let r = 1; r < rows.length; r++) {
    const cells = rows[r] as string[];
    if (cells.length !== header.length) { bad++; continue; }
    const lab = cells[li] ?? '';
    if (lab === '') { unlabeled++; continue; }
    if (lab !== '0' && lab !== '1') { bad++; continue; }
    const x = new Float32Array(fi.length);
    let okRow = true;
    for (let j = 0; j < fi.length; j++) {
      const v = Number(cells[fi[j] as number]);
      if (!Number.isFinite(v)) { okRow = false; break; }
      x[j] = v;
    }
    if (!okRow) { bad++; continue; }
    X.push(x);
    y.push(Number(lab));
    origins.push((oi >= 0 ? cells[oi] : 'none') as LabelOrigin);
  }
  return { X, y, origins, featureDim: fi.length, unlabeled, bad };
}
