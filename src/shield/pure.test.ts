// Unit tests of the shield's pure pieces: framing, client IP, rate limiter, header rewriting, redaction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Allowlist } from '../decisions/index.js';
import { checkFraming, rateKey, resolveClientIp, RateLimiter, RateAuthority, upstreamHeaders, downstreamRawHeaders, redactSecrets, requestSample } from './index.js';
import { methodOverrides } from './method-override.js';

test('framing: only plain chunked TE on HTTP/1.1, one Host, origin-form targets', () => {
  assert.equal(checkFraming('1.1', '/a?b', ['Host', 'x', 'Transfer-Encoding', 'chunked']), null);
  assert.equal(checkFraming('1.1', '/a', ['Host', 'x', 'Transfer-Encoding', 'Chunked ']), null);
  assert.equal(checkFraming('1.1', '/a', ['Host', 'x', 'Transfer-Encoding', 'gzip, chunked'])?.status, 501);
  assert.equal(checkFraming('1.0', '/a', ['Host', 'x', 'transfer-encoding', 'chunked'])?.code, 'te-http10');
  assert.equal(checkFraming('1.1', '/a', ['Host', 'x', 'host', 'y'])?.code, 'host-duplicate');
  assert.equal(checkFraming('1.1', 'http://evil/', ['Host', 'x'])?.code, 'target-form');
  assert.equal(checkFraming('1.1', '*', ['Host', 'x'])?.code, 'target-form');
});

test('rate-limit keys: an IPv4 address itself, an IPv6 address its /64', () => {
  assert.equal(rateKey('198.18.0.7'), '198.18.0.7');
  assert.equal(rateKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(rateKey('2001:db8:1:2:ffff:ffff:ffff:ffff'), rateKey('2001:db8:1:2::9'));
  assert.notEqual(rateKey('2001:db8:1:3::1'), rateKey('2001:db8:1:2::1'));
  assert.equal(rateKey('::1'), '::1');
  assert.notEqual(rateKey('::2'), rateKey('::1'));
  assert.equal(rateKey('64:ff9b::c000:201'), '192.0.2.1');
  assert.equal(rateKey('64:ff9b::192.0.2.9'), '192.0.2.9');
  assert.equal(rateKey('::ffff:7f00:1'), '127.0.0.1');
  assert.equal(rateKey('64:ff9b:1::c000:205'), '192.0.2.5');
});

test('client IP: XFF believed only from trusted proxies, rightmost untrusted hop', () => {
  const none = new Allowlist([]);
  const trusted = new Allowlist(['10.0.0.0/8', '::1']);
  assert.equal(resolveClientIp('::ffff:198.18.0.5', '6.6.6.6', none), '198.18.0.5');
  assert.equal(resolveClientIp('10.0.0.2', '6.6.6.6, 198.18.0.9, 10.0.0.7', trusted), '198.18.0.9');
  assert.equal(resolveClientIp('10.0.0.2', '10.1.1.1, 10.0.0.7', trusted), '10.1.1.1');
  assert.equal(resolveClientIp('198.18.0.4', '6.6.6.6', trusted), '198.18.0.4', 'untrusted peer: XFF ignored');
  assert.equal(resolveClientIp('10.0.0.2', undefined, trusted), '10.0.0.2');
  assert.equal(resolveClientIp(undefined, undefined, none), '0.0.0.0');
});

test('rate limiter: burst, refill, Retry-After, bounded memory', () => {
  const rl = new RateLimiter(2, 3, 100);
  const t0 = 1_000_000;
  assert.deepEqual([0, 1, 2, 3].map(() => rl.take('a', t0).allowed), [true, true, true, false]);
  assert.equal(rl.take('a', t0).retryAfterS, 1);
  assert.equal(rl.take('a', t0 + 500).allowed, true, 'one token back after 0.5 s at 2/s');
  assert.equal(rl.take('b', t0).allowed, true, 'buckets are per key');
  for (let i = 0; i < 1000; i++) rl.take(`k${i}`, t0);
  assert.ok(rl.size <= 100);
  rl.reconfigure(100, 1);
  assert.equal(rl.take('z', t0).allowed, true);
  assert.equal(rl.take('z', t0).allowed, false);
});

test('upstream headers: hop-by-hop and Connection-named dropped, XFF appended only behind a trusted proxy', () => {
  const raw = ['Host', 'shop', 'Connection', 'keep-alive, X-Drop', 'X-Drop', '1', 'Keep-Alive', 't=5', 'TE', 'trailers', 'Upgrade', 'h2c', 'X-Forwarded-For', '6.6.6.6', 'Accept', 'a', 'Accept', 'b'];
  const out = upstreamHeaders(raw, { clientIp: '198.18.0.1', proto: 'http', host: 'shop', appendXff: false });
  const names = out.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  for (const h of ['connection', 'x-drop', 'keep-alive', 'te', 'upgrade']) assert.ok(!names.includes(h), h);
  assert.deepEqual(out.slice(0, 6), ['Host', 'shop', 'Accept', 'a', 'Accept', 'b']);
  assert.equal(out[out.indexOf('x-forwarded-for') + 1], '198.18.0.1');
  const override = ['Host', 'shop', 'X-Original-URL', '/admin', 'x-rewrite-url', '/admin', 'X-Real-IP', '10.0.0.1', 'X_Original_URL', '/admin', 'X_Forwarded_For', '1.2.3.4', 'x_real_ip', '10.0.0.2', 'x_custom', 'kept'];
  const sent = (trusted: boolean): string[] => upstreamHeaders(override, { clientIp: '198.18.0.1', proto: 'http', host: 'shop', appendXff: trusted }).filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
  const direct = sent(false), viaProxy = sent(true);
  for (const h of ['x-original-url', 'x-rewrite-url', 'x-real-ip', 'x_original_url', 'x_forwarded_for', 'x_real_ip']) assert.ok(!direct.includes(h), `${h} from an untrusted client is dropped`);
  for (const h of ['x-original-url', 'x-rewrite-url', 'x_original_url', 'x_forwarded_for', 'x_real_ip']) assert.ok(!viaProxy.includes(h), `${h} is dropped even from a trusted proxy`);
  assert.ok(viaProxy.includes('x-real-ip'), 'client identity from a trusted proxy is kept');
  assert.ok(direct.includes('x_custom'), 'other underscore headers pass');
  const behind = upstreamHeaders(raw, { clientIp: '198.18.0.1', proto: 'https', host: 'shop', appendXff: true });
  assert.equal(behind[behind.indexOf('x-forwarded-for') + 1], '6.6.6.6, 198.18.0.1');
  assert.equal(behind[behind.indexOf('x-forwarded-proto') + 1], 'https');
  assert.deepEqual(downstreamRawHeaders(['Set-Cookie', 'a=1', 'Connection', 'close, X-H', 'X-H', 'v', 'Set-Cookie', 'b=2', 'Transfer-Encoding', 'chunked', 'x-ok', '1', 'Content-Length', '5'], false), ['Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'x-ok', '1', 'Content-Length', '5']);
  assert.deepEqual(downstreamRawHeaders(['Content-Length', '5', 'x-ok', '1'], true), ['x-ok', '1']);
});

test('redaction: secrets in query, form and JSON; Authorization and Cookie never logged', () => {
  assert.equal(redactSecrets('user=bob&password=hunter2&x=1'), 'user=bob&password=[redacted]&x=1');
  assert.equal(redactSecrets('{"user":"bob","api_key":"abc123","n":1}'), '{"user":"bob","api_key":"[redacted]","n":1}');
  assert.equal(redactSecrets('access_token=zzz'), 'access_token=[redacted]');
  const s = requestSample('/p', 'q=shoes&sessionid=s3cr3t', { authorization: 'Bearer x', cookie: 'sid=1', 'user-agent': 'UA' }, 'pwd=letmein');
  assert.equal(s.headers['authorization'], '[redacted]');
  assert.equal(s.headers['cookie'], '[redacted]');
  assert.ok(!JSON.stringify(s).includes('s3cr3t') && !JSON.stringify(s).includes('letmein'));
  assert.equal(requestSample('/p', '', {}, 'x'.repeat(10_000)).body.length, 4096);
});

test('body encodings the shield cannot inspect faithfully are refused; identity headers need a trusted peer', async () => {
  const { bodyEncodingError } = await import('./body.js');
  const { loggableExcerpt } = await import('./redact.js');
  assert.equal(bodyEncodingError(['Content-Type', 'application/json']), null);
  assert.equal(bodyEncodingError(['Content-Type', 'application/json', 'Content-Encoding', 'identity']), null);
  assert.equal(bodyEncodingError(['Content-Type', 'application/json', 'Content-Encoding', 'gzip'])?.status, 415);
  assert.equal(bodyEncodingError(['Content-Type', 'application/json; charset=utf-16le'])?.code, 'charset');
  assert.equal(bodyEncodingError(['Content-Type', 'image/png', 'content-type', 'application/json'])?.code, 'header-duplicate');
  const raw = ['Host', 'h', 'X-Real-IP', '1.2.3.4', 'Forwarded', 'for=1.2.3.4', 'True-Client-IP', '1.2.3.4'];
  const untrusted = upstreamHeaders(raw, { clientIp: '198.18.0.1', proto: 'http', host: 'h', appendXff: false });
  assert.deepEqual(untrusted.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase()), ['host', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host']);
  const trusted = upstreamHeaders(raw, { clientIp: '198.18.0.1', proto: 'http', host: 'h', appendXff: true });
  assert.ok(trusted.includes('X-Real-IP'));
  assert.equal(redactSecrets('user%5Bpassword%5D=hunter2&a=1'), 'user%5Bpassword%5D=[redacted]&a=1');
  assert.equal(redactSecrets('user[password]=hunter2'), 'user[password]=[redacted]');
  assert.equal(loggableExcerpt('cookie:sid', 'sid', "1' or 1=1"), '[redacted]');
  assert.equal(loggableExcerpt('body:form.password', 'password', "x' or 1=1"), '[redacted]');
  assert.equal(loggableExcerpt('query:q', 'q', "1' or '1'='1"), "1' or '1'='1");
});

test('rate sharing: usage is reported, the authority charges it and splits the balance among active workers', () => {
  const a = new RateAuthority(1, 10, 1000);
  // Worker 1 took 4 tokens: it gets the whole balance back (it is the only one serving the client).
  assert.deepEqual(a.report(1, [['1.2.3.4', 4]], 0), [['1.2.3.4', 6, 1]]);
  // Worker 2 took 2: balance 4, now split between two active workers.
  assert.deepEqual(a.report(2, [['1.2.3.4', 2]], 0), [['1.2.3.4', 2, 0.5]]);
  // Overspending drives the balance negative and nobody gets tokens until the debt is paid: the debt is
  // split like a balance (-26 / 2) and not forgiven beyond one burst per worker (the floor is two
  // bursts, two workers having reported, plus a minute of refill: -80 / 2 here).
  const [[, b]] = a.report(1, [['1.2.3.4', 30]], 0) as [[string, number, number]];
  assert.equal(b, -13);
  const [[, floor]] = a.report(1, [['1.2.3.4', 1000]], 0) as [[string, number, number]];
  assert.equal(floor, -40);
  // Junk in a report is ignored.
  assert.deepEqual(a.report(1, [['x', Number.NaN], ['y', -1]] as Array<[string, number]>, 0), []);
  const w = new RateLimiter(1, 10, 1000);
  w.trackUsage();
  for (let i = 0; i < 3; i++) assert.ok(w.take('ip', 0).allowed);
  const used = w.drainUsage();
  assert.deepEqual(used, [['ip', 3]]);
  w.take('ip', 0); // taken after the report: subtracted from the balance the primary sends back
  w.applyShared('ip', 2, 0);
  assert.ok(w.take('ip', 0).allowed);
  assert.equal(w.take('ip', 0).allowed, false, 'balance 2 - 1 unreported = 1 token left');
  assert.deepEqual(w.drainUsage(), [['ip', 2]]);
  // With half the rate granted, one second refills half a token per second's worth.
  w.applyShared('ip', 0, 0, 0.5);
  assert.equal(w.take('ip', 1000).allowed, false, '0.5 tokens after 1 s at half of 1/s');
  assert.ok(w.take('ip', 2000).allowed, '1 token after 2 s');
});

test('method overrides: only a POST, only methods frameworks honour, every item of every header (any - or _ spelling) and _method', () => {
  const h = (m: Record<string, string>): string[] => Object.entries(m).flat();
  assert.deepEqual(methodOverrides('POST', h({ 'X-HTTP-Method-Override': ' delete ' }), ''), ['DELETE']);
  assert.deepEqual(methodOverrides('POST', h({ 'x-http-method-override': 'PATCH, DELETE', 'x-http-method': 'PUT' }), ''), ['PATCH', 'DELETE', 'PUT']);
  assert.deepEqual(methodOverrides('POST', h({ 'X_HTTP_METHOD_OVERRIDE': 'delete' }), ''), ['DELETE'], 'CGI maps _ and - alike');
  assert.deepEqual(methodOverrides('POST', h({ 'x-method-override': 'patch' }), 'a=1&_method=DELETE&_method=put'), ['PATCH', 'DELETE', 'PUT']);
  assert.deepEqual(methodOverrides('GET', h({ 'x-http-method-override': 'DELETE' }), '_method=DELETE'), []);
  assert.deepEqual(methodOverrides('POST', h({ 'x-http-method-override': 'TRACE' }), '_method=%zz'), []);
  assert.deepEqual(methodOverrides('POST', [], ''), []);
});

test('method overrides in bodies and queries: every spelling a framework decodes to _method, linear in the text', () => {
  const body = (type: string | undefined, text: string, more: { encoding?: string; complete?: boolean } = {}): string[] =>
    methodOverrides('POST', [], '', { type, text, complete: more.complete ?? true, ...(more.encoding !== undefined ? { encoding: more.encoding } : {}) });
  const form = (text: string): string[] => body('application/x-www-form-urlencoded', text);
  // Forms (and a body without a type, which Rack reads as a form), query strings.
  assert.deepEqual(form('a=1&_method=put'), ['PUT']);
  assert.deepEqual(body(undefined, '_method=DELETE'), ['DELETE']);
  for (const f of ['%5Fmethod=DELETE', '_metho%64=DELETE', '+method=DELETE', '.method=DELETE', '%20_method=DELETE', 'a=1& _method=DELETE', '[_method]=DELETE', '_method]=DELETE', '_method%00x=DELETE', 'a=1;_method=DELETE', '_METHOD=delete']) {
    assert.deepEqual(form(f), ['DELETE'], f);
    assert.deepEqual(methodOverrides('POST', [], f), ['DELETE'], `query ${f}`);
  }
  assert.deepEqual(form('payment_method=card&shipping_method=express'), [], 'values that are no method names do not count');
  assert.deepEqual(body('text/plain', '_method=DELETE'), [], 'types no framework reads fields from');
  // Multipart: any multipart type, CRLF or LF, quoted with " or ' or bare, any name parameter of the part.
  for (const [type, text] of [
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="_method"\r\nContent-Type: text/plain\r\n\r\npatch\r\n--x--'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name=_method\r\n\r\nPATCH\r\n--x--'],
    ['multipart/mixed; boundary=x', "--x\nContent-Disposition: form-data; name='_method'\n\nPATCH\n--x--"],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; filename="a;name=b"; name=" _method"\r\n\r\nPATCH\r\n--x--'],
    ['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\nhello\r\n--x\r\nContent-Disposition: form-data; name="_method"\r\n\r\nPATCH\r\n--x--'],
  ] as const) assert.deepEqual(body(type, text), ['PATCH'], text);
  // JSON: any type that mentions json, keys unescaped, at any depth, scanned without parsing.
  for (const [type, text] of [['application/json', '{"data":{},"_method" : "DELETE"}'], ['text/json', '{"_method":"DELETE"}'], ['text/plain; x=+json', '{"_method":"DELETE"}'], ['application/json', '{"\\u005fmethod":"DELETE"}'], ['application/json', '{"_method":"DELETE","pad":"' + 'x'.repeat(100)]] as const) {
    assert.deepEqual(body(type, text), ['DELETE'], `${type} ${text.slice(0, 40)}`);
  }
  // A body that cannot be read whole here claims every method (the strictest route applies).
  assert.deepEqual(body('application/x-www-form-urlencoded', 'a=1', { encoding: 'gzip' }), ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
  assert.deepEqual(body('application/json', '{"a":1', { complete: false }), ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
  assert.deepEqual(body('application/json', '{"a":1}', { encoding: 'identity' }), []);
  // Linear: 64 KB of adversarial text takes milliseconds, not minutes.
  for (const [type, text] of [['multipart/form-data; boundary=x', '--x\r\nContent-Disposition: ' + 'name='.repeat(13_000)], ['multipart/form-data; boundary=x', 'name=' + 'a'.repeat(65_000) + 'method'], ['application/json', '"method'.repeat(9_000)], ['application/json', '{"a":"\\' + '\\'.repeat(30_000)], ['application/x-www-form-urlencoded', '%'.repeat(65_000) + 'method']] as const) {
    const t0 = process.hrtime.bigint();
    body(type, text);
    assert.ok(Number(process.hrtime.bigint() - t0) / 1e6 < 200, `${type}: ${text.slice(0, 30)}`);
  }
});
