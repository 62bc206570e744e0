// MemoryBlocklist against the shared blocklist contract.
import { ManualClock } from '../core/index.js';
import { runBlocklistContract } from './blocklist-contract.js';
import { MemoryBlocklist } from './memory-blocklist.js';

runBlocklistContract('memory', () => {
  const clock = new ManualClock();
  return { backend: new MemoryBlocklist(clock), advance: (ms) => clock.advance(ms), now: () => clock.now() };
});
