// Builds deterministic non-IID node splits of the shared corpus for the herd-immunity demonstration.
// Usage: node dist/bench/federation-splits.js --src /work/shared/data/train-requests.jsonl.gz --out DIR [--per-class N] [--nodes 3|5] [--server-val N]

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** Which attack classes each node sees (plus benign). Nodes 4 and 5 (when asked) see every class. */
export const NODE_CLASSES: ReadonlyArray<readonly string[]> = [['sqli'], ['xss'], ['path-traversal', 'cmdi']];
const ALL = ['sqli', 'xss', 'path-traversal', 'cmdi'];

function h(id: string, salt: string): number {
  return createHash('sha256').update(`${salt}:${id}`).digest().readUInt32BE(0) / 2 ** 32;
}

/**
 * Writes node-<i>.jsonl, test-<class>.jsonl, test-benign.jsonl, central.jsonl and server-validation.jsonl
 * (`serverVal` rows per attack class, twice that benign, from training ids no node holds: the federation
 * server's own validation set for tree rounds); returns the file counts.
 */
export function buildSplits(src: string, out: string, perClass: number, nodes: number, serverVal = 100): Record<string, number> {
  mkdirSync(out, { recursive: true });
  const rows = gunzipSync(readFileSync(src)).toString('utf8').split('\n').filter((l) => l.trim() !== '');
  const byClass = new Map<string, Array<{ line: string; r: number; test: boolean }>>();
  for (const line of rows) {
    const o = JSON.parse(line) as { id: string; class: string };
    if (o.class !== 'benign' && !ALL.includes(o.class)) continue;
    const list = byClass.get(o.class) ?? [];
    list.push({ line, r: h(o.id, 'order'), test: h(o.id, 'test') < 0.2 });
    byClass.set(o.class, list);
  }
  for (const l of byClass.values()) l.sort((a, b) => a.r - b.r);
  const files: Record<string, string[]> = {};
  const put = (f: string, l: string): void => { (files[f] ??= []).push(l); };
  const testCap = Math.max(200, Math.floor(perClass / 2));
  for (const [cls, list] of byClass) {
    const test = list.filter((x) => x.test).slice(0, cls === 'benign' ? testCap * 2 : testCap);
    for (const x of test) put(`test-${cls}.jsonl`, x.line);
    const train = list.filter((x) => !x.test);
    if (cls === 'benign') {
      train.slice(0, perClass * nodes).forEach((x, i) => put(`node-${(i % nodes) + 1}.jsonl`, x.line));
      for (const x of train.slice(perClass * nodes, perClass * nodes + 2 * serverVal)) put('server-validation.jsonl', x.line);
      continue;
    }
    const owners = Array.from({ length: nodes }, (_, i) => i + 1).filter((n) => n > 3 || (NODE_CLASSES[n - 1] ?? []).includes(cls));
    const share = cls === 'cmdi' || cls === 'path-traversal' ? Math.ceil(perClass / 2) : perClass;
    train.slice(0, share * owners.length).forEach((x, i) => put(`node-${owners[i % owners.length]}.jsonl`, x.line));
    for (const x of train.slice(share * owners.length, share * owners.length + serverVal)) put('server-validation.jsonl', x.line);
  }
  for (let n = 1; n <= nodes; n++) for (const l of files[`node-${n}.jsonl`] ?? []) put('central.jsonl', l);
  const counts: Record<string, number> = {};
  for (const [f, ls] of Object.entries(files)) { writeFileSync(join(out, f), ls.join('\n') + '\n'); counts[f] = ls.length; }
  return counts;
}

const arg = (name: string, d: string): string => { const i = process.argv.indexOf(name); return i > 0 ? (process.argv[i + 1] ?? d) : d; };
if (process.argv[1]?.endsWith('federation-splits.js')) {
  const counts = buildSplits(arg('--src', '/work/shared/data/train-requests.jsonl.gz'), arg('--out', 'fed-data'), Number(arg('--per-class', '1500')), Number(arg('--nodes', '3')), Number(arg('--server-val', '100')));
  process.stdout.write(JSON.stringify(counts, null, 2) + '\n');
}
