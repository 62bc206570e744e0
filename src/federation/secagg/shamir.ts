// Shamir secret sharing over the prime field GF(2^521 − 1), for secagg dropout recovery.

import { randomBytes } from 'node:crypto';

/** The Mersenne prime 2^521 − 1; any secret of ≤ 64 bytes is a field element. */
export const FIELD_PRIME = (1n << 521n) - 1n;

/** One share: the polynomial evaluated at x (1-based participant index). */
export interface Share {
  readonly x: number;
  readonly y: bigint;
}

function mod(a: bigint): bigint {
  const r = a % FIELD_PRIME;
  return r < 0n ? r + FIELD_PRIME : r;
}

function randomFieldElement(): bigint {
  for (;;) {
    const b = randomBytes(66);
    b[0] = (b[0] as number) & 0x01; // 521 bits
    const v = BigInt('0x' + b.toString('hex'));
    if (v < FIELD_PRIME) return v;
  }
}

function powMod(b: bigint, e: bigint): bigint {
  let r = 1n;
  let x = mod(b);
  while (e > 0n) {
    if (e & 1n) r = (r * x) % FIELD_PRIME;
    x = (x * x) % FIELD_PRIME;
    e >>= 1n;
  }
  return r;
}

/**
 * Splits a secret (≤ 64 bytes) into shares for xs (distinct positive integers) so that any
 * `threshold` of them recover it and fewer reveal nothing. Coefficients come from the CSPRNG.
 * Throws on invalid parameters (caller bug).
 */
export function splitSecret(secret: Buffer, xs: readonly number[], threshold: number): Share[] {
  if (secret.length > 64) throw new Error('secret too long');
  if (threshold < 1 || threshold > xs.length) throw new Error('bad threshold');
  if (new Set(xs).size !== xs.length || xs.some((x) => !(Number.isInteger(x) && x > 0))) throw new Error('bad share points');
  const coeffs = [BigInt('0x' + (secret.toString('hex') || '0'))];
  for (let i = 1; i < threshold; i++) coeffs.push(randomFieldElement());
  return xs.map((x) => {
    let y = 0n;
    const bx = BigInt(x);
    for (let i = coeffs.length - 1; i >= 0; i--) y = mod(y * bx + (coeffs[i] as bigint));
    return { x, y };
  });
}

/**
 * Recovers a secret of `length` bytes from at least threshold shares by Lagrange interpolation at 0.
 * With too few or inconsistent shares the output is garbage (not detectable here). Never throws for
 * distinct x values.
 */
export function combineShares(shares: readonly Share[], length: number): Buffer {
  let s = 0n;
  for (let i = 0; i < shares.length; i++) {
    const si = shares[i] as Share;
    let num = 1n;
    let den = 1n;
    for (let j = 0; j < shares.length; j++) {
      if (i === j) continue;
      const xj = BigInt((shares[j] as Share).x);
      num = mod(num * -xj);
      den = mod(den * (BigInt(si.x) - xj));
    }
    s = mod(s + si.y * num * powMod(den, FIELD_PRIME - 2n));
  }
  const hex = s.toString(16).padStart(length * 2, '0');
  return Buffer.from(hex.slice(-length * 2), 'hex');
}
