// BanStore: persistence across instances, TTL sweep, mirrors kept in step, corrupt files refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../core/index.js';
import { Allowlist, AutoBan, BanStore, MemoryBlocklist } from './index.js';
import { coalesceDelayMs } from './ban-store.js';

test('bans persist atomically and survive a new instance; expired ones do not', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-bans-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bans.json');
  const clock = new ManualClock();
  const a = new BanStore({ file, clock });
  assert.ok(a.add('198.18.0.1', { ttlMs: null, reason: 'manual', source: 'manual' }).ok);
  assert.ok(a.add('198.18.1.0/24', { ttlMs: 10_000, reason: 'scan', source: 'auto' }).ok);
  a.flush();
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).bans.length, 2);
  const b = new BanStore({ file, clock });
  assert.deepEqual(b.load(), { ok: true, value: 2 });
  assert.equal(b.match('198.18.1.9')?.reason, 'scan');
  clock.advance(11_000);
  const c = new BanStore({ file, clock });
  assert.deepEqual(c.load(), { ok: true, value: 1 });
  assert.equal(c.match('198.18.1.9'), undefined);
});

test('sweep removes lapsed bans from mirrors too', () => {
  const clock = new ManualClock();
  const mirror = new MemoryBlocklist(new ManualClock(0));
  const s = new BanStore({ file: null, clock, mirrors: [mirror] });
  s.add('198.18.0.2', { ttlMs: 1000, reason: 'x', source: 'auto' });
  s.add('198.18.0.3', { ttlMs: null, reason: 'y', source: 'manual' });
  assert.equal(mirror.stats().exact, 2);
  clock.advance(1500);
  assert.equal(s.sweep(), 1);
  assert.deepEqual(mirror.list().map((b) => b.target), ['198.18.0.3']);
  s.remove('198.18.0.3');
  assert.equal(mirror.stats().exact, 0);
});

test('corrupt ban file is refused with a reason', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-bans-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bans.json');
  writeFileSync(file, '{"format":"jirachi-bans","version":1,"bans":[{"target":"nope"}]}');
  const r = new BanStore({ file }).load();
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.error, /bans\[0\]/);
  writeFileSync(file, '{oops');
  const r2 = new BanStore({ file }).load();
  assert.equal(r2.ok, false);
  if (!r2.ok) assert.ok(r2.error.includes(file), r2.error);
});

test('a corrupt (e.g. empty) ban file under set-aside is moved away, said, and the store starts empty and writable', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-bans-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bans.json');
  writeFileSync(file, '');
  const said: string[] = [];
  const s = new BanStore({ file, onCorrupt: 'set-aside', onError: (m) => said.push(m), clock: new ManualClock(1234) });
  assert.deepEqual(s.load(), { ok: true, value: 0 });
  assert.match(said.join('\n'), /corrupt.*moved to .*bans\.json\.corrupt-1234/);
  assert.deepEqual(readdirSync(dir).sort(), ['bans.json.corrupt-1234']);
  assert.ok(s.add('198.18.0.9', { ttlMs: null, reason: 'manual', source: 'manual' }).ok);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).bans.length, 1);
  // No temp file is left behind by a write.
  assert.deepEqual(readdirSync(dir).sort(), ['bans.json', 'bans.json.corrupt-1234']);
});

test('under set-aside, one invalid entry is skipped and said; the other bans load and the file stays', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-bans-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bans.json');
  writeFileSync(file, JSON.stringify({ format: 'jirachi-bans', version: 1, bans: [
    { target: '198.18.0.1', reason: 'manual', source: 'manual', createdAt: 1, expiresAt: null },
    { target: '198.18.0.0/33', reason: 'x', source: 'manual', createdAt: 1, expiresAt: null },
    { target: '198.18.0.2', reason: 'x', source: { evil: 1 }, createdAt: 1, expiresAt: null },
  ] }));
  const said: string[] = [];
  const s = new BanStore({ file, onCorrupt: 'set-aside', onError: (m) => said.push(m) });
  assert.deepEqual(s.load(), { ok: true, value: 1 });
  assert.equal(s.match('198.18.0.1')?.reason, 'manual');
  assert.match(said.join('\n'), /2 invalid entries skipped/);
  assert.deepEqual(readdirSync(dir), ['bans.json']);
  // Under refuse (fail-closed) the same file is an error naming the entry.
  const r = new BanStore({ file }).load();
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.error, /bans\[1\]/);
});

test('a large bans.static list is applied with one file write, not one per entry', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-bans-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bans.json');
  const s = new BanStore({ file });
  let writes = 0;
  const persist = (s as unknown as { persist: () => void }).persist.bind(s);
  (s as unknown as { persist: () => void }).persist = () => { writes++; persist(); };
  const targets = Array.from({ length: 3000 }, (_, i) => `198.18.${i >> 8}.${i & 255}`);
  s.syncConfigBans(targets);
  assert.equal(writes, 1);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).bans.length, 3000);
  s.syncConfigBans(targets.slice(0, 10));
  assert.equal(writes, 2);
  assert.equal(JSON.parse(readFileSync(file, 'utf8')).bans.length, 10);
  s.syncConfigBans(targets.slice(0, 10));
  assert.equal(writes, 2, 'nothing changed: no write');
});

test('auto-ban triggers at N blocks inside the window only', () => {
  const a = new AutoBan({ threshold: 3, windowMs: 1000 });
  assert.equal(a.record('1.1.1.1', 0), false);
  assert.equal(a.record('1.1.1.1', 500), false);
  assert.equal(a.record('1.1.1.1', 1600), false); // both earlier hits fell out of the window
  assert.equal(a.record('1.1.1.1', 1700), false);
  assert.equal(a.record('1.1.1.1', 1800), true);
  const small = new AutoBan({ threshold: 2, windowMs: 1000, maxTracked: 2 });
  small.record('a', 0); small.record('b', 0); small.record('c', 0);
  assert.equal(small.size, 2);
});

test('allowlist exact and CIDR', () => {
  const al = new Allowlist(['198.18.0.1', '10.0.0.0/8', '2001:db8::/32']);
  assert.ok(al.has('198.18.0.1') && al.has('10.2.3.4') && al.has('2001:db8::9') && al.has('::ffff:10.0.0.1'));
  assert.ok(!al.has('198.18.0.2') && !al.has('junk'));
});

test('config bans follow bans.static; automatic bans stop at the cap', () => {
  const s = new BanStore({ file: null, maxBans: 3 });
  s.syncConfigBans(['198.18.0.1', '198.18.1.0/24']);
  assert.deepEqual(s.list().map((b) => b.target).sort(), ['198.18.0.1', '198.18.1.0/24']);
  s.add('198.18.0.9', { ttlMs: null, reason: 'm', source: 'manual' });
  s.syncConfigBans(['198.18.1.0/24']);
  assert.deepEqual(s.list().map((b) => b.target).sort(), ['198.18.0.9', '198.18.1.0/24'], 'manual bans untouched');
  s.add('198.18.0.10', { ttlMs: null, reason: 'm', source: 'manual' });
  const r = s.add('198.18.0.11', { ttlMs: 1000, reason: 'a', source: 'auto' });
  assert.equal(r.ok, false);
  assert.ok(s.add('198.18.0.12', { ttlMs: null, reason: 'm', source: 'manual' }).ok, 'manual bans still go in');
});

test('automatic bans are written coalesced (one rewrite for a burst), manual ones at once; flush writes what is pending', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-bans-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'bans.json');
  const s = new BanStore({ file, persistDelayMs: 50 });
  const onDisk = (): number => { try { return JSON.parse(readFileSync(file, 'utf8')).bans.length; } catch { return -1; } };
  for (let i = 0; i < 500; i++) assert.ok(s.add(`198.18.${i >> 8}.${i & 255}`, { ttlMs: 60_000, reason: 'auto', source: 'auto' }).ok);
  assert.equal(onDisk(), -1, 'nothing written synchronously for automatic bans');
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(onDisk(), 500, 'one coalesced write carries the whole burst');
  s.add('198.19.0.1', { ttlMs: 60_000, reason: 'auto', source: 'auto' });
  s.add('198.19.0.2', { ttlMs: null, reason: 'manual', source: 'manual' });
  assert.equal(onDisk(), 502, 'a manual ban writes at once, pending automatic ones with it');
  s.add('198.19.0.3', { ttlMs: 60_000, reason: 'auto', source: 'auto' });
  s.flush();
  assert.equal(onDisk(), 503);
});

test('coalesced ban writes stretch with their own cost: at most ~10 % of the time spent writing', () => {
  assert.equal(coalesceDelayMs(250, 0), 250);
  assert.equal(coalesceDelayMs(250, 10), 250);
  assert.equal(coalesceDelayMs(250, 350), 3150);
  const write = 350, delay = coalesceDelayMs(250, write);
  assert.ok(write / (write + delay) <= 0.1 + 1e-9);
});

test('a ban or allowlist entry on an IPv4-mapped CIDR matches the IPv4 clients it names', () => {
  const s = new BanStore({ file: null });
  const r = s.add('::ffff:127.0.0.0/120', { ttlMs: 100_000, reason: 'x', source: 'manual' });
  assert.ok(r.ok);
  assert.equal(r.ok && r.value.target, '127.0.0.0/24');
  for (const ip of ['127.0.0.3', '::ffff:127.0.0.3', '::ffff:7f00:3']) assert.equal(s.match(ip)?.target, '127.0.0.0/24', ip);
  assert.equal(s.match('127.0.1.3'), undefined);
  const refused = s.add('::ffff:127.0.0.0/80', { ttlMs: null, reason: 'x', source: 'manual' });
  assert.ok(!refused.ok && /shorter than \/96/.test(refused.error));
  assert.equal(s.list().length, 1, 'nothing added for a refused target');
  const al = new Allowlist(['::ffff:10.1.0.0/112']);
  assert.ok(al.has('10.1.2.3') && al.has('::ffff:10.1.2.3') && !al.has('10.2.0.1'));
});

test('a ban TTL that is not a finite positive number is refused, nothing added', () => {
  const s = new BanStore({ file: null });
  for (const ttlMs of [Infinity, NaN, 0, -5]) {
    const r = s.add('198.18.0.1', { ttlMs, reason: 'x', source: 'manual' });
    assert.equal(r.ok, false, String(ttlMs));
  }
  assert.equal(s.list().length, 0);
});
