// Fails when the committed XDP object no longer matches its sources (rebuild: bash src/kernel/bpf/build.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BPF_DIR, OBJECT_PATH, OBJECT_SOURCES, OBJECT_STAMP } from './paths.js';

test('the committed object was built from the current sources (hash stamp)', () => {
  const h = createHash('sha256');
  for (const f of OBJECT_SOURCES) h.update(readFileSync(join(BPF_DIR, f)));
  assert.equal(readFileSync(OBJECT_STAMP, 'utf8').trim(), h.digest('hex'),
    'src/kernel/bpf sources changed since the object was built: run bash src/kernel/bpf/build.sh and commit the .o');
});

test('rebuilding the object with clang gives the committed bytes', (t) => {
  if (spawnSync('clang', ['--version']).status !== 0) { t.skip('clang is not installed (apt-get install clang llvm libbpf-dev)'); return; }
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-bpf-'));
  try {
    const out = join(dir, 'x.o');
    const r = spawnSync('bash', [join(BPF_DIR, 'build.sh'), out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(readFileSync(out).equals(readFileSync(OBJECT_PATH)), 'committed jirachi_xdp.bpf.o is stale: run bash src/kernel/bpf/build.sh');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
