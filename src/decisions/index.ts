// Public entry of decisions: bans (IP/CIDR, TTL, reason), allowlist precedence, backends.
export * from './address.js';
export * from './backend.js';
export { MemoryBlocklist } from './memory-blocklist.js';
export { BanStore, parseBanFile, type BanStoreOptions } from './ban-store.js';
export { AutoBan, type AutoBanOptions } from './auto-ban.js';
export { Allowlist } from './allowlist.js';
