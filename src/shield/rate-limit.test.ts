// Unit tests of the cluster rate limit: the real worker and authority classes, driven through a
// simulated message flow with delays (deterministic clock, no sleeping).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateAuthority, RateLimiter } from './rate-limit.js';

interface Flow { readonly workers: number; readonly rate: number; readonly burst: number; readonly delayMs: number; readonly reqPerSec: number; readonly seconds: number }

/**
 * One client sending `reqPerSec` requests dealt to the workers in turn. Every 50 ms each worker
 * reports its usage (numbered, as cluster.ts does); the report reaches the authority `delayMs` later
 * and its answer takes as long again. Returns the mean allowed requests per second after the first 5 s.
 */
function flow(f: Flow): number {
  const auth = new RateAuthority(f.rate, f.burst, 1000);
  const ws = Array.from({ length: f.workers }, () => { const l = new RateLimiter(f.rate, f.burst, 1000); l.trackUsage(); return l; });
  const queue: Array<{ at: number; run: (now: number) => void }> = [];
  let allowed = 0, nextReq = 0, n = 0;
  for (let t = 0; t <= f.seconds * 1000; t++) {
    for (let i = 0; i < queue.length;) { if (queue[i]!.at <= t) queue.splice(i, 1)[0]!.run(t); else i++; }
    for (; nextReq <= t; nextReq += 1000 / f.reqPerSec) if (ws[n++ % f.workers]!.take('203.0.113.9', t).allowed && t >= 5000) allowed++;
    if (t % 50 !== 0) continue;
    ws.forEach((l, i) => {
      const r = l.drainReport();
      if (!r) return;
      queue.push({ at: t + f.delayMs, run: (now) => {
        const shares = auth.report(i + 1, r.used, now);
        queue.push({ at: now + f.delayMs, run: (later) => l.applyReply(r.seq, shares, now, later) });
      } });
    });
  }
  return allowed / (f.seconds - 5);
}

test('cluster rate limit: a flood through a slow primary gets no more than the configured rate', () => {
  // The review measured 24/s (500 ms) and 53/s (1 s) for one worker before reports were numbered.
  for (const workers of [1, 2, 4]) for (const delayMs of [0, 200, 500, 1000]) {
    const got = flow({ workers, rate: 10, burst: 20, delayMs, reqPerSec: 1000, seconds: 30 });
    assert.ok(got <= 10.2, `${workers} worker(s), ${delayMs} ms each way: ${got}/s allowed, rate 10/s`);
    // Erring on the strict side (more so with a primary a second behind), but not starving the client.
    assert.ok(got >= (delayMs <= 200 ? 8.5 : 6.5), `${workers} worker(s), ${delayMs} ms each way: only ${got}/s allowed`);
  }
});

test('cluster rate limit: a client just under the rate with a small burst passes as in one process', () => {
  // Rate 10, burst 1, a client at 9.5/s: one process allows all of it; the cluster used to allow ~5.5/s
  // because the authority refilled (and capped at the burst) only when a report arrived.
  const single = new RateLimiter(10, 1, 10);
  let ok = 0;
  for (let i = 0; i < 300; i++) if (single.take('c', Math.floor((i * 1000) / 9.5)).allowed) ok++;
  assert.equal(ok, 300);
  for (const workers of [1, 2, 4]) {
    const got = flow({ workers, rate: 10, burst: 1, delayMs: 1, reqPerSec: 9.5, seconds: 30 });
    assert.ok(got >= 9.4, `${workers} worker(s): ${got}/s of 9.5/s allowed`);
  }
});

test('cluster rate limit: an answer counts the usage still in flight; a debt is kept beyond one burst', () => {
  const auth = new RateAuthority(1, 5, 100);
  const w = new RateLimiter(1, 5, 100);
  w.trackUsage();
  for (let i = 0; i < 5; i++) assert.ok(w.take('c', 0).allowed);
  const r1 = w.drainReport()!;
  assert.deepEqual(r1, { seq: 1, used: [['c', 5, 0]] });
  // Before the answer to report 1 comes back, the bucket refills 2 tokens and they are spent (report 2).
  assert.ok(w.take('c', 1000).allowed);
  assert.ok(w.take('c', 2000).allowed);
  const r2 = w.drainReport()!;
  // The authority answers report 1 at t=2000: 5 - 5 + 2 s of refill = 2; report 2 is not counted in it.
  const a1 = auth.report(1, r1.used, 2000);
  assert.deepEqual(a1, [['c', 2, 1]]);
  w.applyReply(r1.seq, a1, 2000, 2000);
  assert.equal(w.take('c', 2000).allowed, false, 'the 2 tokens of report 2 are in flight: 2 - 2 = 0 left');
  // A worker overspending through another's burst: the debt beyond one burst is kept, not forgiven.
  const b = auth.report(2, [['c', 20, 2000]], 2000);
  assert.equal(b[0]![1], (2 - 20) / 2, 'a debt of 18 tokens, half of it for each of the 2 active workers');
  const a2 = auth.report(1, r2.used, 2000);
  w.applyReply(r2.seq, a2, 2000, 2000);
  const denied = w.take('c', 3000);
  assert.equal(denied.allowed, false);
  // At half of 1/s, this worker's share of the debt (-10, -9.5 a second later) takes 21 s more to reach one token.
  assert.equal(denied.retryAfterS, 21, 'Retry-After counts the refill of this worker\'s share');
});

test('cluster rate limit: answers to unknown or old reports are harmless; the tracked-clients bound follows a reload', () => {
  const w = new RateLimiter(10, 10, 100);
  w.trackUsage();
  w.take('c', 0);
  const r = w.drainReport()!;
  w.applyReply(r.seq + 5, [['c', Number.NaN, 1], ['d', 3, 0]], 0, 0);
  assert.ok(w.take('c', 0).allowed, 'junk shares are ignored');
  w.reconfigure(10, 10, 4);
  for (let i = 0; i < 50; i++) w.take(`k${i}`, 0);
  assert.ok(w.size <= 4, `tracked ${w.size} with maxTracked 4`);
});
