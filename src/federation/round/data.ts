// Loads a node's training data (training_data.csv or a labeled JSONL corpus, gzip ok) and splits off validation.

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { err, ok, makeRequestView, type RequestView, type Result } from '../../core/index.js';
import { decodeTrainingCsv } from '../../prometheus/index.js';
import type { Dataset } from './types.js';

/** A loaded dataset and how many lines were skipped. */
export interface LoadedData extends Dataset {
  readonly skipped: number;
}

/** One labeled corpus line → request view and label; undefined for malformed lines. */
export function corpusExample(line: string): { view: RequestView; label: number } | undefined {
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    if (o['label'] !== 'attack' && o['label'] !== 'benign') return undefined;
    const h = o['headers'];
    return {
      view: makeRequestView({
        method: typeof o['method'] === 'string' ? o['method'] : 'GET', path: typeof o['path'] === 'string' ? o['path'] : '/',
        query: typeof o['query'] === 'string' ? o['query'] : '', body: typeof o['body'] === 'string' ? o['body'] : '',
        headers: h && typeof h === 'object' && !Array.isArray(h) ? Object.fromEntries(Object.entries(h).filter(([, v]) => typeof v === 'string')) as Record<string, string> : {},
      }),
      label: o['label'] === 'attack' ? 1 : 0,
    };
  } catch {
    return undefined;
  }
}

/**
 * Reads `path`: a `.csv` is decoded as training_data.csv (features already computed); anything else
 * is a JSONL corpus (`label` attack|benign plus request fields; `id`, `source`, `meta` are ignored)
 * featurized with `featurize`. Gzip is detected by magic bytes. I/O errors become an error value.
 */
export async function loadDataset(path: string, featurize: (v: RequestView) => Float32Array): Promise<Result<LoadedData, string>> {
  let buf: Buffer;
  try { buf = await readFile(path); } catch (e) { return err(`cannot read ${path}: ${(e as Error).message}`); }
  if (buf[0] === 0x1f && buf[1] === 0x8b) buf = gunzipSync(buf);
  const text = buf.toString('utf8');
  if (/\.csv(\.gz)?$/.test(path)) {
    const d = decodeTrainingCsv(text);
    return typeof d === 'string' ? err(`${path}: ${d}`) : ok({ X: d.X, y: d.y, skipped: d.unlabeled + d.bad });
  }
  const X: Float32Array[] = [];
  const y: number[] = [];
  let skipped = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const ex = corpusExample(line);
    if (!ex) { skipped++; continue; }
    X.push(featurize(ex.view));
    y.push(ex.label);
  }
  return ok({ X, y, skipped });
}

/** Deterministically splits off a validation fraction (by a hash of index and seed). Pure. */
export function splitValidation(d: Dataset, fraction: number, seed: string): { train: Dataset; validation: Dataset } {
  const tr: { X: Float32Array[]; y: number[] } = { X: [], y: [] };
  const va: { X: Float32Array[]; y: number[] } = { X: [], y: [] };
  d.X.forEach((x, i) => {
    const h = createHash('sha256').update(`${seed}:${i}`).digest().readUInt32BE(0) / 2 ** 32;
    const t = h < fraction ? va : tr;
    t.X.push(x);
    t.y.push(d.y[i] as number);
  });
  return { train: tr, validation: va };
}
