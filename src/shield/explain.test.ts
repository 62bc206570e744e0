// `jirachi explain` decides a body exactly as the live pipeline does (same pure body stage).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../config/index.js';
import type { Detector, Finding } from '../core/index.js';
import { buildSnapshot } from './context.js';
import { explainRequest, parseExplainInput } from './explain.js';

/** Flags any request whose body contains EVIL (so the tests see exactly which bytes were inspected). */
const probe: Detector = {
  id: 'probe',
  inspect: (v): Finding[] => (v.body.includes('EVIL') ? [{ detector: 'probe', rule: 'p-1', class: 'sqli', score: 10, part: 'body', excerpt: 'EVIL', explanation: 'probe' }] : []),
};

function snapshot(yaml: string) {
  const c = validateConfig(`upstream: http://127.0.0.1:1\n${yaml}`, 'test.yaml');
  if (!c.ok) throw new Error(JSON.stringify(c.error));
  return buildSnapshot(c.value, probe);
}

function explain(raw: string, yaml = 'limits:\n  inspectBodyBytes: 64\n') {
  const v = parseExplainInput(raw);
  if (!v.ok) throw new Error(v.error);
  return explainRequest(v.value, snapshot(yaml), null);
}

const post = (headers: string, body: string): string => `POST /x HTTP/1.1\r\nhost: a\r\n${headers}content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

test('a payload past the inspection limit is not seen (inspect-prefix), or the body is refused (reject)', () => {
  const body = `a=${'x'.repeat(100)}&b=EVIL`;
  const d = explain(post('content-type: application/x-www-form-urlencoded\r\n', body));
  assert.equal(d.decision.verdict, 'ALLOW');
  assert.ok(d.steps.some((s) => s.stage === 'body' && s.outcome.includes('first 64 bytes')));
  const r = explain(post('content-type: application/x-www-form-urlencoded\r\n', body), 'limits:\n  inspectBodyBytes: 64\n  overInspectLimit: reject\n');
  assert.deepEqual([r.decision.verdict, r.decision.reason], ['BLOCK', 'body-too-large']);
});

test('bodies the live shield refuses are refused here too: compressed, two content types, multipart base64 parts', () => {
  assert.equal(explain(post('content-type: application/json\r\ncontent-encoding: gzip\r\n', '{"a":"EVIL"}')).decision.reason, 'protocol:content-encoding');
  assert.equal(explain(post('content-type: application/json\r\ncontent-type: text/plain\r\n', '{"a":1}')).decision.reason, 'protocol:header-duplicate');
  const mp = '--b\r\ncontent-disposition: form-data; name="q"\r\ncontent-transfer-encoding: base64\r\n\r\nRVZJTA==\r\n--b--\r\n';
  const r = explain(post('content-type: multipart/form-data; boundary=b\r\n', mp), 'limits:\n  inspectBodyBytes: 4096\n');
  assert.deepEqual([r.decision.verdict, r.decision.reason], ['BLOCK', 'protocol:transfer-encoding']);
});

test('what counts as the body: JSON under an odd type is inspected; only Content-Length bytes are the body', () => {
  assert.equal(explain(post('content-type: image/json\r\n', '{"q":"EVIL"}')).decision.verdict, 'BLOCK');
  const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001', 'hex').toString('latin1') + 'EVIL';
  assert.equal(explain(post('content-type: image/png\r\n', png), 'limits:\n  inspectBodyBytes: 4096\n').decision.verdict, 'ALLOW');
  assert.equal(explain('POST /x HTTP/1.1\r\nhost: a\r\ncontent-type: text/plain\r\n\r\nEVIL').decision.verdict, 'BLOCK', 'a hand-written request without Content-Length gets its body length');
  assert.equal(explain('POST /x HTTP/1.1\r\nhost: a\r\ncontent-type: text/plain\r\ncontent-length: 3\r\n\r\nabcEVIL').decision.verdict, 'ALLOW', 'only Content-Length bytes are the body');
  assert.equal(explain('{"method":"POST","path":"/x","headers":{"content-type":"text/plain"},"body":"EVIL"}').decision.verdict, 'BLOCK', 'a JSON input body is sent with its length');
});

test('raw bodies are UTF-8 bytes (Content-Length counts bytes); off routes only check the size', () => {
  const body = 'q=ħ EVIL 中文';
  const r = explain(post('content-type: text/plain\r\n', body), 'limits:\n  inspectBodyBytes: 4096\n');
  assert.equal(r.decision.verdict, 'BLOCK', 'the whole UTF-8 body is inspected, not a latin1-cut copy');
  const off = explain(post('content-type: text/plain\r\n', `a=${'x'.repeat(100)}`), 'limits:\n  inspectBodyBytes: 64\n  overInspectLimit: reject\nroutes:\n  - prefix: /x\n    mode: off\n');
  assert.deepEqual([off.decision.verdict, off.decision.reason], ['ALLOW', 'mode-off']);
  const big = explain(post('content-type: text/plain\r\n', 'x'.repeat(200)), 'limits:\n  maxBodyBytes: 100\nroutes:\n  - prefix: /x\n    mode: off\n');
  assert.deepEqual([big.decision.verdict, big.decision.reason], ['BLOCK', 'body-too-large']);
});
