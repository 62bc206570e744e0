// LineFile: every line arrives once, in order, whatever the sizes; bounded queue; close waits for the disk.

import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineFile } from './line-file.js';

test('lines of every size (multibyte, larger than a batch) arrive once and in order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-linefile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sub', 'log.jsonl');
  const f = new LineFile(path, { bufferBytes: 4096, flushMs: 5 });
  const lines: string[] = [];
  for (let i = 0; i < 5000; i++) {
    const l = i % 997 === 0 ? `big-${i}-${'x'.repeat(10_000)}` : i % 7 === 0 ? `ünïcødé ✓ ${i} 日本語` : `{"i":${i},"pad":"${'p'.repeat(i % 300)}"}`;
    lines.push(l);
    assert.ok(f.append(l));
    if (i % 500 === 0) await new Promise((r) => setTimeout(r, 2));
  }
  await f.close();
  assert.equal(f.lost, 0);
  assert.deepEqual(readFileSync(path, 'utf8').split('\n'), [...lines, '']);
});

test('appends to an existing file; beyond the queue bound lines are dropped and counted, never buffered without limit', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-linefile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'log.jsonl');
  const a = new LineFile(path);
  a.append('first');
  await a.close();
  const b = new LineFile(path, { bufferBytes: 1024, maxQueuedBytes: 8 * 1024 });
  let accepted = 0;
  // Synchronous burst: nothing can reach the disk meanwhile, so the bound must bite.
  for (let i = 0; i < 2000; i++) if (b.append(`line-${i}-${'z'.repeat(40)}`)) accepted++;
  await b.close();
  assert.equal(b.append('late'), false, 'nothing is written after close');
  await b.close();
  const got = readFileSync(path, 'utf8').trim().split('\n');
  assert.equal(got[0], 'first');
  assert.ok(b.lost > 0, 'some lines were dropped');
  assert.equal(got.length - 1 + b.lost, 2001, 'every line is either on disk or counted as lost');
  assert.ok(accepted >= got.length - 1);
});

// Pipe tests: child processes write with LineFile(1) (stdout), as `log.decisions: '-'` does.
const CHILD = (n: number, tag: string, pad: number): string => `import(${JSON.stringify(new URL('./line-file.js', import.meta.url).href)}).then(async ({ LineFile }) => {
    const f = new LineFile(1, { atomicBytes: 4096, flushMs: 5, maxQueuedBytes: 4 * 1024 * 1024 });
    for (let i = 0; i < ${n}; i++) {
      f.append(JSON.stringify({ tag: ${JSON.stringify(tag)}, i, pad: 'x'.repeat(${pad} + (i * 37) % 1500) }));
      if (i % 200 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await f.close();
    process.stderr.write('lost=' + f.lost + '\\n');
  });`.replace(/\n\s*/g, ' ');

test('two writers sharing one stdout pipe never splice each other\'s lines (writes cut at line ends, at most 4 KiB)', async () => {
  const { spawn } = await import('node:child_process');
  const script = (tag: string): string => `${JSON.stringify(process.execPath)} -e ${JSON.stringify(CHILD(3000, tag, 500))}`;
  // A slow reader (reads in small pieces) makes the writers' batches meet in the pipe.
  const p = spawn('bash', ['-c', `{ ${script('A')} & ${script('B')} & wait; } | ${JSON.stringify(process.execPath)} -e "process.stdin.on('data', (d) => { process.stdout.write(d); process.stdin.pause(); setTimeout(() => process.stdin.resume(), 1); })"`], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = ''; let err = '';
  p.stdout.setEncoding('utf8'); p.stdout.on('data', (d: string) => { out += d; });
  p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  const code = await new Promise<number | null>((r) => p.on('close', r));
  assert.equal(code, 0, err);
  const lines = out.split('\n').filter((l) => l !== '');
  let bad = 0; const seen = { A: 0, B: 0 } as Record<string, number>;
  for (const l of lines) { try { const j = JSON.parse(l) as { tag: string }; seen[j.tag]!++; } catch { bad++; } }
  assert.equal(bad, 0, 'spliced lines');
  assert.deepEqual(seen, { A: 3000, B: 3000 });
  assert.deepEqual(err.trim().split('\n').sort(), ['lost=0', 'lost=0']);
});

test('a stdout reader that goes away costs counted lines, never the writer (EPIPE)', async () => {
  const { spawn } = await import('node:child_process');
  const p = spawn(process.execPath, ['-e', CHILD(20_000, 'C', 200)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = ''; let got = 0;
  p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  p.stdout.on('data', (d: Buffer) => { got += d.length; if (got > 64 * 1024) p.stdout.destroy(); });
  const code = await new Promise<number | null>((r) => p.on('close', r));
  assert.equal(code, 0, err);
  const lost = Number(/lost=(\d+)/.exec(err)?.[1] ?? 'NaN');
  assert.ok(lost > 0 && lost < 20_000, `lost=${lost}`);
});

test('a stdout reader that stops reading: the queue stays bounded and the overflow is counted', async () => {
  const { spawn } = await import('node:child_process');
  // The child appends 40 MB into a 4 MiB queue while nobody reads; then the reader drains everything.
  const p = spawn(process.execPath, ['-e', CHILD(20_000, 'D', 2000)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = ''; let lines = 0;
  p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  p.stdout.pause();
  await new Promise((r) => setTimeout(r, 1500));
  p.stdout.setEncoding('utf8');
  p.stdout.on('data', (d: string) => { for (const c of d) if (c === '\n') lines++; });
  p.stdout.resume();
  const code = await new Promise<number | null>((r) => p.on('close', r));
  assert.equal(code, 0, err);
  const lost = Number(/lost=(\d+)/.exec(err)?.[1] ?? 'NaN');
  assert.ok(lost > 0, `lost=${lost}`);
  assert.equal(lines + lost, 20_000);
});

test('decision log on a stdout nobody reads: close gives up after ~5 s, counts the rest lost, and the process can exit', async () => {
  const { spawn } = await import('node:child_process');
  const src = `import(${JSON.stringify(new URL('./decision-log.js', import.meta.url).href)}).then(async ({ DecisionLog }) => {
    process.stdout.on('error', () => {});
    const log = new DecisionLog('-');
    const ev = { time: 't', requestId: 'r', clientIp: '198.18.0.1', method: 'GET', host: 'h', route: 'default', verdict: 'ALLOW', mode: 'block', wouldBlock: false, score: 0, reason: 'clean', findings: [], status: 200, upstreamStatus: 200, durations: { inspectUs: 1, upstreamMs: 1, totalMs: 1 }, request: { path: '/', query: '', headers: {}, body: 'x'.repeat(9000) } };
    for (let i = 0; i < 8000; i++) log.write(ev);
    const t0 = Date.now();
    await log.close();
    process.stderr.write('closed-after=' + (Date.now() - t0) + ' lost=' + log.errors + '\\n');
  });`.replace(/\n\s*/g, ' ');
  const p = spawn(process.execPath, ['-e', src], { stdio: ['ignore', 'pipe', 'pipe'] });
  p.stdout.pause(); // nobody reads
  let err = '';
  p.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  let timer: NodeJS.Timeout | undefined;
  const exited = await Promise.race([new Promise<boolean>((r) => p.on('exit', () => r(true))), new Promise<boolean>((r) => { timer = setTimeout(() => r(false), 20_000); })]);
  clearTimeout(timer);
  if (!exited) p.kill('SIGKILL');
  p.stdout.destroy();
  assert.ok(exited, `the process did not exit: ${err}`);
  const m = /closed-after=(\d+) lost=(\d+)/.exec(err);
  assert.ok(m, err);
  assert.ok(Number(m[1]) >= 4000 && Number(m[1]) < 15_000, err);
  assert.ok(Number(m[2]) > 0, err);
});

test('decision-log lines on stdout stay within PIPE_BUF: a long event loses its sample body, marked truncated', async () => {
  const { spawnSync } = await import('node:child_process');
  const src = `import(${JSON.stringify(new URL('./decision-log.js', import.meta.url).href)}).then(async ({ DecisionLog }) => {
    const log = new DecisionLog('-');
    const ev = { time: 't', requestId: 'r', clientIp: '198.18.0.1', method: 'GET', host: 'h', route: 'default', verdict: 'ALLOW', mode: 'block', wouldBlock: false, score: 0, reason: 'clean', findings: [], status: 200, upstreamStatus: 200, durations: { inspectUs: 1, upstreamMs: 1, totalMs: 1 }, request: { path: '/', query: 'q=' + 'y'.repeat(3000), headers: {}, body: 'x'.repeat(4096) } };
    log.write(ev); log.write({ ...ev, request: { ...ev.request, body: 'small', query: 'q=1' } });
    await log.close();
  });`.replace(/\n\s*/g, ' ');
  const r = spawnSync(process.execPath, ['-e', src], { encoding: 'utf8' });
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  assert.equal(lines.length, 2, r.stderr);
  for (const l of lines) assert.ok(Buffer.byteLength(l) < 4096);
  assert.equal(JSON.parse(lines[0]!).request.truncated, true);
  assert.equal(JSON.parse(lines[1]!).request.body, 'small');
});
