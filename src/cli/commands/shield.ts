// `jirachi shield` and `jirachi check-config`: run the sidecar; validate a config file.

import type { Command } from 'commander';
import { loadConfig, formatIssue, type ConfigOverrides } from '../../config/index.js';
import cluster from 'node:cluster';
import { Shield, startPrimary, runWorker, workerCount } from '../../shield/index.js';
import { engineFor } from '../engine.js';
import { kernelFor } from '../kernel-mirror.js';
import { registerCommand } from '../registry.js';

interface ShieldFlags { config?: string; listen?: string; upstream?: string; admin?: string; mode?: string; log?: string; workers?: string }

function overridesOf(o: ShieldFlags): ConfigOverrides {
  const workers = o.workers === undefined ? undefined : o.workers === 'auto' ? 'auto' : Number(o.workers);
  return { listen: o.listen, upstream: o.upstream, mode: o.mode, workers, 'admin.listen': o.admin, 'log.decisions': o.log };
}

const say = (l: string): void => { process.stderr.write(`jirachi: ${l}\n`); };

/** Waits for SIGTERM/SIGINT (then stops) and SIGHUP (then reloads). Resolves to the exit code. */
function serveUntilSignalled(reload: () => string[] | Promise<string[]>, stop: () => Promise<void>): Promise<number> {
  // A reader of stdout that goes away (EPIPE) must not take the shield down; the decision log counts its lost lines.
  process.stdout.on('error', () => { /* reader gone */ });
  process.on('SIGHUP', () => {
    void Promise.resolve(reload()).then((errors) => { for (const e of errors) say(`reload refused: ${e}`); });
  });
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (sig: string): void => {
      if (stopping) return;
      stopping = true;
      say(`${sig}: draining in-flight requests`);
      void stop().then(() => resolve(0));
    };
    process.on('SIGTERM', () => onSignal('SIGTERM'));
    process.on('SIGINT', () => onSignal('SIGINT'));
  });
}

/**
 * Runs the shield until SIGTERM/SIGINT; SIGHUP reloads the config. With `workers` > 1 this process
 * becomes a cluster primary and forks the workers (which re-enter here as cluster workers).
 * Resolves to the exit code.
 */
export async function runShield(o: ShieldFlags, banner: () => string[] = () => []): Promise<number> {
  const base = { configFile: o.config, overrides: overridesOf(o), engineFactory: engineFor, kernelFactory: kernelFor, say };
  if (cluster.isWorker && process.env['JIRACHI_CLUSTER_WORKER'] === '1') return runWorker(base);
  const pre = loadConfig(o.config, base.overrides);
  if (pre.ok && workerCount(pre.value) > 1) {
    const firstListen = new Promise<string>((r) => cluster.once('listening', (_w, a) => r(`${a.address ?? '127.0.0.1'}:${a.port}`)));
    const p = await startPrimary(base);
    if (!p.ok) return failed(p.error);
    const where = await firstListen;
    process.stdout.write(`jirachi shield listening on http://${where} -> ${pre.value.upstream} (mode ${pre.value.mode}, ${workerCount(pre.value)} workers)\n`);
    process.stdout.write(`admin and metrics on http://${p.value.adminAddress} (/metrics, /admin/* with a bearer token)\n`);
    for (const line of banner()) process.stdout.write(line + '\n');
    return serveUntilSignalled(() => p.value.reload(), () => p.value.stop());
  }
  const started = await Shield.start(base);
  if (!started.ok) return failed(started.error);
  const s = started.value;
  const cfg = s.context.snapshot.config;
  const pa = s.proxyAddress, a = s.adminAddress;
  process.stdout.write(`jirachi shield listening on http://${pa.address}:${pa.port} -> ${cfg.upstream} (mode ${cfg.mode})\n`);
  if (a) process.stdout.write(`admin and metrics on http://${a.address}:${a.port} (/metrics, /admin/* with a bearer token)\n`);
  for (const line of banner()) process.stdout.write(line + '\n');
  return serveUntilSignalled(() => s.reload(), () => s.stop());
}

function failed(errors: readonly string[]): number {
  for (const line of errors) process.stderr.write(`${line}\n`);
  process.stderr.write(`jirachi: shield not started (${errors.length} error${errors.length === 1 ? '' : 's'})\n`);
  return 1;
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
    .option('--workers <n>', "worker processes: a number or 'auto' (one per core); default 1")
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
