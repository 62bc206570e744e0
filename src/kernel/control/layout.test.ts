// Checks the TypeScript mirror (layout.ts) against the C header shared with the XDP program.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BPF_DIR } from './paths.js';
import { FAMILY, SHARED, STRUCTS, decodeBan, encodeBan, decodeConfig, encodeConfig, fastV4Key, keyOf, prefixOfKey } from './layout.js';
import { parsePrefix, formatPrefix } from '../../decisions/index.js';

const header = readFileSync(join(BPF_DIR, 'jirachi_shared.h'), 'utf8');
const TYPE_SIZE: Record<string, number> = { __u8: 1, char: 1, __u16: 2, __u32: 4, __u64: 8 };

function defines(): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of header.matchAll(/^#define\s+(JIRACHI_\w+)\s+(-?\d+)\b/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** C layout of a struct of scalar fields and arrays: natural alignment, size rounded to the largest. */
function structLayout(name: string, defs: Map<string, number>): { size: number; fields: Record<string, number> } {
  const m = new RegExp(`struct ${name} \\{([^}]*)\\};`).exec(header);
  assert.ok(m, `struct ${name} in header`);
  const fields: Record<string, number> = {};
  let off = 0, maxAlign = 1;
  for (const line of m[1]!.split('\n')) {
    const f = /^\s*(\w+)\s+(\w+)(?:\[(\w+)\])?;/.exec(line);
    if (!f) continue;
    const size = TYPE_SIZE[f[1]!];
    assert.ok(size, `known type ${f[1]}`);
    const count = f[3] === undefined ? 1 : Number(/^\d+$/.test(f[3]) ? f[3] : defs.get(f[3]));
    off = Math.ceil(off / size) * size;
    fields[f[2]!] = off;
    off += size * count;
    maxAlign = Math.max(maxAlign, size);
  }
  return { size: Math.ceil(off / maxAlign) * maxAlign, fields };
}

test('every #define in the shared header has the same value in layout.ts', () => {
  const defs = defines();
  assert.ok(defs.size >= 15);
  for (const [k, v] of defs) {
    if (k.endsWith('_H')) continue;
    assert.equal((SHARED as Record<string, number>)[k], v, k);
  }
  for (const k of Object.keys(SHARED)) assert.ok(defs.has(k), `${k} is in the header`);
});

test('struct layouts in layout.ts match the header', () => {
  const defs = defines();
  for (const [name, mirror] of Object.entries(STRUCTS)) {
    assert.deepEqual(structLayout(name, defs), { size: mirror.size, fields: mirror.fields }, name);
  }
  const inHeader = [...header.matchAll(/^struct (jirachi_\w+) \{/gm)].map((m) => m[1]).sort();
  assert.deepEqual(inHeader, Object.keys(STRUCTS).sort());
});

test('ban values round-trip, reasons are cut at a character boundary', () => {
  const buf = Buffer.alloc(STRUCTS.jirachi_ban.size);
  const ban = { target: '198.18.0.1', reason: 'é'.repeat(40), source: 'brain' as const, createdAt: 1_700_000_000_123, expiresAt: 1_700_000_060_000 };
  const v = decodeBan(encodeBan(ban, 32, 123, buf));
  assert.equal(v.expiresNs, 123n);
  assert.equal(v.expiresMs, ban.expiresAt);
  assert.equal(v.createdMs, ban.createdAt);
  assert.equal(v.source, 'brain');
  assert.equal(v.prefixlen, 32);
  assert.equal(v.reason, 'é'.repeat(32));
  const far = decodeBan(encodeBan(ban, 32, 2 ** 53 - 1, buf)).expiresNs;
  assert.equal(far, 2n ** 53n - 1n, 'ns deadlines are written exactly without BigInt');
  assert.equal(decodeBan(encodeBan({ ...ban, expiresAt: null }, 24, 0, buf)).expiresMs, null);
});

test('keys: IPv4 keys are 4 bytes, IPv6 keys 16, and both round-trip', () => {
  for (const t of ['198.18.0.1', '198.18.4.0/22', '0.0.0.0/0', '2001:db8::/32', '2001:db8::1', '::/0', '::ffff:198.18.0.1']) {
    const p = parsePrefix(t);
    assert.ok(p.ok);
    const k = keyOf(p.value);
    assert.equal(k.addr.length, k.family === 4 ? 4 : 16);
    assert.equal(formatPrefix(prefixOfKey(k.addr, k.prefixlen)), formatPrefix(p.value));
  }
  const k = keyOf((parsePrefix('198.18.0.1') as { value: Parameters<typeof keyOf>[0] }).value);
  assert.deepEqual([...k.addr], [198, 18, 0, 1]);
  assert.equal(k.prefixlen, 32);
  assert.equal(FAMILY[4].bits, 32);
  assert.equal(FAMILY[6].bits, 128);
});

test('rate configuration round-trips and keeps the allowlist flags', () => {
  const buf = Buffer.alloc(STRUCTS.jirachi_config.size);
  const allow = SHARED.JIRACHI_F_ALLOW4 | SHARED.JIRACHI_F_ALLOW6;
  assert.equal(encodeConfig({ enabled: true, pps: 10, burst: 2 }, buf, allow).readUInt32LE(16), allow | SHARED.JIRACHI_F_RATE_LIMIT);
  assert.equal(encodeConfig({ enabled: false, pps: 0, burst: 0 }, buf, allow | SHARED.JIRACHI_F_RATE_LIMIT).readUInt32LE(16), allow);
  assert.deepEqual(decodeConfig(encodeConfig({ enabled: true, pps: 1000, burst: 50 }, buf)), { enabled: true, pps: 1000, burst: 50 });
  assert.deepEqual(decodeConfig(encodeConfig({ enabled: false, pps: 0, burst: 0 }, buf)), { enabled: false, pps: 0, burst: 0 });
});

test('fastV4Key accepts canonical dotted quads only and agrees with parsePrefix', () => {
  const out = new Uint8Array(4);
  for (const t of ['198.18.0.1', '0.0.0.0', '255.255.255.255', '10.200.3.40']) {
    assert.ok(fastV4Key(t, out), t);
    const p = parsePrefix(t);
    assert.ok(p.ok);
    assert.deepEqual([...out], [...keyOf(p.value).addr], t);
  }
  for (const t of ['01.2.3.4', '1.2.3.256', '1.2.3', '1.2.3.4.5', '1.2.3.4/32', ' 1.2.3.4', '1..2.3', '::1', '1.2.3.4x', '']) {
    assert.equal(fastV4Key(t, out), false, t);
  }
});
