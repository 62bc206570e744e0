// Secure aggregation (Bonawitz et al. 2017, semi-honest server): pairwise X25519 masks, self masks, Shamir-shared dropout recovery.

import {
  createCipheriv, createDecipheriv, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, randomBytes,
  type KeyObject,
} from 'node:crypto';
import { err, ok, type Result } from '../../core/index.js';
import { combineShares, splitSecret, type Share } from './shamir.js';
import { addMaskInPlace, deriveKey, encodeFixed, expandMask } from './masking.js';

const SPKI_X25519 = Buffer.from('302a300506032b656e032100', 'hex');
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** A participant's public keys for one round: c for encrypting shares, s for pairwise masks (raw, base64). */
export interface AdvertisedKeys {
  readonly nodeId: string;
  readonly cPk: string;
  readonly sPk: string;
}

/** The shares one survivor reveals: self-mask seeds of survivors, mask keys of dropped nodes. */
export interface Reveal {
  readonly from: string;
  readonly selfMask: Record<string, string>;
  readonly maskKey: Record<string, string>;
}

function pub(rawB64: string): KeyObject {
  const raw = Buffer.from(rawB64, 'base64');
  if (raw.length !== 32) throw new Error('X25519 public key must be 32 bytes');
  return createPublicKey({ key: Buffer.concat([SPKI_X25519, raw]), format: 'der', type: 'spki' });
}

function priv(raw: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_X25519, raw]), format: 'der', type: 'pkcs8' });
}

function rawPub(k: KeyObject): string {
  return (k.export({ format: 'der', type: 'spki' }) as Buffer).subarray(12).toString('base64');
}

function rawPriv(k: KeyObject): Buffer {
  return (k.export({ format: 'der', type: 'pkcs8' }) as Buffer).subarray(16);
}

function shareToText(s: Share): string { return `${s.x}:${s.y.toString(16)}`; }
function textToShare(t: string): Share | undefined {
  const m = /^(\d{1,6}):([0-9a-f]{1,140})$/.exec(t);
  return m ? { x: Number(m[1]), y: BigInt('0x' + m[2]) } : undefined;
}

/** Pairwise mask key between two s-keys; symmetric in the two parties. */
function pairKey(mySk: KeyObject, theirPk: string, salt: Buffer): Buffer {
  return deriveKey(diffieHellman({ privateKey: mySk, publicKey: pub(theirPk) }), salt, 'pair-mask');
}

/** One client's side of secure aggregation for one round. Methods must be called in order. */
export class SecAggClient {
  private readonly c = generateKeyPairSync('x25519');
  private readonly s = generateKeyPairSync('x25519');
  private readonly selfSeed = randomBytes(32);
  private peers: AdvertisedKeys[] = [];
  private received = new Map<string, { s: string; b: string }>();

  constructor(readonly nodeId: string, private readonly salt: Buffer, private readonly threshold: number) {}

  /** Step 0: the keys to advertise. */
  advertise(): AdvertisedKeys {
    return { nodeId: this.nodeId, cPk: rawPub(this.c.publicKey), sPk: rawPub(this.s.publicKey) };
  }

  /** Step 1: Shamir-shares the mask key and self-mask seed, each share encrypted to its peer (AES-256-GCM). */
  shareKeys(peers: readonly AdvertisedKeys[]): Result<Record<string, string>, string> {
    const ids = peers.map((p) => p.nodeId).sort();
    if (new Set(ids).size !== ids.length || !ids.includes(this.nodeId)) return err('peer list must be unique and include this node');
    if (peers.length < this.threshold) return err(`only ${peers.length} peers, threshold ${this.threshold}`);
    this.peers = [...peers].sort((a, b) => (a.nodeId < b.nodeId ? -1 : 1));
    const xs = this.peers.map((_, i) => i + 1);
    const sShares = splitSecret(rawPriv(this.s.privateKey), xs, this.threshold);
    const bShares = splitSecret(this.selfSeed, xs, this.threshold);
    const out: Record<string, string> = {};
    this.peers.forEach((p, i) => {
      const key = deriveKey(diffieHellman({ privateKey: this.c.privateKey, publicKey: pub(p.cPk) }), this.salt, 'share-enc');
      const iv = randomBytes(12);
      const g = createCipheriv('aes-256-gcm', key, iv);
      g.setAAD(Buffer.from(`${this.nodeId}|${p.nodeId}`));
      const body = JSON.stringify({ s: shareToText(sShares[i] as Share), b: shareToText(bShares[i] as Share) });
      const ct = Buffer.concat([g.update(body), g.final()]);
      out[p.nodeId] = Buffer.concat([iv, g.getAuthTag(), ct]).toString('base64');
    });
    return ok(out);
  }

  /** Step 2: decrypts the shares addressed to it (from the nodes in u2) and masks the input vector. */
  maskInput(x: ArrayLike<number>, u2: readonly string[], sharesForMe: Readonly<Record<string, string>>): Result<BigUint64Array, string> {
    if (u2.length < this.threshold || !u2.includes(this.nodeId)) return err('too few nodes shared keys');
    for (const from of u2) {
      const peer = this.peers.find((p) => p.nodeId === from);
      const box = sharesForMe[from];
      if (!peer || box === undefined) return err(`missing share from ${from}`);
      const dec = this.open(peer, box);
      if (!dec.ok) return dec;
      this.received.set(from, dec.value);
    }
    const y = encodeFixed(x);
    addMaskInPlace(y, expandMask(deriveKey(this.selfSeed, this.salt, 'self-mask'), y.length), 1);
    for (const p of this.peers) {
      if (p.nodeId === this.nodeId || !u2.includes(p.nodeId)) continue;
      addMaskInPlace(y, expandMask(pairKey(this.s.privateKey, p.sPk, this.salt), y.length), this.nodeId < p.nodeId ? 1 : -1);
    }
    return ok(y);
  }

  private open(peer: AdvertisedKeys, box: string): Result<{ s: string; b: string }, string> {
    try {
      const raw = Buffer.from(box, 'base64');
      const key = deriveKey(diffieHellman({ privateKey: this.c.privateKey, publicKey: pub(peer.cPk) }), this.salt, 'share-enc');
      const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
      d.setAuthTag(raw.subarray(12, 28));
      d.setAAD(Buffer.from(`${peer.nodeId}|${this.nodeId}`));
      const v = JSON.parse(Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString()) as { s?: unknown; b?: unknown };
      if (typeof v.s !== 'string' || typeof v.b !== 'string') return err(`malformed share from ${peer.nodeId}`);
      return ok({ s: v.s, b: v.b });
    } catch {
      return err(`share from ${peer.nodeId} failed authentication`);
    }
  }

  /**
   * Step 3: given the nodes whose masked input reached the server (u3 ⊆ u2), reveals the self-mask
   * share of each survivor and the mask-key share of each dropped node, never both for one node.
   */
  unmask(u2: readonly string[], u3: readonly string[]): Result<Reveal, string> {
    if (u3.length < this.threshold) return err('too few survivors to unmask safely');
    if (u3.some((id) => !u2.includes(id))) return err('survivor list is not a subset of the sharing list');
    const selfMask: Record<string, string> = {};
    const maskKey: Record<string, string> = {};
    for (const id of u2) {
      const sh = this.received.get(id);
      if (!sh) return err(`no share held for ${id}`);
      if (u3.includes(id)) selfMask[id] = sh.b;
      else maskKey[id] = sh.s;
    }
    return ok({ from: this.nodeId, selfMask, maskKey });
  }
}

/** Inputs of the server's unmasking. */
export interface UnmaskInput {
  readonly salt: Buffer;
  readonly threshold: number;
  readonly length: number;
  readonly peers: readonly AdvertisedKeys[];
  readonly u2: readonly string[];
  readonly u3: readonly string[];
  /** Masked inputs of the survivors (u3). */
  readonly masked: ReadonlyMap<string, BigUint64Array>;
  readonly reveals: readonly Reveal[];
}

function gather(reveals: readonly Reveal[], pick: (r: Reveal) => string | undefined): Share[] {
  const out: Share[] = [];
  const seen = new Set<number>();
  for (const r of reveals) {
    const t = pick(r);
    const s = t === undefined ? undefined : textToShare(t);
    if (s && !seen.has(s.x)) { seen.add(s.x); out.push(s); }
  }
  return out;
}

/**
 * The server's last step: sums the survivors' masked inputs, removes their self masks and the
 * pairwise masks they share with dropped nodes, and returns the exact fixed-point sum of the
 * survivors' inputs (mod 2^64). Fails when fewer than threshold shares are available for a node.
 */
export function unmaskSum(inp: UnmaskInput): Result<BigUint64Array, string> {
  const sum = new BigUint64Array(inp.length);
  for (const id of inp.u3) {
    const y = inp.masked.get(id);
    if (!y || y.length !== inp.length) return err(`masked input of ${id} missing or wrong length`);
    addMaskInPlace(sum, y, 1);
  }
  for (const id of inp.u3) {
    const shares = gather(inp.reveals, (r) => r.selfMask[id]);
    if (shares.length < inp.threshold) return err(`only ${shares.length} self-mask shares for ${id}`);
    const seed = combineShares(shares.slice(0, inp.threshold), 32);
    addMaskInPlace(sum, expandMask(deriveKey(seed, inp.salt, 'self-mask'), inp.length), -1);
  }
  for (const d of inp.u2.filter((id) => !inp.u3.includes(id))) {
    const shares = gather(inp.reveals, (r) => r.maskKey[d]);
    if (shares.length < inp.threshold) return err(`only ${shares.length} mask-key shares for dropped ${d}`);
    const sk = priv(combineShares(shares.slice(0, inp.threshold), 32));
    for (const k of inp.u3) {
      const pk = inp.peers.find((p) => p.nodeId === k)?.sPk;
      if (pk === undefined) return err(`no keys for ${k}`);
      // k added +mask if k < d, −mask otherwise; undo it.
      addMaskInPlace(sum, expandMask(pairKey(sk, pk, inp.salt), inp.length), k < d ? -1 : 1);
    }
  }
  return ok(sum);
}
