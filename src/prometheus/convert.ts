// Log files → training_data.csv as a stream: the I/O shell around the pure formats and CSV encoder.

import { stat } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { LogFormat } from './format.js';
import type { BadLineReason, LogRecord } from './record.js';
import { readLines, rotationSet } from './lines.js';
import { csvColumns, csvRow, recordView, type Featurize } from './training-csv.js';

/** Options of convertLogs. */
export interface ConvertOptions {
  readonly files: readonly string[];
  readonly format: LogFormat;
  readonly featurize: Featurize;
  readonly featureDim: number;
  readonly includeRaw: boolean;
  /** Also read each file's rotated siblings (name.1, name.2.gz, name-20240101.gz), oldest first. */
  readonly rotated: boolean;
  readonly maxLineBytes?: number;
  /** Called at most every ~100 ms with bytes read over total bytes (on disk, compressed). */
  readonly onProgress?: (p: { file: string; bytes: number; totalBytes: number; rows: number }) => void;
}

/** Counts of one conversion. Bad lines are counted by reason and by file, never fatal. */
export interface ConvertStats {
  files: string[];
  lines: number;
  rows: number;
  labeled: { attack: number; benign: number; unlabeled: number };
  origins: Record<string, number>;
  bad: number;
  badByReason: Partial<Record<BadLineReason, number>>;
  /** Up to 10 bad line locations `file:line` (never the content). */
  badSamples: string[];
}

async function write(out: Writable, s: string): Promise<void> {
  if (!out.write(s)) await once(out, 'drain');
}

function countRecord(stats: ConvertStats, r: LogRecord): void {
  stats.rows++;
  if (r.label === 1) stats.labeled.attack++;
  else if (r.label === 0) stats.labeled.benign++;
  else stats.labeled.unlabeled++;
  stats.origins[r.labelOrigin] = (stats.origins[r.labelOrigin] ?? 0) + 1;
}

/**
 * Streams every file (rotation-aware when asked, gzip transparently) through the format, writes the
 * CSV header and one row per good line to `out`, and returns the counts. Bad lines are counted, not
 * fatal; I/O errors (missing file) throw. Does not end `out`.
 */
export async function convertLogs(opts: ConvertOptions, out: Writable): Promise<ConvertStats> {
  const layout = { featureDim: opts.featureDim, includeRaw: opts.includeRaw };
  const files: string[] = [];
  for (const f of opts.files) files.push(...(opts.rotated ? await rotationSet(f) : [f]));
  let totalBytes = 0;
  for (const f of files) totalBytes += (await stat(f)).size;
  const stats: ConvertStats = {
    files, lines: 0, rows: 0, labeled: { attack: 0, benign: 0, unlabeled: 0 }, origins: {}, bad: 0, badByReason: {}, badSamples: [],
  };
  await write(out, csvColumns(layout).join(',') + '\n');
  let doneBytes = 0;
  let lastReport = 0;
  for (const file of files) {
    let lineNo = 0;
    let fileBytes = 0;
    const onBytes = (b: number): void => {
      fileBytes = b;
      const now = Date.now();
      if (opts.onProgress && now - lastReport >= 100) {
        lastReport = now;
        opts.onProgress({ file, bytes: doneBytes + b, totalBytes, rows: stats.rows });
      }
    };
    for await (const item of readLines(file, { maxLineBytes: opts.maxLineBytes ?? 1 << 20, onBytes })) {
      lineNo++;
      if (!item.tooLong && item.line.trim() === '') continue;
      stats.lines++;
      const parsed = item.tooLong ? { ok: false as const, error: { reason: 'too-long' as const, detail: '' } } : opts.format.parse(item.line);
      if (!parsed.ok) {
        stats.bad++;
        stats.badByReason[parsed.error.reason] = (stats.badByReason[parsed.error.reason] ?? 0) + 1;
        if (stats.badSamples.length < 10) stats.badSamples.push(`${file}:${lineNo}`);
        continue;
      }
      countRecord(stats, parsed.value);
      await write(out, csvRow(parsed.value, opts.featurize(recordView(parsed.value)), layout) + '\n');
    }
    doneBytes += fileBytes;
  }
  opts.onProgress?.({ file: files[files.length - 1] ?? '', bytes: doneBytes, totalBytes, rows: stats.rows });
  return stats;
}
