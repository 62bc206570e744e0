// Automatic bans and the ban store's setup: shared by a single shield and a cluster primary.

import { join } from 'node:path';
import type { ShieldConfig } from '../config/index.js';
import { err, ok, type Result } from '../core/index.js';
import { BanStore, type AutoBan, type BlocklistBackend } from '../decisions/index.js';
import type { Metrics } from '../telemetry/index.js';

/**
 * Counts one blocked request from `ip`; when that reaches the auto-ban threshold, bans the source
 * for `banSeconds`, counts it in metrics and says so. Returns true when a ban was added.
 */
export function applyAutoBan(ip: string, autoBan: AutoBan, bans: BanStore, auto: ShieldConfig['bans']['auto'], metrics: Metrics, say: (l: string) => void): boolean {
  if (!autoBan.record(ip, Date.now())) return false;
  const r = bans.add(ip, { ttlMs: auto.banSeconds * 1000, reason: `auto: ${auto.threshold} blocked requests in ${auto.windowSeconds}s`, source: 'auto' });
  if (!r.ok) return false;
  metrics.inc('jirachi_bans_total', { source: 'auto' });
  say(`auto-banned ${ip} for ${auto.banSeconds}s`);
  return true;
}

/**
 * Opens the authoritative ban store: the kernel mirror when `kernel.enabled` (its failure is said and
 * the store runs without it), the ban file under `stateDir`, and the config's static bans.
 * A corrupt ban file is an error value under `failMode: closed`; under `open` it is set aside (said).
 */
export async function openBanStore(cfg: ShieldConfig, kernelFactory: ((cfg: ShieldConfig) => Promise<Result<BlocklistBackend, string>>) | undefined, say: (l: string) => void): Promise<Result<BanStore, string>> {
  const mirrors: BlocklistBackend[] = [];
  if (cfg.kernel.enabled && kernelFactory) {
    const k = await kernelFactory(cfg);
    if (k.ok) { mirrors.push(k.value); say(`kernel blocklist: bans mirrored to ${cfg.kernel.pinDir}`); }
    else say(`kernel blocklist ${k.error}; running with the user-space blocklist only`);
  }
  // A corrupt ban file: fail-closed refuses to start (naming the file); fail-open sets it aside and starts.
  const bans = new BanStore({ file: join(cfg.stateDir, 'bans.json'), mirrors, onError: say, onCorrupt: cfg.failMode === 'open' ? 'set-aside' : 'refuse' });
  const loaded = bans.load();
  if (!loaded.ok) return err(loaded.error);
  bans.syncConfigBans(cfg.bans.static);
  return ok(bans);
}
