// The engine's model threshold override (EngineOptions.modelThreshold): what blocks moves with it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeRequestView } from '../core/index.js';
import { createEngine, loadModelFile, modelThreshold, shippedModelPath } from './index.js';

const ctx = { maxFindings: 32 };
const note = (text: string) => makeRequestView({ method: 'POST', path: '/notes', query: '', body: `note=${encodeURIComponent(text)}`,
  headers: { Host: 'a', 'Content-Type': 'application/x-www-form-urlencoded' } });
const mlRule = (fs: ReadonlyArray<{ rule: string }>): string | undefined => fs.find((f) => f.rule.startsWith('ml-'))?.rule;

test('modelThreshold replaces the model file\'s threshold: ml-001 above it, the notice below; out-of-range values are ignored', () => {
  const base = createEngine();
  const loaded = loadModelFile(shippedModelPath());
  assert.ok(loaded.ok);
  if (!loaded.ok) return;
  const fileThr = modelThreshold(loaded.value);
  // Requests whose probability sits mid-range (help text, a Windows path, code in prose): at least one must.
  const texts = ['if (![] == false) why', 'case when 1=1 then else end syntax', '(see foo(bar)) -- ok', 'c:\\inetpub\\wwwroot', 'SELECT id FROM t -- first\nWHERE a = b'];
  const mid = texts.map((t) => ({ t, p: base.modelProbability(note(t)) ?? -1 })).find(({ p }) => p > 0.2 && p < 0.9);
  assert.ok(mid, 'one of the probes has a mid-range probability');
  if (!mid) return;
  const low = createEngine({ modelThreshold: mid.p - 0.05 });
  const high = createEngine({ modelThreshold: Math.min(0.99, mid.p + 0.05) });
  assert.equal(mlRule(low.inspect(note(mid.t), ctx)), 'ml-001', `${mid.t} p=${mid.p}`);
  assert.notEqual(mlRule(high.inspect(note(mid.t), ctx)), 'ml-001');
  assert.match(low.modelStatus, /threshold 0\.\d+ instead of /);
  for (const bad of [0, 1, -1, 2, Number.NaN]) {
    const e = createEngine({ modelThreshold: bad });
    assert.doesNotMatch(e.modelStatus, /instead of/);
    assert.deepEqual(e.inspect(note(mid.t), ctx).map((f) => f.rule), base.inspect(note(mid.t), ctx).map((f) => f.rule), `threshold ${bad} ignored (file: ${fileThr})`);
  }
});
