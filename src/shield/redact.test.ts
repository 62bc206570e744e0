// Redaction of decision-log samples: no secret value in any shape reaches the log.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isSecretName, loggableExcerpt, redactBody, redactSecrets, redactUrl, requestSample } from './redact.js';

const SECRET = 'S3CRETvalue';
const leaks = (s: unknown): boolean => JSON.stringify(s).includes(SECRET);

test('secret names: substrings, whole words and camelCase humps; ordinary names pass', () => {
  for (const n of ['password', 'newPassword', 'api_key', 'X-Api-Key', 'access_token', 'private_key', 'credentials', 'jwt', 'pin', 'sig', 'X-Amz-Signature', 'key', 'accessKey', 'code', 'otp', 'cvv', 'card_number', 'sessionid', 'proxy-authorization']) assert.ok(isSecretName(n), n);
  for (const n of ['q', 'user', 'design', 'page', 'sort', 'email', 'category', 'keyboard', 'pinned', 'user-agent', 'referer']) assert.ok(!isSecretName(n), n);
});

test('the review cases: JSON with spaces, escapes, numbers; multipart; XML; GraphQL; long values; Referer; excerpts', () => {
  const json = (b: string) => requestSample('/p', '', { 'content-type': 'application/json' }, b);
  assert.ok(!leaks(json(`{"user":"a","password":"correct horse ${SECRET} staple"}`)));
  assert.ok(!leaks(json(`{"password":"ab\\"cd;${SECRET}&gh"}`)));
  const nums = json('{"otp": 246810, "card_number": 4111111111111111, "cvv":737, "n": 5}');
  assert.ok(!/246810|4111111111111111|737/.test(JSON.stringify(nums)));
  assert.match(nums.body, /"n":5/);
  assert.ok(!leaks(json(`{"private_key":"${SECRET}","credentials":"${SECRET}","jwt":"${SECRET}","pin":"${SECRET}","deep":{"list":[{"token":{"v":"${SECRET}"}}]}}`)));
  assert.ok(!leaks(json(`{"query":"mutation { login(user: \\"a\\", password: \\"${SECRET}\\") }"}`)));
  // A JSON body cut by the inspection limit is not JSON any more: free-text redaction still holds, even on an unterminated value.
  assert.ok(!leaks(requestSample('/p', '', { 'content-type': 'application/json' }, `{"a":"b","password":"x${SECRET}`)));
  const mp = requestSample('/p', '', { 'content-type': 'multipart/form-data; boundary=X' }, `--X\r\nContent-Disposition: form-data; name="password"\r\n\r\n${SECRET}\r\n--X--\r\n`);
  assert.ok(!leaks(mp)); assert.match(mp.body, /not logged/);
  assert.ok(!leaks(requestSample('/p', '', { 'content-type': 'application/xml' }, `<login><user>a</user><password>${SECRET}</password><ns:token a="1">${SECRET}</ns:token></login>`)));
  assert.ok(!leaks(requestSample('/p', `key=${SECRET}&code=${SECRET}&X-Amz-Signature=${SECRET}&sig=${SECRET}&q=shoes`, {}, '')));
  assert.ok(!leaks(requestSample('/p', `access_token=${'A'.repeat(600)}${SECRET}`, {}, '')));
  assert.ok(!leaks(requestSample('/p', `password=abc;${SECRET}`, {}, '')));
  const ref = requestSample('/p', '', { referer: `https://app.example/reset?token=${SECRET}&page=2#access_token=${SECRET}&state=x` }, '');
  assert.ok(!leaks(ref)); assert.match(ref.headers['referer']!, /page=2/);
  assert.equal(loggableExcerpt('header:proxy-authorization', undefined, `basic ${SECRET}' or 1=1`), '[redacted]');
  assert.equal(loggableExcerpt('header:x-api-key', undefined, `${SECRET}' union select 1--`), '[redacted]');
  assert.equal(loggableExcerpt('body:json.user.password', 'user.password', `${SECRET}' or 1=1`), '[redacted]');
  assert.equal(loggableExcerpt('query:q', 'q', "1' or 1=1--"), "1' or 1=1--");
});

test('what is not secret stays readable; samples are cut to 4 KiB after redaction', () => {
  const s = requestSample('/api/v1/products', 'category=books&q=distributed+systems', { 'user-agent': 'UA', cookie: 'sid=1', authorization: 'Bearer x' }, '');
  assert.equal(s.query, 'category=books&q=distributed+systems');
  assert.equal(s.headers['cookie'], '[redacted]'); assert.equal(s.headers['authorization'], '[redacted]');
  assert.equal(redactBody('first_name=Margaret&card_token=tok_1&city=Portland', 'application/x-www-form-urlencoded'), 'first_name=Margaret&card_token=[redacted]&city=Portland');
  assert.equal(redactSecrets('{"user":"bob","api_key":"abc123","n":1}'), '{"user":"bob","api_key":"[redacted]","n":1}');
  assert.equal(redactUrl('https://a.example/x?y=1'), 'https://a.example/x?y=1');
  assert.equal(requestSample('/p', '', {}, 'x'.repeat(10_000)).body.length, 4096);
  assert.equal(requestSample('/p', '', { 'content-type': 'application/json' }, JSON.stringify({ a: 'x'.repeat(20_000) })).body.length, 4096);
});

test('second review: secrets inside URL-valued fields, spaced values, odd encodings, path parameters, userinfo', () => {
  const json = (b: string) => requestSample('/p', '', { 'content-type': 'application/json' }, b);
  assert.ok(!leaks(json(`{"link":"https://app/reset?token=${SECRET}"}`)));
  assert.ok(!leaks(json(`{"redirect_uri":"https://app/cb?code=${SECRET}&state=1"}`)));
  assert.ok(!leaks(requestSample('/p', '', { 'content-type': 'application/x-www-form-urlencoded' }, `next=https%3A%2F%2Fx%2Fcb%3Ftoken%3D${SECRET}&a=1`)));
  assert.ok(!leaks(requestSample('/p', `next=https://x/cb?token=${SECRET}`, {}, '')));
  assert.ok(!leaks(requestSample('/p', '', { referer: `https://a.example/?next=%2Fcb%3Ftoken%3D${SECRET}` }, '')));
  assert.ok(!leaks(requestSample('/p', '', { referer: `https://user:${SECRET}@a.example/x` }, '')));
  assert.ok(!leaks(requestSample(`/x;jsessionid=${SECRET}/y`, '', {}, '')));
  for (const t of [`password: ${SECRET} horse battery`, `Authorization: Bearer ${SECRET}`, `mutation { login(input: {password: "${SECRET}"}) }`, `{"otp":[1,2,"${SECRET}"]`, `{"new password":"${SECRET}"`, `{"pa\u0073sword":"${SECRET}"`]) {
    assert.ok(!leaks(requestSample('/p', '', { 'content-type': 'text/plain' }, t)), t);
  }
  assert.ok(!leaks(json(JSON.stringify({ wrapped: JSON.stringify({ password: SECRET }) }))));
  assert.ok(!leaks(requestSample('/p', `a=1;password=${SECRET}`, {}, '')));
  assert.ok(!leaks(requestSample('/p', `p%2561ssword=${SECRET}&p%61ssword%ZZ=${SECRET}`, {}, '')));
  let deep: unknown = { password: SECRET };
  for (let i = 0; i < 80; i++) deep = { d: deep };
  assert.ok(!leaks(json(JSON.stringify(deep))));
  // __proto__ stays an ordinary key of the sample (its payload is not swallowed by the prototype setter).
  assert.match(json(`{"__proto__":{"q":"' OR 1=1--"}}`).body, /OR 1=1/);
  assert.equal(loggableExcerpt('body:json.next', 'next', `2${SECRET}&token=x <script>`), '[redacted]');
  // Linear: a 1 MiB query of separators is handled in a bounded slice.
  assert.ok(requestSample('/p', 'a&'.repeat(500_000), {}, '').query.length <= 4096);
});

const name = fc.constantFrom('password', 'api_key', 'token', 'secret', 'otp', 'sessionId', 'private_key', 'X-Api-Key', 'pin');
const value = fc.string({ unit: fc.constantFrom('a', 'B', '1', ' ', ';', ',', '&', '"', "'", '\\', ':', '=', '}', ']', '<', '%', '+', 'é'), maxLength: 24 }).map((s) => `${SECRET}${s}`);

test('property: a secret value under a secret name never reaches the sample, in any body shape', () => {
  fc.assert(fc.property(name, value, fc.constantFrom('json', 'form', 'query', 'text', 'xml', 'referer'), (n, v, shape) => {
    const enc = encodeURIComponent(v);
    const s = shape === 'json' ? requestSample('/p', '', { 'content-type': 'application/json' }, JSON.stringify({ a: 1, nested: { [n]: v } }))
      : shape === 'form' ? requestSample('/p', '', { 'content-type': 'application/x-www-form-urlencoded' }, `a=1&${n}=${enc}&b=2`)
        : shape === 'query' ? requestSample('/p', `a=1&${n}=${enc}`, {}, '')
          : shape === 'text' ? requestSample('/p', '', { 'content-type': 'text/plain' }, `note ${n}: "${v.replace(/["\\]/g, '')}" end`)
            : shape === 'xml' ? requestSample('/p', '', { 'content-type': 'text/xml' }, `<r><${n}>${v.replace(/[<]/g, '')}</${n}></r>`)
              : requestSample('/p', '', { referer: `https://x.example/?${n}=${enc}` }, '');
    assert.ok(!leaks(s), `${shape} ${n}=${v}: ${JSON.stringify(s)}`);
  }), { numRuns: 600 });
});

test('redaction is linear on hostile text (no catastrophic backtracking)', () => {
  for (const t of ['a="'.repeat(5000), 'password=' + 'x'.repeat(50_000), '<a '.repeat(10_000), '"k":'.repeat(10_000), '\\"'.repeat(10_000)]) {
    const t0 = process.hrtime.bigint();
    redactSecrets(t); redactBody(t, 'text/plain'); redactBody(t, '');
    assert.ok(Number(process.hrtime.bigint() - t0) < 2e9, `slow on ${t.slice(0, 20)}`);
  }
});
