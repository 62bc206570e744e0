// Wire framing of federation messages: a JSON part plus binary blobs (parameter vectors), and the signed request frame.

import { err, ok, type Result } from '../../core/index.js';

/** A message: JSON metadata and raw binary blobs (e.g. Float64Array bytes). */
export interface Body {
  readonly json: unknown;
  readonly blobs: readonly Buffer[];
}

/** Upper bounds that keep a malicious peer from making us allocate without limit. */
export const WIRE_LIMITS = { maxJsonBytes: 16 << 20, maxBlobs: 64, maxMessageBytes: 256 << 20 } as const;

/** Encodes a body: u32 json length, json, u32 blob count, then (u32 length, bytes) per blob. */
export function encodeBody(b: Body): Buffer {
  const json = Buffer.from(JSON.stringify(b.json ?? null));
  const parts: Buffer[] = [u32(json.length), json, u32(b.blobs.length)];
  for (const blob of b.blobs) parts.push(u32(blob.length), blob);
  return Buffer.concat(parts);
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** Decodes a body, checking every length against the buffer and the limits. Never throws. */
export function decodeBody(buf: Buffer): Result<Body, string> {
  if (buf.length > WIRE_LIMITS.maxMessageBytes) return err('message too large');
  let off = 0;
  const take = (n: number): Buffer | undefined => {
    if (off + n > buf.length) return undefined;
    const s = buf.subarray(off, off + n);
    off += n;
    return s;
  };
  const jl = take(4)?.readUInt32BE();
  if (jl === undefined || jl > WIRE_LIMITS.maxJsonBytes) return err('bad json length');
  const jb = take(jl);
  if (!jb) return err('truncated json');
  let json: unknown;
  try { json = JSON.parse(jb.toString('utf8')); } catch { return err('invalid json'); }
  const n = take(4)?.readUInt32BE();
  if (n === undefined || n > WIRE_LIMITS.maxBlobs) return err('bad blob count');
  const blobs: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    const l = take(4)?.readUInt32BE();
    const blob = l === undefined ? undefined : take(l);
    if (!blob) return err('truncated blob');
    blobs.push(blob);
  }
  if (off !== buf.length) return err('trailing bytes');
  return ok({ json, blobs });
}

/** A request frame: u32 auth length, auth JSON, then the encoded body (which the signature covers). */
export function encodeRequest(auth: unknown, body: Buffer): Buffer {
  const a = Buffer.from(JSON.stringify(auth));
  return Buffer.concat([u32(a.length), a, body]);
}

/** Splits a request frame into its auth object and body bytes. Never throws. */
export function decodeRequest(buf: Buffer): Result<{ auth: unknown; body: Buffer }, string> {
  if (buf.length < 4) return err('truncated frame');
  const al = buf.readUInt32BE(0);
  if (al > 4096 || 4 + al > buf.length) return err('bad auth length');
  try {
    return ok({ auth: JSON.parse(buf.subarray(4, 4 + al).toString('utf8')), body: buf.subarray(4 + al) });
  } catch {
    return err('invalid auth json');
  }
}

/** Float64Array → its little-endian bytes (a copy). */
export function vectorToBlob(v: Float64Array): Buffer {
  const b = Buffer.alloc(v.length * 8);
  for (let i = 0; i < v.length; i++) b.writeDoubleLE(v[i] as number, i * 8);
  return b;
}

/** Bytes → Float64Array; error unless the length is a multiple of 8 and every value is finite. */
export function blobToVector(b: Buffer): Result<Float64Array, string> {
  if (b.length % 8 !== 0) return err('vector blob length not a multiple of 8');
  const v = new Float64Array(b.length / 8);
  for (let i = 0; i < v.length; i++) {
    const x = b.readDoubleLE(i * 8);
    if (!Number.isFinite(x)) return err('vector holds a non-finite value');
    v[i] = x;
  }
  return ok(v);
}

/** BigUint64Array → little-endian bytes. */
export function wordsToBlob(v: BigUint64Array): Buffer {
  const b = Buffer.alloc(v.length * 8);
  for (let i = 0; i < v.length; i++) b.writeBigUInt64LE(v[i] as bigint, i * 8);
  return b;
}

/** Bytes → BigUint64Array; error unless the length is a multiple of 8. */
export function blobToWords(b: Buffer): Result<BigUint64Array, string> {
  if (b.length % 8 !== 0) return err('word blob length not a multiple of 8');
  const v = new BigUint64Array(b.length / 8);
  for (let i = 0; i < v.length; i++) v[i] = b.readBigUInt64LE(i * 8);
  return ok(v);
}
