// KernelBlocklist against the shared blocklist contract, on real maps of a freshly loaded program.
import { ManualClock } from '../../core/index.js';
import { runBlocklistContract } from '../../decisions/blocklist-contract.js';
import { KernelBlocklist } from './kernel-blocklist.js';
import { kernelSkipReason, loadScratch } from './scratch.js';

const skip = kernelSkipReason();
runBlocklistContract('kernel', () => {
  const s = loadScratch();
  if (!s.ok) throw new Error(s.error);
  const clock = new ManualClock();
  return { backend: new KernelBlocklist(s.value.maps, clock), advance: (ms) => clock.advance(ms), now: () => clock.now(), close: () => s.value.close() };
}, skip);
