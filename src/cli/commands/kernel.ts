// `jirachi kernel ...`: attach/detach the XDP blocklist and edit its pinned maps from any process.

import type { Command } from 'commander';
import { canonicalTarget } from '../../decisions/index.js';
import { registerCommand, UsageFailure } from '../registry.js';

type Control = typeof import('../../kernel/control/index.js');
interface Common { pinDir?: string }

/** Loads the control plane lazily so the rest of the CLI never touches native code. */
async function control(): Promise<Control> {
  try { return await import('../../kernel/control/index.js'); }
  catch (e) { throw new UsageFailure(`unavailable: ${(e as Error).message.split('\n')[0]}`); }
}

function unwrap<T>(r: { ok: true; value: T } | { ok: false; error: string }): T {
  if (!r.ok) throw new UsageFailure(r.error);
  return r.value;
}

function pinDirOf(cmd: Command, k: Control): string {
  const o = cmd.optsWithGlobals<Common>();
  return o.pinDir ?? k.DEFAULT_PIN_DIR;
}

function positiveNumber(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+(\.\d+)?$/.test(text)) throw new UsageFailure(`bad ${name}: ${JSON.stringify(text.slice(0, 20))} (a non-negative number)`);
  return Number(text);
}

async function withBlocklist<T>(cmd: Command, fn: (b: import('../../kernel/control/index.js').KernelBlocklist, k: Control) => T): Promise<T> {
  const k = await control();
  const b = unwrap(k.openKernelBlocklist({ pinDir: pinDirOf(cmd, k) }));
  try { return fn(b, k); } finally { b.maps.close(); }
}

const out = (s: string): void => { process.stdout.write(s + '\n'); };

function registerAttach(kernel: Command): void {
  kernel.command('attach').description('load the XDP program (reusing pinned maps) and attach it to an interface')
    .requiredOption('--iface <name>', 'network interface')
    .option('--mode <mode>', 'native | generic (default: native, falling back to generic with a warning)')
    .action(async (o: { iface: string; mode?: string }, cmd: Command) => {
      if (o.mode !== undefined && o.mode !== 'native' && o.mode !== 'generic') throw new UsageFailure(`bad --mode ${JSON.stringify(o.mode)}: native or generic`);
      const k = await control();
      const r = unwrap(k.attach(o.iface, pinDirOf(cmd, k), o.mode as 'native' | 'generic' | undefined));
      if (r.warning) process.stderr.write(`jirachi: warning: ${r.warning}\n`);
      out(`attached to ${o.iface} (${r.mode} XDP, program id ${r.progId}); maps pinned in ${pinDirOf(cmd, k)}`);
    });
  kernel.command('detach').description('detach the XDP program from an interface (bans stay in the pinned maps)')
    .requiredOption('--iface <name>', 'network interface')
    .action(async (o: { iface: string }) => {
      const k = await control();
      out(unwrap(k.detach(o.iface)) ? `detached from ${o.iface}` : `not attached to ${o.iface}`);
    });
}

function registerBans(kernel: Command): void {
  kernel.command('block').description('ban an address or CIDR in the kernel').argument('<target>', 'address or CIDR')
    .option('--ttl <seconds>', 'lapse after this many seconds (default: permanent)')
    .option('--reason <text>', 'why (kept, cut to 64 bytes)', 'manual')
    .action(async (target: string, o: { ttl?: string; reason: string }, cmd: Command) => {
      const ttl = positiveNumber('--ttl', o.ttl);
      const t = unwrap(canonicalTarget(target));
      await withBlocklist(cmd, (b) => {
        const now = Date.now();
        unwrap(b.add({ target: t, reason: o.reason, source: 'manual', createdAt: now, expiresAt: ttl === undefined ? null : now + ttl * 1000 }));
      });
      out(`blocked ${t}${ttl === undefined ? '' : ` for ${ttl}s`}`);
    });
  kernel.command('unblock').description('remove the ban on exactly this address or CIDR').argument('<target>', 'address or CIDR')
    .action(async (target: string, _o: unknown, cmd: Command) => {
      const t = unwrap(canonicalTarget(target));
      const removed = await withBlocklist(cmd, (b) => unwrap(b.remove(t)));
      out(removed ? `unblocked ${t}` : `no ban on ${t}`);
    });
  kernel.command('allow').description('allowlist an address or CIDR (wins over every ban and the rate limit)').argument('<target>', 'address or CIDR')
    .option('--remove', 'remove it from the allowlist instead')
    .action(async (target: string, o: { remove?: boolean }, cmd: Command) => {
      const msg = await withBlocklist(cmd, (b, k) => o.remove
        ? (unwrap(k.allowRemove(b.maps, target)) ? `removed ${target} from the allowlist` : `${target} was not allowlisted`)
        : `allowlisted ${unwrap(k.allowAdd(b.maps, target, Date.now()))}`);
      out(msg);
    });
  kernel.command('rate').description('per-source rate limit in the kernel (token bucket); --pps 0 turns it off')
    .requiredOption('--pps <n>', 'packets per second per source (0 = off)')
    .option('--burst <n>', 'burst size in packets', '100')
    .action(async (o: { pps: string; burst: string }, cmd: Command) => {
      const pps = positiveNumber('--pps', o.pps) ?? 0, burst = positiveNumber('--burst', o.burst) ?? 1;
      const r = await withBlocklist(cmd, (b, k) => unwrap(k.writeRate(b.maps, pps, burst)));
      out(r.enabled ? `rate limit: ${r.pps} packets/s per source, burst ${r.burst}` : 'rate limit: off');
    });
}

function registerViews(kernel: Command): void {
  kernel.command('list').description('list live bans (lapsed ones are swept from the maps) and the allowlist')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const { bans, allow } = await withBlocklist(cmd, (b, k) => { b.sweep(); return { bans: b.list(), allow: k.allowList(b.maps) }; });
      if (o.json) { out(JSON.stringify({ bans, allow })); return; }
      for (const b of bans) out(`${b.target}\t${b.expiresAt === null ? 'permanent' : new Date(b.expiresAt).toISOString()}\t${b.source}\t${b.reason}`);
      for (const a of allow) out(`${a}\tallow`);
      if (bans.length + allow.length === 0) out('no bans');
    });
  kernel.command('status').description('attached interfaces, mode, map sizes, counters, rate limit')
    .option('--json', 'JSON output')
    .action(async (o: { json?: boolean }, cmd: Command) => {
      const k = await control();
      const s = unwrap(k.kernelStatus(pinDirOf(cmd, k)));
      if (o.json) { out(JSON.stringify(s)); return; }
      out(`pinned maps: ${s.pinDir}`);
      out(`attached: ${s.attached.length ? s.attached.map((a) => `${a.iface} (${a.mode})`).join(', ') : 'none'}`);
      out(`bans: ${s.maps.exact.entries}/${s.maps.exact.max} exact, ${s.maps.cidr.entries}/${s.maps.cidr.max} CIDR; allowlist ${s.maps.allow.entries}; rate buckets ${s.maps.rate.entries}`);
      out(`rate limit: ${s.rateLimit.enabled ? `${s.rateLimit.pps} packets/s, burst ${s.rateLimit.burst}` : 'off'}`);
      const c = s.counters;
      out(`packets: passed ${c.passed}, dropped by ban ${c.droppedBan}, dropped by rate ${c.droppedRate}, allowlisted ${c.allowlisted}, malformed ${c.malformed}`);
    });
}

registerCommand((program: Command) => {
  const kernel = program.command('kernel').description('XDP kernel shield: drop banned sources in the driver')
    .option('--pin-dir <dir>', 'where the maps are pinned (default /sys/fs/bpf/jirachi)');
  registerAttach(kernel);
  registerBans(kernel);
  registerViews(kernel);
});
