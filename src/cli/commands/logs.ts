// `jirachi logs parse`: decision logs and nginx/Apache access logs → training_data.csv (streamed, with progress).

import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Command } from 'commander';
import { convertLogs, getLogFormat, logFormatNames } from '../../prometheus/index.js';
import { FEATURE_DIM, featurize } from '../../detect/index.js';
import { registerCommand, UsageFailure } from '../registry.js';

interface ParseOpts { format: string; out: string; includeRaw?: boolean; rotated?: boolean; json?: boolean; progress?: boolean }

registerCommand((program: Command) => {
  const logs = program.command('logs').description('turn logs into training data');
  logs.command('parse')
    .description('parse Jirachi decision logs (JSONL) or nginx/Apache combined logs into training_data.csv (see docs/FEDERATION.md for the columns)')
    .argument('<files...>', 'log files (plain or .gz)')
    .requiredOption('--format <name>', `log format: ${logFormatNames().join('|')}`)
    .option('--out <file>', 'CSV to write', 'training_data.csv')
    .option('--include-raw', 'add path, query and user_agent columns (raw attacker text; off by default)')
    .option('--rotated', 'also read each file\'s rotated siblings (name.1, name.2.gz, name-YYYYMMDD.gz), oldest first')
    .option('--progress', 'print progress to stderr (default when stderr is a terminal)')
    .option('--json', 'print the counts as JSON')
    .action(async (files: string[], o: ParseOpts) => {
      const format = getLogFormat(o.format);
      if (!format) throw new UsageFailure(`unknown log format ${o.format} (known: ${logFormatNames().join(', ')})`);
      const out = createWriteStream(o.out, { mode: 0o640 });
      const showProgress = o.progress ?? process.stderr.isTTY;
      const stats = await convertLogs({
        files, format, featurize, featureDim: FEATURE_DIM, includeRaw: o.includeRaw === true, rotated: o.rotated === true,
        ...(showProgress ? { onProgress: (p: { bytes: number; totalBytes: number; rows: number }) => {
          process.stderr.write(`\r${((100 * p.bytes) / Math.max(1, p.totalBytes)).toFixed(1)}%  ${p.rows} rows`);
        } } : {}),
      }, out).catch((e: unknown) => { out.destroy(); throw new UsageFailure((e as Error).message); });
      out.end();
      await once(out, 'finish');
      if (showProgress) process.stderr.write('\n');
      if (o.json) { process.stdout.write(JSON.stringify({ out: o.out, ...stats }, null, 2) + '\n'); return; }
      const bad = Object.entries(stats.badByReason).map(([k, v]) => `${k} ${v}`).join(', ');
      process.stdout.write(`${o.out}: ${stats.rows} rows (${stats.labeled.attack} attack, ${stats.labeled.benign} benign, ${stats.labeled.unlabeled} unlabeled) from ${stats.lines} lines in ${stats.files.length} file(s); ${stats.bad} bad line(s)${bad ? ` (${bad})` : ''}\n`);
    });
});
