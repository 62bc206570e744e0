// The fast server's request recognizer: what it serves, what it declines, and node's header object.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { nodeHeaders, recognizeRequest } from './h1-request.js';

const LIMITS = { maxHeadBytes: 16_384, maxBodyBytes: 65_536 };
const rec = (s: string | Buffer) => recognizeRequest(Buffer.isBuffer(s) ? s : Buffer.from(s, 'latin1'), LIMITS);

test('a plain GET and a POST with a Content-Length body are recognized whole, with offsets', () => {
  const get = rec('GET /a?b=1 HTTP/1.1\r\nHost: x\r\nAccept:  text/html \r\nX-Empty:\r\n\r\n');
  assert.equal(get.kind, 'request');
  if (get.kind !== 'request') return;
  assert.equal(get.head.method, 'GET');
  assert.equal(get.head.url, '/a?b=1');
  assert.deepEqual(get.head.rawHeaders, ['Host', 'x', 'Accept', 'text/html', 'X-Empty', '']);
  assert.equal(get.head.close, false);
  assert.equal(get.head.bodyStart, get.head.end);
  const two = 'POST /f HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\nconnection: keep-alive, close\r\n\r\nhelloGET / HTTP/1.1\r\nhost: x\r\n\r\n';
  const post = rec(two);
  assert.equal(post.kind, 'request');
  if (post.kind !== 'request') return;
  assert.equal(two.slice(post.head.bodyStart, post.head.end), 'hello');
  assert.equal(post.head.close, true);
  assert.equal(rec(two.slice(post.head.end)).kind, 'request', 'the pipelined request behind it');
});

test('incomplete heads and bodies are partial', () => {
  assert.equal(rec('').kind, 'partial');
  assert.equal(rec('GET / HTTP/1.1\r\nHost: x\r\n').kind, 'partial');
  assert.equal(rec('GET / HTTP/1.1\r\nHo').kind, 'partial');
  assert.equal(rec('GET /a?b').kind, 'partial');
  assert.equal(rec('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc').kind, 'partial');
});

const DECLINED: Array<[string, string]> = [
  ['other method', 'PROPFIND / HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['lower-case method', 'get / HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['HTTP/1.0', 'GET / HTTP/1.0\r\nHost: x\r\n\r\n'],
  ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  ['absolute form', 'GET http://x/ HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['asterisk form', 'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['two spaces', 'GET  / HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['space in target', 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['non-ASCII target', 'GET /\xe9 HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['no host', 'GET / HTTP/1.1\r\nAccept: */*\r\n\r\n'],
  ['two hosts', 'GET / HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n'],
  ['transfer-encoding', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ['CL + TE', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc'],
  ['two content-lengths', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc'],
  ['content-length list', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\nabc'],
  ['signed content-length', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +3\r\n\r\nabc'],
  ['expect', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n'],
  ['upgrade', 'GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n'],
  ['connection upgrade alone', 'GET / HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\n\r\n'],
  ['obs-fold', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n'],
  ['space before colon', 'GET / HTTP/1.1\r\nHost : x\r\n\r\n'],
  ['no colon', 'GET / HTTP/1.1\r\nHost: x\r\nbogus\r\n\r\n'],
  ['bare LF in a value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\nb\r\n\r\n'],
  ['bare CR in a value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n'],
  ['bare LF line ending', 'GET / HTTP/1.1\nHost: x\r\n\r\n'],
  ['bare LF head, not yet ended', 'GET / HTTP/1.1\nHost: x\n'],
  ['bad method, head not yet ended', 'FOO / HTTP/1.1\r\nHo'],
  ['NUL in a complete line, head not yet ended', 'GET / HTTP/1.1\r\nX-A: a\x00b\r\nHo'],
  ['transfer-encoding, head not yet ended', 'POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n'],
  ['NUL in a value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n'],
  ['DEL in a value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x7fb\r\n\r\n'],
  ['obs-text in a value', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: caf\xe9\r\n\r\n'],
  ['bad name character', 'GET / HTTP/1.1\r\nHost: x\r\nX(A): 1\r\n\r\n'],
  ['body over the limit', `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${LIMITS.maxBodyBytes + 1}\r\n\r\n`],
  ['head over the limit', `GET / HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(LIMITS.maxHeadBytes)}\r\n\r\n`],
  ['unterminated head over the limit', `GET / HTTP/1.1\r\nHost: x\r\nX-A: ${'a'.repeat(LIMITS.maxHeadBytes)}`],
  ['too many headers', `GET / HTTP/1.1\r\nHost: x\r\n${'X-A: 1\r\n'.repeat(300)}\r\n`],
];

for (const [name, bytes] of DECLINED) {
  test(`declined (left to node:http): ${name}`, () => { assert.equal(rec(bytes).kind, 'decline'); });
}

test('never throws, and what it recognizes lies inside the bytes given (any input)', () => {
  const piece = fc.constantFrom('GET ', 'POST ', '/', 'a', ' HTTP/1.1', '\r\n', '\n', '\r', ':', ' ', 'Host: x', 'Content-Length: 3', 'Transfer-Encoding: chunked', '\x00', '\xff', 'abc');
  fc.assert(fc.property(fc.array(piece, { maxLength: 40 }), (ps) => {
    const b = Buffer.from(ps.join(''), 'latin1');
    const r = recognizeRequest(b, LIMITS);
    if (r.kind === 'request') assert.ok(r.head.bodyStart <= r.head.end && r.head.end <= b.length);
  }), { numRuns: 2000 });
});

test('nodeHeaders builds the object node:http builds: first wins, cookies joined with "; ", set-cookie as a list, others joined', () => {
  const h = nodeHeaders(['Host', 'a', 'HOST', 'b', 'Cookie', 'x=1', 'cookie', 'y=2', 'Set-Cookie', 'p', 'set-cookie', 'q', 'Accept', 'a/b', 'accept', 'c/d', 'Content-Type', 't1', 'content-type', 't2', 'X-Forwarded-For', '1.1.1.1', 'x-forwarded-for', '2.2.2.2']);
  assert.deepEqual(h, { host: 'a', cookie: 'x=1; y=2', 'set-cookie': ['p', 'q'], accept: 'a/b, c/d', 'content-type': 't1', 'x-forwarded-for': '1.1.1.1, 2.2.2.2' });
});

test('Connection is read as a comma-separated list, as llhttp reads it', () => {
  const close = (v: string): boolean | undefined => { const r = rec(`GET / HTTP/1.1\r\nHost: x\r\nConnection: ${v}\r\n\r\n`); return r.kind === 'request' ? r.head.close : undefined; };
  assert.equal(close('close'), true);
  assert.equal(close('Keep-Alive, CLOSE'), true);
  assert.equal(close('x-a ,close'), true);
  assert.equal(close('keep-alive close'), false);
  assert.equal(close('close foo'), false);
  assert.equal(close('closed'), false);
});

test('nodeHeaders: header names that are Object.prototype members are plain headers', () => {
  assert.deepEqual(nodeHeaders(['Host', 'h', 'constructor', 'x', 'toString', 'y']), { host: 'h', constructor: 'x', tostring: 'y' });
});
