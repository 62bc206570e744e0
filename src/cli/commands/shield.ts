// `jirachi shield` and `jirachi check-config`: run the sidecar; validate a config file.

import type { Command } from 'commander';
import { loadConfig, formatIssue, type ConfigOverrides } from '../../config/index.js';
import { Shield } from '../../shield/index.js';
import { engineFor } from '../engine.js';
import { kernelFor } from '../kernel-mirror.js';
import { registerCommand } from '../registry.js';

interface ShieldFlags { config?: string; listen?: string; upstream?: string; admin?: string; mode?: string; log?: string }

function overridesOf(o: ShieldFlags): ConfigOverrides {
  return { listen: o.listen, upstream: o.upstream, mode: o.mode, 'admin.listen': o.admin, 'log.decisions': o.log };
}

/** Runs a shield until SIGTERM/SIGINT; SIGHUP reloads the config. Resolves to the exit code. */
export async function runShield(o: ShieldFlags, banner: (s: Shield) => string[] = () => []): Promise<number> {
  const started = await Shield.start({ configFile: o.config, overrides: overridesOf(o), engineFactory: engineFor, kernelFactory: kernelFor });
  if (!started.ok) {
    for (const line of started.error) process.stderr.write(`${line}\n`);
    process.stderr.write(`jirachi: shield not started (${started.error.length} error${started.error.length === 1 ? '' : 's'})\n`);
    return 1;
  }
  const s = started.value;
  const cfg = s.context.snapshot.config;
  const p = s.proxyAddress, a = s.adminAddress;
  process.stdout.write(`jirachi shield listening on http://${p.address}:${p.port} -> ${cfg.upstream} (mode ${cfg.mode})\n`);
  process.stdout.write(`admin and metrics on http://${a.address}:${a.port} (/metrics, /admin/* with a bearer token)\n`);
  for (const line of banner(s)) process.stdout.write(line + '\n');
  process.on('SIGHUP', () => {
    const errors = s.reload();
    for (const e of errors) process.stderr.write(`jirachi: reload refused: ${e}\n`);
  });
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (sig: string): void => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`jirachi: ${sig}: draining in-flight requests\n`);
      void s.stop().then(() => resolve(0));
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  });
}

registerCommand((program: Command) => {
  program.command('shield')
    .description('run the reverse-proxy shield in front of an upstream service')
    .option('-c, --config <file>', 'YAML config file (flags override it)')
    .option('--listen <host:port>', 'address to serve on (default 127.0.0.1:8080)')
    .option('--upstream <url>', 'the protected service, e.g. http://127.0.0.1:3000')
    .option('--admin <host:port>', 'admin and metrics address (default 127.0.0.1:9090)')
    .option('--mode <mode>', 'off | detect | block (default block)')
    .option('--log <file>', "decision log (JSONL); '-' for stdout, 'off' for none")
    .action(async (o: ShieldFlags) => { process.exitCode = await runShield(o); });

  program.command('check-config')
    .description('validate a shield config file; prints every error as file:line path: message')
    .argument('<file>', 'YAML config file')
    .option('--json', 'print the result as JSON')
    .action((file: string, o: { json?: boolean }) => {
      const r = loadConfig(file);
      if (o.json) process.stdout.write(JSON.stringify(r.ok ? { ok: true, errors: [] } : { ok: false, errors: r.error }) + '\n');
      else if (r.ok) process.stdout.write(`${file}: ok\n`);
      else for (const i of r.error) process.stdout.write(formatIssue(i) + '\n');
      process.exitCode = r.ok ? 0 : 1;
    });
});
