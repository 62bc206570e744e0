// `jirachi explain`: prints how the pipeline decides one request (JSON or raw HTTP, file or stdin).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, formatIssue } from '../../config/index.js';
import { BanStore } from '../../decisions/index.js';
import { buildSnapshot } from '../../shield/index.js';
import { explainRequest, parseExplainInput } from '../../shield/explain.js';
import { engineFor } from '../engine.js';
import { registerCommand, UsageFailure } from '../registry.js';

registerCommand((program: Command) => {
  program.command('explain')
    .description('trace one request through the pipeline: allowlist, bans, route, findings, verdict')
    .argument('[file]', "request as JSON ({method,path,query,headers,body} or {url}) or raw HTTP; '-' or none for stdin")
    .option('-c, --config <file>', 'shield config (routes, thresholds, bans); default: built-in defaults')
    .option('--json', 'print the trace as JSON')
    .action((file: string | undefined, o: { config?: string; json?: boolean }) => {
      const text = readFileSync(file === undefined || file === '-' ? 0 : file, 'utf8');
      const req = parseExplainInput(text);
      if (!req.ok) throw new UsageFailure(`bad request input: ${req.error}`);
      const cfg = loadConfig(o.config, o.config ? {} : { upstream: 'http://127.0.0.1:1' });
      if (!cfg.ok) throw new UsageFailure(cfg.error.map(formatIssue).join('; '));
      const engine = engineFor(cfg.value);
      if (!engine.ok) throw new UsageFailure(`detection engine: ${engine.error}`);
      const bans = new BanStore({ file: o.config ? join(cfg.value.stateDir, 'bans.json') : null });
      bans.load();
      const x = explainRequest(req.value, buildSnapshot(cfg.value, engine.value), bans);
      if (o.json) { process.stdout.write(JSON.stringify(x, null, 2) + '\n'); return; }
      const out = [`${x.request.method} ${x.request.path}${x.request.query ? '?' + x.request.query : ''} from ${x.request.clientIp}`];
      for (const s of x.steps) out.push(`  ${s.stage.padEnd(10)} ${s.outcome}`);
      for (const f of x.findings) out.push(`    - [${f.detector}/${f.rule}] ${f.class} +${f.score} in ${f.part}: ${f.explanation} (matched: ${JSON.stringify(f.excerpt)})`);
      out.push(`verdict: ${x.decision.verdict}`);
      process.stdout.write(out.join('\n') + '\n');
    });
});
