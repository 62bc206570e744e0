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
  const m = /Proved goals:\s+(\d+) \/ (\d+) \(including (\d+) memory-access guards and (\d+) wide-read preconditions\)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  assert.equal(m[1], m[2]);
  // Wide reads: the Ethernet type, two VLAN types, the IPv4 total length and source, the IPv6 source words.
  assert.ok(Number(m[4]) >= 6, 'every 2- and 4-byte load of the parser carries a proved precondition');
  assert.ok(Number(m[3]) >= 8, 'the byte reads (IP version fields, the load models) and key stores carry proved guards');
});

/** Runs the memory-scoped proof on a copy of the parser with `edit` applied; the edit must change the source. */
async function mutantProof(edit: (src: string) => string, what: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-mutant-'));
  try {
    copyFileSync(join(BPF, 'jirachi_shared.h'), join(dir, 'jirachi_shared.h'));
    const src = readFileSync(join(BPF, 'jirachi_parse.h'), 'utf8');
    const mutant = edit(src);
    assert.notEqual(mutant, src, `${what} is where the test expects it`);
    writeFileSync(join(dir, 'jirachi_parse.h'), mutant);
    return await proof([join(dir, 'jirachi_parse.h')], { WP_TIMEOUT: '3', PROOF_SCOPE: 'mem' });
  } finally { rmSync(dir, { recursive: true, force: true }); }
}

test('the proof script fails when a bounds check is removed (memory-access goals only)', skip ? { skip } : {}, async () => {
  const r = await mutantProof((src) => src.replace(/\t+if \(p \+ JIRACHI_IPV6_HLEN > end\)\n\t+return JIRACHI_PARSE_MALFORMED;\n/, ''), 'the IPv6 bounds check');
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /not every goal proved|FAILED/);
  assert.match(r.stdout, /Proved goals:\s+(\d+) \/ (\d+)/, 'the memory-access goals were attempted');
});

test('the proof script fails when a 4-byte read reaches past the checked header', skip ? { skip } : {}, async () => {
  // The IPv4 fixed-header check narrowed to 14 bytes: the byte and 2-byte reads stay inside it, the source address load (bytes 12..15) does not.
  const r = await mutantProof((src) => src.replace('if (p + JIRACHI_IPV4_MIN_HLEN > end)', 'if (p + 14 > end)'), 'the IPv4 fixed-header check');
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /not every goal proved|FAILED/);
  assert.match(r.stdout, /load32\w*_requires_wide_read/, 'the failing goal is the 4-byte load\'s precondition');
  assert.doesNotMatch(r.stdout, /load16\w*_requires_wide_read\s*:\s*(Unknown|Timeout|Failed)/, 'the 2-byte loads stay proved');
});
});
