// Admin API: Bearer scheme matched case-insensitively, ban TTLs validated before anything is added, mapped CIDRs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { BanStore } from '../decisions/index.js';
import { Metrics } from '../telemetry/index.js';
import { bearerToken, createAdminServer, MAX_BAN_TTL_SECONDS, parseBanRequest } from './admin.js';

const TOKEN = 'test-token-0123456789abcdef';

test('bearerToken: the scheme is case-insensitive, anything else is no credential', () => {
  for (const h of ['Bearer abc', 'bearer abc', 'BEARER abc', 'bEaReR   abc']) assert.equal(bearerToken(h), 'abc', h);
  for (const h of [undefined, '', 'Bearer', 'Bearerabc', 'Basic YWJj', 'Token abc', ' Bearer abc']) assert.equal(bearerToken(h), null, String(h));
});

test('parseBanRequest: ttlSeconds must be a positive finite number up to 10 years', () => {
  assert.deepEqual(parseBanRequest({ target: '198.18.0.1' }), { ok: true, value: { target: '198.18.0.1', ttlMs: null, reason: 'manual' } });
  assert.deepEqual(parseBanRequest({ target: '198.18.0.1', ttlSeconds: MAX_BAN_TTL_SECONDS, reason: 'r' }),
    { ok: true, value: { target: '198.18.0.1', ttlMs: MAX_BAN_TTL_SECONDS * 1000, reason: 'r' } });
  for (const ttlSeconds of [1e13, 1e308, Infinity, MAX_BAN_TTL_SECONDS + 1, 0, -1, NaN, '60', null]) {
    const r = parseBanRequest({ target: '198.18.0.1', ttlSeconds });
    assert.equal(r.ok, false, String(ttlSeconds));
    if (!r.ok) assert.match(r.error, /^ttlSeconds: expected a positive number of seconds up to 315360000/);
  }
  for (const bad of [null, [], 'x', { target: 1 }, { target: '1.2.3.4', reason: 5 }]) assert.equal(parseBanRequest(bad).ok, false, JSON.stringify(bad));
});

async function withAdmin(fn: (base: string, bans: BanStore) => Promise<void>): Promise<void> {
  const bans = new BanStore({ file: null });
  const server = createAdminServer({
    bans, metrics: new Metrics(), say: () => {}, reload: () => [], status: () => ({ ok: true }), metricsText: () => '',
  }, TOKEN);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try { await fn(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, bans); } finally { await new Promise((r) => server.close(r)); }
}

const post = (base: string, auth: string, body: unknown): Promise<Response> =>
  fetch(`${base}/admin/bans`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('admin API: an overflowing TTL is refused with 400 and nothing is banned', async () => {
  await withAdmin(async (base, bans) => {
    for (const ttlSeconds of [1e13, 1e308, MAX_BAN_TTL_SECONDS + 1]) {
      const res = await post(base, `Bearer ${TOKEN}`, { target: '198.18.0.7', ttlSeconds });
      assert.equal(res.status, 400, String(ttlSeconds));
      assert.match(((await res.json()) as { error: string }).error, /ttlSeconds: expected a positive number of seconds up to 315360000/);
    }
    assert.deepEqual(bans.list(), [], 'no ban was added');
    const ok = await post(base, `Bearer ${TOKEN}`, { target: '198.18.0.7', ttlSeconds: MAX_BAN_TTL_SECONDS });
    assert.equal(ok.status, 201);
    assert.equal(typeof bans.list()[0]?.expiresAt, 'number');
  });
});

test('admin API: the Bearer scheme in any case is accepted, a wrong token is not', async () => {
  await withAdmin(async (base, bans) => {
    assert.equal((await post(base, `bearer ${TOKEN}`, { target: '198.18.0.8' })).status, 201);
    assert.equal((await post(base, `BEARER ${TOKEN}`, { target: '198.18.0.9' })).status, 201);
    const wrong = await post(base, `Bearer ${TOKEN}x`, { target: '198.18.0.10' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('www-authenticate'), 'Bearer');
    assert.equal((await post(base, `Basic ${TOKEN}`, { target: '198.18.0.10' })).status, 401);
    assert.deepEqual(bans.list().map((b) => b.target).sort(), ['198.18.0.8', '198.18.0.9']);
  });
});

test('admin API: a ban on an IPv4-mapped CIDR is stored as IPv4 and matches; a mapped prefix under /96 is refused', async () => {
  await withAdmin(async (base, bans) => {
    const res = await post(base, `Bearer ${TOKEN}`, { target: '::ffff:127.0.0.0/120' });
    assert.equal(res.status, 201);
    assert.equal(((await res.json()) as { ban: { target: string } }).ban.target, '127.0.0.0/24');
    assert.equal(bans.match('127.0.0.3')?.target, '127.0.0.0/24');
    const short = await post(base, `Bearer ${TOKEN}`, { target: '::ffff:127.0.0.0/64' });
    assert.equal(short.status, 400);
    assert.match(((await short.json()) as { error: string }).error, /shorter than \/96/);
    assert.equal(bans.list().length, 1);
  });
});
