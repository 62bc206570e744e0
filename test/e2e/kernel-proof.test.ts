// Runs the Frama-C proof of the XDP packet parser, and checks the proof script rejects a parser with a missing bounds check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './kernel-netns.js';

const SCRIPT = join(ROOT, 'verify', 'parser-proof.sh');
const BPF = join(ROOT, 'src', 'kernel', 'bpf');
const missing = ['frama-c', 'why3', 'z3', 'cvc4'].find((t) => spawnSync('which', [t]).status !== 0);
const skip = missing ? `${missing} is not installed (apt-get install frama-c-base why3 z3 cvc4)` : undefined;

test('Frama-C/WP proves the parser the kernel loads free of out-of-bounds reads', skip ? { skip } : {}, () => {
  const r = spawnSync('bash', [SCRIPT], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const m = /Proved goals:\s+(\d+) \/ (\d+) \(including (\d+) memory-access guards\)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(m[1], m[2]);
  assert.ok(Number(m[3]) >= 20, 'every byte read of the parser carries a proved guard');
});

test('the proof script fails when a bounds check is removed', skip ? { skip } : {}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-mutant-'));
  try {
    copyFileSync(join(BPF, 'jirachi_shared.h'), join(dir, 'jirachi_shared.h'));
    const src = readFileSync(join(BPF, 'jirachi_parse.h'), 'utf8');
    const mutant = src.replace(/\t\tif \(p \+ JIRACHI_IPV6_HLEN > end\)\n\t\t\treturn JIRACHI_PARSE_MALFORMED;\n/, '');
    assert.notEqual(mutant, src, 'the IPv6 bounds check is where the test expects it');
    writeFileSync(join(dir, 'jirachi_parse.h'), mutant);
    const r = spawnSync('bash', [SCRIPT, join(dir, 'jirachi_parse.h')], { encoding: 'utf8', timeout: 240_000, env: { ...process.env, WP_TIMEOUT: '3' } });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /not every goal proved|FAILED/);
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
