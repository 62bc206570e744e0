// Tests of log formats, CSV encoding/decoding, the streaming reader (gzip, long lines, rotation) and conversion.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PassThrough } from 'node:stream';
import {
  getLogFormat, logFormatNames, parseJirachiLine, parseCombinedLine, csvCell, splitCsv, decodeTrainingCsv,
  readLines, rotationSet, convertLogs, type Featurize,
} from './index.js';

const toyFeaturize: Featurize = (v) => Float32Array.from([v.query.length, v.path.split('/').length, /'/.test(decodeURIComponent(v.query)) ? 1 : 0]);

test('registry has jirachi, nginx and apache', () => {
  assert.deepEqual(logFormatNames(), ['apache', 'jirachi', 'nginx']);
  assert.equal(getLogFormat('nope'), undefined);
});

test('decision log labels: feedback > decoy > verdict; rate limit unlabeled', () => {
  const base = { time: 't', method: 'GET', path: '/a', query: 'q=1' };
  const lab = (o: object) => { const r = parseJirachiLine(JSON.stringify({ ...base, ...o })); assert.ok(r.ok); return [r.value.label, r.value.labelOrigin]; };
  assert.deepEqual(lab({ verdict: 'BLOCK' }), [1, 'verdict']);
  assert.deepEqual(lab({ verdict: 'ALLOW' }), [0, 'verdict']);
  assert.deepEqual(lab({ verdict: 'ALLOW', mode: 'detect', wouldBlock: true }), [1, 'verdict']);
  assert.deepEqual(lab({ verdict: 'DECEIVE' }), [1, 'decoy']);
  assert.deepEqual(lab({ verdict: 'BLOCK', feedback: 'false-positive' }), [0, 'feedback']);
  assert.deepEqual(lab({ verdict: 'RATE_LIMIT' }), [null, 'none']);
  const r = parseJirachiLine(JSON.stringify({ method: 'POST', route: '/x?a=b', verdict: 'ALLOW', upstreamStatus: 201 }));
  assert.ok(r.ok && r.value.path === '/x' && r.value.query === 'a=b' && r.value.status === 201);
  // The shield's VerdictEvent shape: route template plus a redacted request sample.
  const ev = { time: 't', requestId: 'r1', clientIp: '198.18.0.9', method: 'GET', host: 'h', route: '/users/:id', verdict: 'BLOCK', mode: 'block',
    wouldBlock: true, score: 9, reason: 'score>=threshold', findings: [], status: 403, upstreamStatus: null,
    durations: { inspectUs: 1, upstreamMs: null, totalMs: 1 }, request: { path: '/users/7', query: 'q=%27', headers: { 'User-Agent': 'x' }, body: '' } };
  const e = parseJirachiLine(JSON.stringify(ev));
  assert.ok(e.ok);
  assert.deepEqual([e.value.path, e.value.query, e.value.status, e.value.label, e.value.headers], ['/users/7', 'q=%27', 403, 1, [['user-agent', 'x']]]);
  const pe = parseJirachiLine(JSON.stringify({ kind: 'protocol-error', time: 't', clientIp: '1', code: 'x', status: 400, message: 'm' }));
  assert.ok(!pe.ok && pe.error.reason === 'not-request');
});

test('decision log bad lines give a reason', () => {
  const reasons = ['{', '[1]', '{"path":"/"}', '{"method":"G E T","path":"/"}', '{"method":"GET"}'].map((l) => {
    const r = parseJirachiLine(l); assert.ok(!r.ok); return r.error.reason;
  });
  assert.deepEqual(reasons, ['not-json', 'not-object', 'missing-field', 'bad-field', 'missing-field']);
});

test('combined log: nginx \\x escapes, apache common format, malformed request lines', () => {
  const n = parseCombinedLine('10.0.0.1 - - [10/Oct/2024:13:55:36 +0000] "GET /s?q=\\x22a\\x22 HTTP/1.1" 200 12 "-" "curl/8"', 'nginx');
  assert.ok(n.ok);
  assert.equal(n.value.query, 'q="a"');
  assert.deepEqual(n.value.headers, [['user-agent', 'curl/8']]);
  const a = parseCombinedLine('::1 - bob [10/Oct/2024:13:55:36 -0700] "POST /login HTTP/1.0" 302 -', 'apache');
  assert.ok(a.ok && a.value.method === 'POST' && a.value.status === 302 && a.value.label === null);
  const bad = parseCombinedLine('1.2.3.4 - - [x] "\\x16\\x03\\x01" 400 0 "-" "-"', 'nginx');
  assert.ok(!bad.ok && bad.error.reason === 'bad-request-line');
  const nm = parseCombinedLine('garbage', 'nginx');
  assert.ok(!nm.ok && nm.error.reason === 'no-match');
});

test('CSV cells are quoted and formula-safe, and split back', () => {
  assert.equal(csvCell('=cmd|x'), "'=cmd|x");
  assert.equal(csvCell('a,"b"'), '"a,""b"""');
  assert.deepEqual(splitCsv('a,b\r\n"x\ny",2\n'), [['a', 'b'], ['x\ny', '2']]);
});

test('readLines: gzip by magic, CRLF, too-long lines skipped without losing the next', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-prom-'));
  try {
    const p = join(dir, 'x.log.gz');
    writeFileSync(p, gzipSync(Buffer.from(`one\r\n${'z'.repeat(5000)}\ntwo\nthree`)));
    const got: string[] = [];
    for await (const it of readLines(p, { maxLineBytes: 100 })) got.push(it.tooLong ? '<long>' : it.line);
    assert.deepEqual(got, ['one', '<long>', 'two', 'three']);
  } finally { rmSync(dir, { recursive: true }); }
});

test('rotationSet orders rotated files oldest first, live file last', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-prom-'));
  try {
    for (const n of ['access.log', 'access.log.1', 'access.log.2.gz', 'access.log.10.gz', 'access.log.bak', 'other.log']) writeFileSync(join(dir, n), '');
    const s = (await rotationSet(join(dir, 'access.log'))).map((p) => p.slice(dir.length + 1));
    assert.deepEqual(s, ['access.log.10.gz', 'access.log.2.gz', 'access.log.1', 'access.log']);
  } finally { rmSync(dir, { recursive: true }); }
});

test('convertLogs streams rotated logs to CSV, counts bad lines, decodes back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-prom-'));
  try {
    const line = (v: string, q: string) => JSON.stringify({ time: 't', method: 'GET', path: '/a/b', query: q, verdict: v });
    writeFileSync(join(dir, 'd.log.1'), gzipSync(Buffer.from(line('BLOCK', "id=1'or'1") + '\nnot json\n')));
    writeFileSync(join(dir, 'd.log'), [line('ALLOW', 'id=1'), '', line('RATE_LIMIT', ''), '{"x":1}'].join('\n'));
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    const fmt = getLogFormat('jirachi');
    assert.ok(fmt);
    const stats = await convertLogs({ files: [join(dir, 'd.log')], format: fmt, featurize: toyFeaturize, featureDim: 3, includeRaw: false, rotated: true }, out);
    assert.equal(stats.files.length, 2);
    assert.equal(stats.lines, 5);
    assert.equal(stats.rows, 3);
    assert.equal(stats.bad, 2);
    assert.deepEqual(stats.badByReason, { 'not-json': 1, 'missing-field': 1 });
    const text = Buffer.concat(chunks).toString();
    assert.ok(!text.includes("'or'"), 'no raw payload without includeRaw');
    const set = decodeTrainingCsv(text);
    assert.ok(typeof set !== 'string');
    assert.deepEqual(set.y, [1, 0]);
    assert.equal(set.unlabeled, 1);
    assert.equal(set.X[0]?.[2], 1);
  } finally { rmSync(dir, { recursive: true }); }
});
