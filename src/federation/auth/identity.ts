// Ed25519 node identities: key files, the registry of pre-registered nodes, request signing with nonce and replay guard.

import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { err, ok, type Result } from '../../core/index.js';

const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const SIGNING_CONTEXT = 'jirachi-federation-request-v1';

/** A node's signing identity. The private key never leaves the process (and is never logged). */
export interface NodeIdentity {
  readonly nodeId: string;
  readonly privateKey: KeyObject;
  /** Raw 32-byte public key, base64. */
  readonly publicKey: string;
}

/** Creates a fresh Ed25519 identity for `nodeId`. */
export function generateIdentity(nodeId: string): NodeIdentity {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { nodeId, privateKey, publicKey: rawPublicKey(publicKey) };
}

/** Raw base64 of an Ed25519 public key. */
export function rawPublicKey(k: KeyObject): string {
  return (k.export({ format: 'der', type: 'spki' }) as Buffer).subarray(12).toString('base64');
}

/** Parses a raw base64 Ed25519 public key. Returns an error for anything but 32 bytes. */
export function parsePublicKey(b64: string): Result<KeyObject, string> {
  const raw = Buffer.from(b64, 'base64');
  if (raw.length !== 32) return err('Ed25519 public key must be 32 bytes (base64)');
  try {
    return ok(createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' }));
  } catch {
    return err('invalid Ed25519 public key');
  }
}

/** Serializes an identity as a key file (JSON with a PKCS#8 PEM). Caller writes it with mode 0600. */
export function identityToFile(id: NodeIdentity): string {
  const pem = id.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string;
  return JSON.stringify({ nodeId: id.nodeId, publicKey: id.publicKey, privateKey: pem }, null, 2) + '\n';
}

/** Parses a key file written by identityToFile. */
export function identityFromFile(text: string): Result<NodeIdentity, string> {
  try {
    const v = JSON.parse(text) as { nodeId?: unknown; privateKey?: unknown };
    if (typeof v.nodeId !== 'string' || typeof v.privateKey !== 'string') return err('key file needs nodeId and privateKey');
    const privateKey = createPrivateKey(v.privateKey);
    if (privateKey.asymmetricKeyType !== 'ed25519') return err('key file must hold an Ed25519 key');
    return ok({ nodeId: v.nodeId, privateKey, publicKey: rawPublicKey(createPublicKey(privateKey)) });
  } catch {
    return err('unreadable key file');
  }
}

/** Pre-registered nodes: node id → public key. */
export type NodeRegistry = ReadonlyMap<string, KeyObject>;

/** Parses a registry file: `{"nodes":[{"nodeId":"...","publicKey":"<base64>"}]}`. */
export function parseRegistry(text: string): Result<NodeRegistry, string> {
  let v: unknown;
  try { v = JSON.parse(text); } catch { return err('registry is not JSON'); }
  const nodes = (v as { nodes?: unknown } | null)?.nodes;
  if (!Array.isArray(nodes)) return err('registry needs a nodes array');
  const m = new Map<string, KeyObject>();
  for (const n of nodes as Array<{ nodeId?: unknown; publicKey?: unknown }>) {
    if (typeof n?.nodeId !== 'string' || !/^[A-Za-z0-9._-]{1,64}$/.test(n.nodeId) || typeof n.publicKey !== 'string') return err('registry entry needs nodeId and publicKey');
    const k = parsePublicKey(n.publicKey);
    if (!k.ok) return err(`${n.nodeId}: ${k.error}`);
    if (m.has(n.nodeId)) return err(`duplicate node ${n.nodeId}`);
    m.set(n.nodeId, k.value);
  }
  return ok(m);
}

/** The authentication block carried by every request. */
export interface RequestAuth {
  readonly nodeId: string;
  readonly nonce: string;
  readonly ts: number;
  readonly sig: string;
}

function signedBytes(method: string, nodeId: string, nonce: string, ts: number, body: Buffer): Buffer {
  const digest = createHash('sha256').update(body).digest('hex');
  return Buffer.from(`${SIGNING_CONTEXT}\n${method}\n${nodeId}\n${nonce}\n${ts}\n${digest}`);
}

/** Signs a request body for `method` with a fresh 128-bit nonce and the current time. */
export function signRequest(id: NodeIdentity, method: string, body: Buffer, nowMs: number): RequestAuth {
  const nonce = randomBytes(16).toString('hex');
  const sig = sign(null, signedBytes(method, id.nodeId, nonce, nowMs, body), id.privateKey).toString('base64');
  return { nodeId: id.nodeId, nonce, ts: nowMs, sig };
}

/**
 * Remembers nonces for the acceptance window so a captured request cannot be replayed. Memory is
 * bounded by the request rate times the window; expired nonces are pruned on each check.
 */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();
  constructor(readonly windowMs = 60_000) {}

  /** True if (nodeId, nonce) is new and ts is within the window of now; records it. */
  accept(nodeId: string, nonce: string, ts: number, nowMs: number): boolean {
    if (Math.abs(nowMs - ts) > this.windowMs) return false;
    for (const [k, exp] of this.seen) { if (exp > nowMs) break; this.seen.delete(k); }
    const key = `${nodeId}/${nonce}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, nowMs + 2 * this.windowMs);
    return true;
  }
}

/** Why a request was refused. */
export type AuthFailure = 'unknown-node' | 'bad-signature' | 'replay-or-stale' | 'malformed';

/** Verifies a request: known node, valid signature over method/body/nonce/time, fresh nonce. Never throws. */
export function verifyRequest(
  auth: unknown, method: string, body: Buffer, registry: NodeRegistry, guard: ReplayGuard, nowMs: number,
): Result<string, AuthFailure> {
  const a = auth as Partial<RequestAuth> | null;
  if (!a || typeof a.nodeId !== 'string' || typeof a.nonce !== 'string' || !/^[0-9a-f]{32}$/.test(a.nonce)
    || typeof a.ts !== 'number' || typeof a.sig !== 'string') return err('malformed');
  const key = registry.get(a.nodeId);
  if (!key) return err('unknown-node');
  let good = false;
  try { good = verify(null, signedBytes(method, a.nodeId, a.nonce, a.ts, body), key, Buffer.from(a.sig, 'base64')); } catch { good = false; }
  if (!good) return err('bad-signature');
  if (!guard.accept(a.nodeId, a.nonce, a.ts, nowMs)) return err('replay-or-stale');
  return ok(a.nodeId);
}
