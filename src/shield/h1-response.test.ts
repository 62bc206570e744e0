// Upstream response parsing: head rules, framing choice, and chunked decoding under any split of the input.

import test from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BodyReader, parseResponseHead, type BodyFraming } from './h1-response.js';

const head = (text: string, method = 'GET') => parseResponseHead(text, method);

test('status line, headers and framing of ordinary responses', () => {
  const r = head('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5');
  assert.ok(r.ok);
  assert.equal(r.head.status, 200);
  assert.deepEqual(r.head.headers, ['Content-Type', 'text/plain', 'Content-Length', '5']);
  assert.deepEqual(r.head.framing, { kind: 'length', length: 5 });
  assert.equal(r.head.reusable, true);
  const c = head('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked');
  assert.ok(c.ok && c.head.framing.kind === 'chunked' && c.head.reusable);
  const close = head('HTTP/1.1 200 OK\r\nX: 1');
  assert.ok(close.ok && close.head.framing.kind === 'close' && !close.head.reusable, 'no length: body runs to close');
  const reason = head('HTTP/1.1 404');
  assert.ok(reason.ok && reason.head.status === 404, 'reason phrase is optional');
});

test('responses without a body: HEAD, 1xx, 204, 304, and Content-Length 0; reuse only when nothing more can follow', () => {
  for (const [text, method, reusable] of [
    ['HTTP/1.1 200 OK\r\nContent-Length: 10', 'HEAD', false], ['HTTP/1.1 204 No Content', 'GET', true],
    ['HTTP/1.1 304 Not Modified\r\nContent-Length: 10', 'GET', false], ['HTTP/1.1 304 Not Modified', 'GET', true],
    ['HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked', 'GET', false],
    ['HTTP/1.1 100 Continue', 'POST', true], ['HTTP/1.1 200 OK\r\nContent-Length: 0', 'GET', true],
  ] as const) {
    const r = head(text, method);
    assert.ok(r.ok, text);
    assert.equal(r.head.framing.kind, 'none', text);
    assert.equal(r.head.reusable, reusable, text);
  }
});

test('keep-alive rules: Connection: close, HTTP/1.0, and CL with TE are not reused', () => {
  const a = head('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1');
  assert.ok(a.ok && !a.head.reusable);
  const b = head('HTTP/1.0 200 OK\r\nContent-Length: 1');
  assert.ok(b.ok && !b.head.reusable);
  const c = head('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1');
  assert.ok(c.ok && c.head.reusable);
  const d = head('HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked');
  assert.ok(d.ok && d.head.framing.kind === 'chunked' && !d.head.reusable, 'TE wins over CL, connection closed after');
  const f = head('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked');
  assert.ok(f.ok && f.head.framing.kind === 'chunked' && !f.head.reusable, 'HTTP/1.0 with Transfer-Encoding: close after (RFC 9112 §6.1)');
});

test('malformed heads are errors with a reason', () => {
  for (const [text, why] of [
    ['HTTP/2 200 OK', /status line/], ['HTTP/1.1 20 OK', /status line/], ['HTTP/1.1 200 OK\r\n folded', /obs-fold/],
    ['HTTP/1.1 200 OK\r\nBad Name: x', /header name/], ['HTTP/1.1 200 OK\r\nno-colon', /malformed/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2', /conflicting/], ['HTTP/1.1 200 OK\r\nContent-Length: -1', /Content-Length/],
    ['HTTP/1.1 200 OK\r\nContent-Length: 1e3', /Content-Length/], ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked', /Transfer-Encoding/],
    ['HTTP/1.1 200 OK\r\nX: a\u0000b', /invalid characters/], ['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip', /Transfer-Encoding/],
    ['HTTP/1.1 200 OK\r\nContent-Length:\u000b2', /Content-Length/], ['HTTP/1.1 200 OK\r\nTransfer-Encoding: \u00a0chunked', /Transfer-Encoding/],
  ] as const) {
    const r = head(text);
    assert.ok(!r.ok, text);
    assert.match(r.error, why, text);
  }
  const dup = head('HTTP/1.1 200 OK\r\nContent-Length: 4\r\nContent-Length: 4');
  assert.ok(dup.ok && dup.head.framing.kind === 'length', 'identical duplicates are one length');
});

function readAll(framing: BodyFraming, parts: Buffer[]): { body: Buffer; done: boolean; extra: number; error?: string } {
  const out: Buffer[] = [];
  const r = new BodyReader(framing, (c) => out.push(Buffer.from(c)));
  let done = false; let extra = 0;
  for (const p of parts) {
    const f = r.feed(p);
    if (f.error) return { body: Buffer.concat(out), done, extra, error: f.error };
    if (f.done) { done = true; extra += f.extra; }
  }
  return { body: Buffer.concat(out), done, extra };
}

function chunkedEncode(chunks: Buffer[], ext: boolean): Buffer {
  const parts: Buffer[] = [];
  for (const c of chunks) if (c.length) parts.push(Buffer.from(`${c.length.toString(16)}${ext ? ';x=1' : ''}\r\n`), c, Buffer.from('\r\n'));
  parts.push(Buffer.from('0\r\nTrailer-A: 1\r\n\r\n'));
  return Buffer.concat(parts);
}

function splitAt(buf: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = []; let last = 0;
  for (const p of points) { out.push(buf.subarray(last, p)); last = p; }
  out.push(buf.subarray(last));
  return out;
}

test('chunked decoding gives the same bytes under any split of the wire data (property)', () => {
  fc.assert(fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), fc.boolean(), (chunks, cuts, ext) => {
    const bufs = chunks.map((c) => Buffer.from(c));
    const wire = Buffer.concat([chunkedEncode(bufs, ext), Buffer.from('NEXT')]);
    const r = readAll({ kind: 'chunked' }, splitAt(wire, cuts));
    assert.equal(r.error, undefined);
    assert.ok(r.done);
    assert.deepEqual(r.body, Buffer.concat(bufs));
    assert.equal(r.extra, 4, 'bytes after the body are reported, not eaten');
  }), { numRuns: 300 });
});

test('length-delimited bodies stop at the length under any split (property)', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 500 }), fc.array(fc.nat(), { maxLength: 10 }), (body, cuts) => {
    const b = Buffer.from(body);
    const r = readAll({ kind: 'length', length: b.length }, splitAt(Buffer.concat([b, Buffer.from('xy')]), cuts));
    assert.ok(r.done);
    assert.deepEqual(r.body, b);
    assert.equal(r.extra, 2);
  }), { numRuns: 300 });
});

test('broken chunked framing is an error, never a hang or a wrong body', () => {
  for (const [wire, why] of [
    ['zz\r\nabc\r\n0\r\n\r\n', /chunk size/], ['3\r\nabcX\r\n0\r\n\r\n', /CRLF after chunk/], ['3\nabc\r\n0\r\n\r\n', /bare LF/],
    ['-1\r\n', /chunk size/], [`${'1'.repeat(13)}\r\n`, /chunk size/], [`3;${'x'.repeat(5000)}`, /too long/],
  ] as const) {
    const r = readAll({ kind: 'chunked' }, [Buffer.from(wire)]);
    assert.ok(r.error, wire.slice(0, 30));
    assert.match(r.error!, why);
  }
  const trailers = readAll({ kind: 'chunked' }, [Buffer.from('0\r\n' + 'X: y\r\n'.repeat(4000))]);
  assert.match(trailers.error ?? '', /trailers too large/);
});
