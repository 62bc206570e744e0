// Runs the Frama-C proof of the XDP packet parser, and checks the proof script rejects a parser with a missing bounds check.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './kernel-netns.js';

const SCRIPT = join(ROOT, 'verify', 'parser-proof.sh');
const BPF = join(ROOT, 'src', 'kernel', 'bpf');
const missing = ['frama-c', 'why3', 'z3', 'cvc4'].find((t) => spawnSync('which', [t]).status !== 0);
const skip = missing ? `${missing} is not installed (apt-get install frama-c-base why3 z3 cvc4)` : undefined;

/** Runs the proof script without blocking the event loop, so the two proofs below run side by side. */
function proof(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn('bash', [SCRIPT, ...args], { env: { ...process.env, ...env } });
    let stdout = '', stderr = '';
    p.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => p.kill('SIGKILL'), 240_000);
    p.on('close', (status) => { clearTimeout(timer); resolve({ status, stdout, stderr }); });
  });
}

// The full proof and the mutant check run concurrently (each Frama-C uses -wp-par 2); the mutant only needs the memory-access goals.
describe('parser proof', { concurrency: 2 }, () => {
test('Frama-C/WP proves the parser the kernel loads free of out-of-bounds reads', skip ? { skip } : {}, async () => {
  const r = await proof([]);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const m = /Proved goals:\s+(\d+) \/ (\d+) \(including (\d+) memory-access guards\)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(m[1], m[2]);
  assert.ok(Number(m[3]) >= 20, 'every byte read of the parser carries a proved guard');
});

test('the proof script fails when a bounds check is removed (memory-access goals only)', skip ? { skip } : {}, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-mutant-'));
  try {
    copyFileSync(join(BPF, 'jirachi_shared.h'), join(dir, 'jirachi_shared.h'));
    const src = readFileSync(join(BPF, 'jirachi_parse.h'), 'utf8');
    const mutant = src.replace(/\t\tif \(p \+ JIRACHI_IPV6_HLEN > end\)\n\t\t\treturn JIRACHI_PARSE_MALFORMED;\n/, '');
    assert.notEqual(mutant, src, 'the IPv6 bounds check is where the test expects it');
    writeFileSync(join(dir, 'jirachi_parse.h'), mutant);
    const r = await proof([join(dir, 'jirachi_parse.h')], { WP_TIMEOUT: '3', PROOF_SCOPE: 'mem' });
    assert.equal(r.status, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /not every goal proved|FAILED/);
    assert.match(r.stdout, /Proved goals:\s+(\d+) \/ (\d+)/, 'the memory-access goals were attempted');
  } finally { rmSync(dir, { recursive: true, force: true }); }
});
});
