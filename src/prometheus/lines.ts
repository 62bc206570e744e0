// Streaming line reader for log files: gzip by magic bytes, bounded line length, byte progress, rotation order.

import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createGunzip } from 'node:zlib';

/** One line of a file, or a marker that a line exceeded the limit (its content is dropped). */
export type LineItem = { readonly line: string; readonly tooLong: false } | { readonly line: ''; readonly tooLong: true };

/** Options of readLines. `onBytes` receives compressed bytes read so far (for progress). */
export interface ReadLinesOptions {
  readonly maxLineBytes: number;
  readonly onBytes?: (bytesRead: number) => void;
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    const { bytesRead } = await fh.read(b, 0, 2, 0);
    return bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * Yields the lines of a file (plain or gzip), without the newline, CR stripped. A line longer than
 * maxLineBytes yields one tooLong marker and is skipped without buffering it. Memory stays bounded
 * by maxLineBytes plus one chunk. Throws on I/O errors (missing file, corrupt gzip).
 */
export async function* readLines(path: string, opts: ReadLinesOptions): AsyncGenerator<LineItem> {
  const gz = await isGzip(path);
  const raw = createReadStream(path, { highWaterMark: 1 << 20 });
  let read = 0;
  const src = gz ? raw.pipe(createGunzip()) : raw;
  raw.on('data', (c: Buffer | string) => { read += c.length; opts.onBytes?.(read); });
  raw.on('error', (e) => src.destroy(e));
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false;
  const flush = (): LineItem => {
    let buf = Buffer.concat(parts, size);
    if (buf.length > 0 && buf[buf.length - 1] === 0x0d) buf = buf.subarray(0, buf.length - 1);
    parts = []; size = 0;
    return { line: buf.toString('utf8'), tooLong: false };
  };
  for await (const chunk of src as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      if (!skipping) {
        if (size + (end - start) > opts.maxLineBytes) {
          skipping = true; parts = []; size = 0;
          yield { line: '', tooLong: true };
        } else if (end > start) { parts.push(chunk.subarray(start, end)); size += end - start; }
      }
      if (nl < 0) break;
      if (skipping) skipping = false;
      else yield flush();
      start = nl + 1;
    }
  }
  if (!skipping && size > 0) yield flush();
}

/**
 * Expands a log path into its rotation set, oldest first: `name.N[.gz]` (higher N is older) and
 * `name-YYYYMMDD[.gz]` (dateext, ascending), then `name` itself if it exists. Throws on I/O errors.
 */
export async function rotationSet(path: string): Promise<string[]> {
  const dir = dirname(path);
  const base = basename(path);
  const numbered: Array<[number, string]> = [];
  const dated: Array<[string, string]> = [];
  for (const name of await readdir(dir)) {
    if (!name.startsWith(base) || name === base) continue;
    const rest = name.slice(base.length);
    const n = /^\.(\d{1,6})(\.gz)?$/.exec(rest);
    if (n) { numbered.push([Number(n[1]), join(dir, name)]); continue; }
    const d = /^-(\d{8,10})(\.gz)?$/.exec(rest);
    if (d) dated.push([d[1] as string, join(dir, name)]);
  }
  numbered.sort((a, b) => b[0] - a[0]);
  dated.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const out = [...dated.map((x) => x[1]), ...numbered.map((x) => x[1])];
  try {
    if ((await stat(path)).isFile()) out.push(path);
  } catch { /* only rotated files remain */ }
  return out;
}
