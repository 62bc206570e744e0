// Corpus selection for `jirachi eval` and `jirachi train`: the shared options and the record loader.

import type { Command } from 'commander';
import { readCorpusFile, selectRecords, type CorpusRecord } from '../detect/corpus.js';
import { generateBenign } from '../detect/benign.js';
import { UsageFailure } from './registry.js';

/** The corpus-selection flags as commander parses them. */
export interface CorpusSelection { split?: string; testFraction?: string; sources?: string; excludeSources?: string; generatedBenign?: string; limit?: string }

function list(s: string | undefined): string[] { return s ? s.split(',').map((x) => x.trim()).filter(Boolean) : []; }

/** Adds --split, --test-fraction, --sources, --exclude-sources, --generated-benign and --limit to a command. */
export function addCorpusOptions(cmd: Command): Command {
  return cmd
    .option('--split <side>', 'use only this side of the deterministic random split (by line hash): all | train | test', 'all')
    .option('--test-fraction <f>', 'fraction of records on the test side', '0.2')
    .option('--sources <list>', 'only these sources (comma-separated)')
    .option('--exclude-sources <list>', 'leave these sources out (for leave-source-out evaluation)')
    .option('--generated-benign <n>', 'add n generated realistic benign requests (source generated-*)', '0')
    .option('--limit <n>', 'use an evenly spaced subset of n records');
}

/** Loads and selects the records `eval`/`train` read. Throws UsageFailure on unreadable input. */
export function loadRecords(files: readonly string[], o: { split?: string; testFraction?: string; sources?: string; excludeSources?: string; generatedBenign?: string; limit?: string }): CorpusRecord[] {
  const all: CorpusRecord[] = [];
  for (const f of files) {
    const r = readCorpusFile(f);
    if (!r.ok) throw new UsageFailure(r.error);
    all.push(...r.value.records);
  }
  const n = Number(o.generatedBenign ?? 0);
  if (!Number.isInteger(n) || n < 0) throw new UsageFailure('--generated-benign needs a whole number');
  if (n > 0) all.push(...generateBenign(n, 20240601));
  const split = o.split ?? 'all';
  if (split !== 'all' && split !== 'train' && split !== 'test') throw new UsageFailure('--split must be all, train or test');
  const tf = Number(o.testFraction ?? 0.2);
  if (!(tf > 0 && tf < 1)) throw new UsageFailure('--test-fraction must be in (0, 1)');
  const sel = selectRecords(all, { split, testFraction: tf, onlySources: list(o.sources), excludeSources: list(o.excludeSources) });
  const limit = o.limit === undefined ? Infinity : Number(o.limit);
  return Number.isFinite(limit) ? sel.filter((_, i) => i % Math.max(1, Math.floor(sel.length / limit)) === 0).slice(0, limit) : sel;
}

