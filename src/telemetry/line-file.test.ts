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
