// Shield e2e: block vs detect mode, exclusions, bans (admin API, TTL, persistence), auto-ban,
// rate limiting, body limits, metrics, decision log, hot reload.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEcho, startShield, request } from './harness.js';

const SQLI = `/search?q=${encodeURIComponent("1' OR '1'='1' --")}`;
const XSS = `/search?q=${encodeURIComponent('<script>alert(document.cookie)</script>')}`;

async function admin(base: string, token: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const r = await request(base + path, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  return { status: r.status, json: JSON.parse(r.body.toString() || 'null') };
}

test('block mode: attacks get 403 with a request id (HTML, or JSON on API routes); benign passes', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url, 'routes:\n  - prefix: /api\n    api: true\n');
  t.after(async () => { await sh.stop(); await echo.close(); });
  const before = echo.hits;
  const a = await request(sh.base + SQLI);
  assert.equal(a.status, 403);
  assert.match(String(a.headers['x-jirachi-request-id']), /^[0-9a-f-]{36}$/);
  assert.match(String(a.headers['content-type']), /text\/html/);
  assert.ok(!a.body.toString().includes("'1'='1'"), 'block page does not echo the payload');
  const j = await request(sh.base + '/api' + XSS);
  assert.equal(j.status, 403);
  assert.equal(JSON.parse(j.body.toString()).error, 'blocked');
  assert.equal(echo.hits, before, 'blocked requests never reach the upstream');
  for (const q of ['blue running shoes', "O'Brien", 'select a union plan', 'café crème ✓']) {
    assert.equal((await request(`${sh.base}/search?q=${encodeURIComponent(q)}`)).status, 200, q);
  }
  const { gzipSync } = await import('node:zlib');
  const beforeGz = echo.hits;
  const gz = await request(sh.base + '/api/q', { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify({ q: "' OR 1=1--" })) });
  assert.equal(gz.status, 415, 'a compressed body cannot be inspected, so it is refused');
  assert.equal(echo.hits, beforeGz, 'refused requests never reach the upstream');
  const form = await request(sh.base + '/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `user=x&comment=${encodeURIComponent("1' UNION SELECT password FROM users --")}` });
  assert.equal(form.status, 403, 'attack in a form body is blocked');
});

test('DECEIVE: a route with onBlock: deceive answers attacks with the decoy, never the upstream', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url, 'routes:\n  - prefix: /search\n    onBlock: deceive\n  - prefix: /api\n    api: true\n    onBlock: deceive\n');
  t.after(async () => { await sh.stop(); await echo.close(); });
  const before = echo.hits;
  const r = await request(sh.base + SQLI);
  assert.equal(r.status, 200);
  assert.match(r.body.toString(), /No results found/);
  assert.equal(r.headers['x-jirachi-request-id'], undefined, 'the decoy does not reveal the shield');
  const j = await request(sh.base + '/api' + XSS);
  assert.deepEqual(JSON.parse(j.body.toString()), { results: [], total: 0 });
  assert.equal(echo.hits, before);
  assert.equal((await request(sh.base + '/search?q=shoes')).status, 200);
  assert.equal(echo.hits, before + 1);
  const m = (await request(sh.admin + '/metrics')).body.toString();
  assert.match(m, /verdict="DECEIVE"\} 2/);
});

test('detect mode forwards everything but counts wouldBlock; logs say so', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url, 'mode: detect\n');
  t.after(async () => { await sh.stop(); await echo.close(); });
  assert.equal((await request(sh.base + SQLI)).status, 200);
  const m = (await request(sh.admin + '/metrics')).body.toString();
  assert.match(m, /jirachi_would_block_total\{route="default"\} 1/);
  assert.match(m, /jirachi_requests_total\{mode="detect",route="default",verdict="ALLOW"\} 1/);
  assert.match(m, /jirachi_findings_total\{class="sqli"/);
  await sh.shield.stop(1000);
  const lines = readFileSync(join(sh.dir, 'decisions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const ev = lines.find((l) => l.wouldBlock);
  assert.ok(ev, 'a wouldBlock event was logged');
  assert.equal(ev.mode, 'detect'); assert.equal(ev.verdict, 'ALLOW'); assert.ok(ev.findings.length > 0);
  assert.ok(ev.findings.every((f: { rule: string; part: string }) => f.rule && f.part));
});

test('per-route modes and exclusions', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url, [
    'routes:',
    '  - prefix: /legacy',
    '    mode: off',
    '  - prefix: /report',
    '    mode: detect',
    '  - prefix: /cms',
    '    exclusions:',
    '      - detector: sqli',
    '        param: body_sql',
    '      - detector: ml',  // the model scores the whole request: it has no parameter to match
  ].join('\n') + '\n');
  t.after(async () => { await sh.stop(); await echo.close(); });
  assert.equal((await request(sh.base + '/legacy' + SQLI)).status, 200);
  assert.equal((await request(sh.base + '/report' + SQLI)).status, 200);
  assert.equal((await request(sh.base + SQLI)).status, 403);
  const q = encodeURIComponent("1' OR '1'='1' --");
  // Findings on the excluded parameter are dropped; the same payload elsewhere still blocks.
  const x = await request(`${sh.base}/cms/save?body_sql=${q}`);
  const explainIfFail = x.status === 200 ? '' : x.body.toString().slice(0, 200);
  assert.equal(x.status, 200, explainIfFail);
  assert.equal((await request(`${sh.base}/cms/save?other=${q}`)).status, 403);
});

test('bans: admin API needs the token; ban → 403; TTL expiry; unban; persisted across restart', async (t) => {
  const echo = await startEcho();
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-bans-e2e-'));
  let sh = await startShield(echo.url, '', dir);
  t.after(async () => { await sh.stop(); await echo.close(); rmSync(dir, { recursive: true, force: true }); });
  assert.equal((await admin(sh.admin, null, 'GET', '/admin/bans')).status, 401);
  assert.equal((await admin(sh.admin, 'wrong-token-wrong-token', 'GET', '/admin/bans')).status, 401);
  assert.equal((await admin(sh.admin, sh.token, 'POST', '/admin/bans', { target: 'banana' })).status, 400);
  assert.equal((await admin(sh.admin, sh.token, 'POST', '/admin/bans', { target: '127.0.0.1', ttlSeconds: 1.2, reason: 'test' })).status, 201);
  const b = await request(sh.base + '/x');
  assert.equal(b.status, 403);
  assert.ok(b.headers['x-jirachi-request-id']);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await request(sh.base + '/x')).status, 200, 'ban expired');
  assert.equal((await admin(sh.admin, sh.token, 'POST', '/admin/bans', { target: '127.0.0.0/8', reason: 'range' })).status, 201);
  assert.equal((await request(sh.base + '/x')).status, 403);
  await sh.stop();
  sh = await startShield(echo.url, '', dir);
  assert.equal((await request(sh.base + '/x')).status, 403, 'CIDR ban survived the restart');
  const list = await admin(sh.admin, sh.token, 'GET', '/admin/bans');
  assert.equal(list.json.bans[0].target, '127.0.0.0/8');
  assert.equal((await admin(sh.admin, sh.token, 'DELETE', `/admin/bans/${encodeURIComponent('127.0.0.0/8')}`)).status, 200);
  assert.equal((await request(sh.base + '/x')).status, 200);
});

test('allowlist wins over bans; automatic ban after N blocked requests', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url, 'bans:\n  auto:\n    threshold: 3\n    windowSeconds: 60\n    banSeconds: 60\n');
  t.after(async () => { await sh.stop(); await echo.close(); });
  for (let i = 0; i < 3; i++) assert.equal((await request(sh.base + SQLI)).status, 403);
  const r = await request(sh.base + '/benign');
  assert.equal(r.status, 403, 'auto-banned after 3 blocks');
  assert.match(r.body.toString(), /address is blocked/);
  const bans = sh.shield.context.bans.list();
  assert.equal(bans[0]?.source, 'auto');
  appendFileSync(sh.configFile, 'allowlist: [127.0.0.1]\n');
  assert.deepEqual(sh.shield.reload(), []);
  assert.equal((await request(sh.base + '/benign')).status, 200, 'allowlist wins over the ban');
});

test('rate limit: 429 with Retry-After once the bucket is empty', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url, 'rateLimit:\n  enabled: true\n  ratePerSec: 1\n  burst: 5\n');
  t.after(async () => { await sh.stop(); await echo.close(); });
  const codes: number[] = [];
  for (let i = 0; i < 8; i++) codes.push((await request(sh.base + '/r')).status);
  assert.deepEqual(codes.slice(0, 5), [200, 200, 200, 200, 200]);
  assert.ok(codes.slice(5).every((c) => c === 429));
  const r = await request(sh.base + '/r');
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers['retry-after']) >= 1);
});

test('body limits: 413 over the maximum; reject policy beyond the inspection limit', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url, 'limits:\n  maxBodyBytes: 100000\n  inspectBodyBytes: 1000\n  overInspectLimit: reject\n');
  t.after(async () => { await sh.stop(); await echo.close(); });
  assert.equal((await request(sh.base + '/u', { method: 'POST', body: Buffer.alloc(200_000), headers: { 'content-type': 'application/octet-stream' } })).status, 413);
  assert.equal((await request(sh.base + '/u', { method: 'POST', body: 'a=' + 'b'.repeat(5000), headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 413);
  assert.equal((await request(sh.base + '/u', { method: 'POST', body: 'a=' + 'b'.repeat(500), headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status, 200);
  assert.equal((await request(sh.base + '/u', { method: 'POST', body: Buffer.alloc(50_000), headers: { 'content-type': 'application/octet-stream' } })).status, 200, 'binary types are not held to the inspection limit');
});

test('hot reload swaps the config; a bad config is refused and the old one stays', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url);
  t.after(async () => { await sh.stop(); await echo.close(); });
  assert.equal((await request(sh.base + SQLI)).status, 403);
  const text = readFileSync(sh.configFile, 'utf8');
  writeFileSync(sh.configFile, text + 'mode: sometimes\n');
  const errors = sh.shield.reload();
  assert.equal(errors.length, 1);
  assert.match(errors[0]!, /shield\.yaml:\d+ mode: /);
  assert.equal((await request(sh.base + SQLI)).status, 403, 'old config still active');
  writeFileSync(sh.configFile, text + 'mode: detect\n');
  const r = await request(sh.admin + '/admin/reload', { method: 'POST', headers: { authorization: `Bearer ${sh.token}` } });
  assert.equal(r.status, 200);
  assert.equal((await request(sh.base + SQLI)).status, 200, 'new config active');
});

test('a method override cannot move a request into a weaker route: the stricter route of the two methods applies', async (t) => {
  const echo = await startEcho();
  const routes = [
    'routes:',
    '  - prefix: /api',
    '    methods: [POST]',
    '    mode: off',
    '  - prefix: /api',
    '    methods: [DELETE]',
    '    mode: block',
    '  - prefix: /v2',
    '    methods: [DELETE]',
    '    mode: off',
    // Many blocked requests from one address: no automatic ban in the middle of the test.
    'bans:',
    '  auto:',
    '    enabled: false',
  ].join('\n') + '\n';
  const sh = await startShield(echo.url, routes);
  t.after(async () => { await sh.stop(); await echo.close(); });
  const q = `?q=${encodeURIComponent("1' OR '1'='1' --")}`;
  assert.equal((await request(`${sh.base}/api/items${q}`, { method: 'POST' })).status, 200, 'the POST route is off');
  // The upstream may run this POST as a DELETE (Express method-override, Symfony, ASP.NET): the DELETE route's block mode applies.
  for (const h of ['x-http-method-override', 'X-HTTP-Method', 'x-method-override']) {
    assert.equal((await request(`${sh.base}/api/items${q}`, { method: 'POST', headers: { [h]: 'delete' } })).status, 403, h);
  }
  assert.equal((await request(`${sh.base}/api/items${q}&_method=DELETE`, { method: 'POST' })).status, 403, '_method query parameter');
  assert.equal((await request(`${sh.base}/api/items${q}`, { method: 'POST', headers: { 'x-http-method-override': 'PATCH, DELETE' } })).status, 403, 'joined repeated header');
  // And an override towards a weaker route does not weaken it: POST /v2 is under the default (block) route.
  assert.equal((await request(`${sh.base}/v2/items${q}`, { method: 'POST', headers: { 'x-http-method-override': 'DELETE' } })).status, 403);
  assert.equal((await request(`${sh.base}/v2/items${q}`, { method: 'DELETE' })).status, 200, 'the DELETE route of /v2 is off');
  // A `_method` field in a form, multipart or JSON body (Rails, Laravel) counts too, on both HTTP servers.
  const other = await startShield(echo.url, routes + 'fastPath: false\n');
  t.after(() => other.stop());
  const bodies: Array<[string, string]> = [
    ['application/x-www-form-urlencoded', 'name=x&_method=delete'],
    ['multipart/form-data; boundary=b', '--b\r\ncontent-disposition: form-data; name="_method"\r\n\r\nDELETE\r\n--b--\r\n'],
    ['application/json', '{"name":"x","_method":"DELETE"}'],
    ['text/json', '{"name":"x","\\u005fmethod":"DELETE"}'],
    ['', 'name=x&%5Fmethod=DELETE'],
  ];
  for (const shield of [sh, other]) {
    for (const [type, body] of bodies) {
      const headers = type ? { 'content-type': type } : {};
      assert.equal((await request(`${shield.base}/api/items${q}`, { method: 'POST', headers, body })).status, 403, `${type} _method field`);
      assert.equal((await request(`${shield.base}/api/items${q}`, { method: 'POST', headers, body: body.replace(/_method|%5Fmethod|u005fmethod/g, '_mode') })).status, 200, `${type} without the field`);
    }
    // A body the shield cannot read (compressed) may hide the field: the strictest route applies (it refuses such bodies).
    assert.equal((await request(`${shield.base}/api/items`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-encoding': 'gzip' }, body: 'xx' })).status, 415);
  }
});

test('case variants of a path get the stricter of the exact and the case-folded route (IIS serves /ADMIN as /admin)', async (t) => {
  const echo = await startEcho();
  const sh = await startShield(echo.url, 'mode: off\nroutes:\n  - prefix: /admin\n    mode: block\n  - prefix: /Reports\n    mode: block\n');
  t.after(async () => { await sh.stop(); await echo.close(); });
  const q = `?q=${encodeURIComponent("1' OR '1'='1' --")}`;
  for (const p of ['/admin/users', '/ADMIN/users', '/Admin/users', '/%41dmin/users', '/reports/q3', '/REPORTS/q3']) {
    assert.equal((await request(`${sh.base}${p}${q}`)).status, 403, p);
  }
  assert.equal((await request(`${sh.base}/shop/Admin${q}`)).status, 200, 'other paths stay on the default (off) route');
});
