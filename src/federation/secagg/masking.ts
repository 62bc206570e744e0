// Fixed-point encoding mod 2^64 and mask expansion (HKDF-SHA256 + AES-256-CTR) so masks cancel exactly.

import { createCipheriv, hkdfSync } from 'node:crypto';

/** Fixed-point scale: 2^24 (≈ 6e-8 resolution); values up to ±2^39 sum without wrapping. */
export const FIXED_SCALE = 2 ** 24;

/** Encodes reals as two's-complement fixed-point integers mod 2^64. Throws on non-finite values. */
export function encodeFixed(x: ArrayLike<number>, scale = FIXED_SCALE): BigUint64Array {
  const out = new BigUint64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i] as number;
    if (!Number.isFinite(v)) throw new Error('non-finite value');
    out[i] = BigInt.asUintN(64, BigInt(Math.round(v * scale)));
  }
  return out;
}

/** Decodes a fixed-point sum mod 2^64 back to reals (interpreting it as signed). */
export function decodeFixed(x: BigUint64Array, scale = FIXED_SCALE): Float64Array {
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Number(BigInt.asIntN(64, x[i] as bigint)) / scale;
  return out;
}

/** Derives a 32-byte mask key from key material, bound to the round (salt) and purpose (info). */
export function deriveKey(ikm: Buffer, roundSalt: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', ikm, roundSalt, `jirachi/secagg/v1/${info}`, 32));
}

/** Expands a 32-byte key into `length` uniformly random 64-bit words (AES-256-CTR keystream, zero IV: keys are single-use). */
export function expandMask(key: Buffer, length: number): BigUint64Array {
  const c = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  const bytes = Buffer.concat([c.update(Buffer.alloc(length * 8)), c.final()]);
  const out = new BigUint64Array(length);
  for (let i = 0; i < length; i++) out[i] = bytes.readBigUInt64LE(i * 8);
  return out;
}

/** acc += sign·mask (mod 2^64), in place. */
export function addMaskInPlace(acc: BigUint64Array, mask: BigUint64Array, sign: 1 | -1): void {
  for (let i = 0; i < acc.length; i++) {
    acc[i] = sign === 1 ? (acc[i] as bigint) + (mask[i] as bigint) : (acc[i] as bigint) - (mask[i] as bigint);
  }
}
