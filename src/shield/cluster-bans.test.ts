// Unit tests of cluster ban propagation: deltas not copies, coalescing, bounded backlog, replica fidelity.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock } from '../core/index.js';
import { BanStore, type Ban } from '../decisions/index.js';
import { applyBanMessage, BanFeed, Outbox, type BanMessage, type FeedTimers } from './cluster-bans.js';

/** A hand-driven clock: `after` callbacks run when `advance` passes their time. */
function manualTimers(): FeedTimers & Clock & { t: number; advance(ms: number): void } {
  const due: Array<{ at: number; f: () => void }> = [];
  const m = {
    t: 1_000_000,
    now: () => m.t,
    monoNs: () => BigInt(m.t) * 1_000_000n,
    after: (ms: number, f: () => void) => { due.push({ at: m.t + ms, f }); },
    advance(ms: number) {
      const end = m.t + ms;
      for (;;) {
        due.sort((a, b) => a.at - b.at);
        const next = due[0];
        if (!next || next.at > end) break;
        due.shift();
        m.t = next.at;
        next.f();
      }
      m.t = end;
    },
  };
  return m;
}

/** A worker end: applies what it receives to its own BanStore; `reading` false holds messages until `drain()`. */
function fakeWorker(clock: Clock, reading = true) {
  const store = new BanStore({ file: null, clock });
  const held: Array<{ m: BanMessage; done: () => void }> = [];
  const w = {
    store, reading, received: [] as BanMessage[],
    out: new Outbox<BanMessage>((m, done) => {
      // Delivered through JSON like the IPC channel does.
      const copy = JSON.parse(JSON.stringify(m)) as BanMessage;
      if (w.reading) { w.received.push(copy); applyBanMessage(store, copy, clock.now()); done(); } else held.push({ m: copy, done });
      return true;
    }, 8),
    /** Starts reading: delivers what was held, in order (and what that releases). */
    drain() {
      w.reading = true;
      for (let h = held.shift(); h; h = held.shift()) { w.received.push(h.m); applyBanMessage(store, h.m, clock.now()); h.done(); }
    },
  };
  return w;
}

const view = (bans: Ban[]): string[] => bans.map((b) => `${b.target} ${b.source} ${b.expiresAt}`).sort();

test('ban feed: an auto-ban wave sends each ban once per worker, coalesced, and the replicas match', () => {
  const clock = manualTimers();
  const primary = new BanStore({ file: null, clock });
  primary.add('10.9.0.0/16', { ttlMs: null, reason: 'config', source: 'config' });
  const feed = new BanFeed(primary, 50, clock);
  const ws = [fakeWorker(clock), fakeWorker(clock)];
  ws.forEach((w, i) => feed.follow(i + 1, w.out));
  const N = 2000;
  // One auto-ban per millisecond for 2 s (a wave of new sources).
  for (let i = 0; i < N; i++) {
    const ip = `10.1.${i >> 8}.${i & 255}`;
    assert.ok(primary.add(ip, { ttlMs: 600_000, reason: 'auto', source: 'auto' }).ok);
    feed.touched(ip);
    clock.advance(1);
  }
  clock.advance(100);
  for (const w of ws) {
    assert.deepEqual(view(w.store.list()), view(primary.list()), 'replica equals the primary list');
    // One snapshot (the CIDR) plus at most one delta per 50 ms window: not one message per ban.
    assert.ok(w.received.length <= 1 + N / 50 + 1, `${w.received.length} messages`);
    const entries = w.received.reduce((a, m) => a + (m.t === 'bans' ? m.bans.length : m.add.length + m.remove.length), 0);
    // Copying the whole list per ban would be ~N^2/2 = 2,000,000 entries.
    assert.equal(entries, N + 1, 'each ban sent exactly once');
  }
  // A ban expires: the workers drop it themselves, nothing is sent.
  const before = ws[0]!.received.length;
  primary.add('10.2.0.1', { ttlMs: 1000, reason: 'auto', source: 'auto' });
  feed.touched('10.2.0.1');
  clock.advance(60);
  assert.ok(ws[0]!.store.match('10.2.0.1'), 'new ban replicated');
  clock.advance(1000);
  assert.equal(primary.sweep(), 1);
  feed.lapsed();
  clock.advance(100);
  assert.equal(ws[0]!.store.match('10.2.0.1'), undefined, 'lapsed on the worker too');
  assert.equal(ws[0]!.received.length, before + 1);
});

test('ban feed: manual changes (add, remove) are found by comparing the list; a reload resyncs', () => {
  const clock = manualTimers();
  const primary = new BanStore({ file: null, clock });
  primary.add('192.0.2.1', { ttlMs: null, reason: 'manual', source: 'manual' });
  const feed = new BanFeed(primary, 50, clock);
  const w = fakeWorker(clock);
  feed.follow(1, w.out);
  assert.ok(w.store.match('192.0.2.1'));
  primary.remove('192.0.2.1');
  primary.add('2001:db8::/32', { ttlMs: null, reason: 'manual', source: 'manual' });
  feed.changed();
  clock.advance(0);
  assert.equal(w.store.match('192.0.2.1'), undefined, 'removal reached the worker');
  assert.ok(w.store.match('2001:db8::5'), 'CIDR ban reached the worker');
  assert.deepEqual(w.received.at(-1), { t: 'ban-delta', add: [primary.list()[0]], remove: ['192.0.2.1'] });
  feed.resync();
  assert.equal(w.received.at(-1)?.t, 'bans');
  assert.deepEqual(view(w.store.list()), view(primary.list()));
});

test('ban feed: a worker that does not read gets no backlog beyond the bound, then one fresh snapshot', () => {
  const clock = manualTimers();
  const primary = new BanStore({ file: null, clock });
  const feed = new BanFeed(primary, 50, clock);
  const slow = fakeWorker(clock, false);
  const fast = fakeWorker(clock);
  feed.follow(1, slow.out);
  feed.follow(2, fast.out);
  for (let i = 0; i < 500; i++) {
    const ip = `10.3.${i >> 8}.${i & 255}`;
    primary.add(ip, { ttlMs: 600_000, reason: 'auto', source: 'auto' });
    feed.touched(ip);
    clock.advance(10);
  }
  clock.advance(100);
  assert.equal(slow.out.backlog, 8, 'the backlog stops at the bound (8 here)');
  assert.ok(fast.received.length > 50, 'the reading worker got every delta');
  assert.deepEqual(view(fast.store.list()), view(primary.list()));
  slow.drain();
  // After its backlog: the initial snapshot, 7 deltas, then one snapshot of the whole list.
  assert.equal(slow.received.filter((m) => m.t === 'bans').length, 2);
  assert.equal(slow.received.at(-1)?.t, 'bans');
  assert.deepEqual(view(slow.store.list()), view(primary.list()), 'the slow replica caught up');
  // And it follows the deltas again.
  primary.add('10.4.0.1', { ttlMs: 600_000, reason: 'auto', source: 'auto' });
  feed.touched('10.4.0.1');
  clock.advance(60);
  assert.ok(slow.store.match('10.4.0.1'));
  assert.equal(slow.received.at(-1)?.t, 'ban-delta');
});
