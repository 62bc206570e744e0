// Signed global models: the server signs a canonical encoding with Ed25519; clients refuse unsigned or tampered models.

import { createHash, sign, verify, type KeyObject } from 'node:crypto';
import { err, ok, type Result } from '../../core/index.js';

/** A model as shipped by the server: the model JSON, the round it came from, and the signature. */
export interface SignedModel {
  readonly format: 'jirachi-signed-model';
  readonly round: number;
  readonly model: unknown;
  readonly signer: string;
  readonly sha256: string;
  readonly signature: string;
}

/** Deterministic JSON: object keys sorted, no whitespace. Numbers as JSON.stringify prints them. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(',')}}`;
}

function payload(round: number, signer: string, model: unknown): Buffer {
  return Buffer.from(`jirachi-model-v1\n${round}\n${signer}\n${canonicalJson(model)}`);
}

/** Signs a model for a round. `signer` names the server key (e.g. its public key's fingerprint). */
export function signModel(model: unknown, round: number, signer: string, key: KeyObject): SignedModel {
  const p = payload(round, signer, model);
  return {
    format: 'jirachi-signed-model', round, model, signer,
    sha256: createHash('sha256').update(p).digest('hex'),
    signature: sign(null, p, key).toString('base64'),
  };
}

/** Verifies a signed model against the pinned server key; returns the model. Never throws. */
export function verifySignedModel(v: unknown, serverKey: KeyObject): Result<{ model: unknown; round: number }, string> {
  const s = v as Partial<SignedModel> | null;
  if (!s || s.format !== 'jirachi-signed-model') return err('not a signed model (unsigned models are refused)');
  if (typeof s.round !== 'number' || typeof s.signer !== 'string' || typeof s.signature !== 'string') return err('signed model is malformed');
  let good = false;
  try { good = verify(null, payload(s.round, s.signer, s.model), serverKey, Buffer.from(s.signature, 'base64')); } catch { good = false; }
  if (!good) return err('model signature does not verify (tampered or wrong server key)');
  return ok({ model: s.model, round: s.round });
}
