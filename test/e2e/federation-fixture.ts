// Shared setup of the federation e2e tests: where the CLI and the shared corpus are, and the summary shape simulate writes.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout root and the jirachi CLI in it. */
export const root = fileURLToPath(new URL('../../../', import.meta.url));
export const bin = join(root, 'bin', 'jirachi.js');

/** The shared corpus: $JIRACHI_SHARED_DATA, else ../shared/data beside the checkout, else /work/shared/data. */
export const corpus = [process.env['JIRACHI_SHARED_DATA'], join(root, '..', 'shared', 'data'), '/work/shared/data']
  .filter((d): d is string => typeof d === 'string')
  .map((d) => join(d, 'train-requests.jsonl.gz'))
  .find((f) => existsSync(f)) ?? join(root, '..', 'shared', 'data', 'train-requests.jsonl.gz');

/** The openssl CLI (used to make the test certificates) is installed. */
export const hasOpenssl = (() => { try { execFileSync('openssl', ['version']); return true; } catch { return false; } })();

/** The parts of simulate's summary.json the tests read. */
export interface Summary {
  model: string;
  rounds: Array<{ round: number; participants: string[]; accepted: string[]; rejected: string[]; info: Record<string, number>; bytesPerNode: number }>;
  nodeReports: Array<{ nodeId: string; refusedModels: string[]; decisions: Array<{ accepted: boolean }> }>;
}
