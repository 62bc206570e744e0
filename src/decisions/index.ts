// Public entry of decisions: bans (IP/CIDR, TTL, reason), allowlist precedence, backends.
export * from './address.js';
export * from './backend.js';
export { MemoryBlocklist } from './memory-blocklist.js';
