// Cluster ban propagation: the primary sends its workers the changes to the ban list, coalesced,
// through per-worker outboxes with a bounded backlog; a full list only at start, on reload or to catch up.

import type { Ban, BanStore } from '../decisions/index.js';

/** Ban-list messages from the primary to a worker: the whole list, or the bans added or removed since the last message. */
export type BanMessage = { t: 'bans'; bans: Ban[] } | { t: 'ban-delta'; add: Ban[]; remove: string[] };

/** Sends one message to a worker; calls `done` once the message has left this process. False: the worker is gone. */
export type SendFn<M> = (m: M, done: () => void) => boolean;

/**
 * One worker's outgoing messages. Counts the messages handed to the IPC channel but not yet written
 * (Node queues them without bound when the worker does not read), so callers can skip what can be
 * skipped when the worker falls behind instead of growing the primary's memory.
 */
export class Outbox<M> {
  private queued = 0;
  private drained: (() => void) | null = null;
  constructor(private readonly sendFn: SendFn<M>, private readonly maxQueued: number) {}

  /** Messages handed over and not yet written. */
  get backlog(): number { return this.queued; }

  /** True when the backlog reached the bound: only messages that must arrive should be sent. */
  get full(): boolean { return this.queued >= this.maxQueued; }

  /** Sends `m` whatever the backlog (control messages, a catch-up snapshot). False if the worker is gone. */
  send(m: M): boolean {
    this.queued++;
    const sent = this.sendFn(m, () => {
      this.queued--;
      if (this.queued === 0 && this.drained) { const d = this.drained; this.drained = null; d(); }
    });
    if (!sent) this.queued--;
    return sent;
  }

  /** Sends `m` unless the backlog is full (a later message supersedes it). True if sent. */
  offer(m: M): boolean { return !this.full && this.send(m); }

  /** Calls `f` once the backlog is empty (at once if it is); a later call replaces an earlier one. */
  whenDrained(f: () => void): void {
    if (this.queued === 0) f();
    else this.drained = f;
  }
}

/** Same ban, field for field. */
function sameBan(a: Ban | undefined, b: Ban): boolean {
  return a !== undefined && a.target === b.target && a.createdAt === b.createdAt && a.expiresAt === b.expiresAt && a.reason === b.reason && a.source === b.source;
}

/** Timer hooks (tests drive them by hand). */
export interface FeedTimers {
  now(): number;
  /** Runs `f` after `ms`; returns nothing (the feed never cancels). */
  after(ms: number, f: () => void): void;
}

const realTimers: FeedTimers = { now: () => Date.now(), after: (ms, f) => { setTimeout(f, ms).unref(); } };

interface Follower { readonly id: number; readonly out: Outbox<BanMessage>; behind: boolean }

/**
 * The primary's ban feed. It keeps the list as last sent to the workers (`sent`) and, at most once per
 * `intervalMs`, sends every worker the difference from the store: an auto-ban costs O(1) to find and
 * to send, not a copy of the whole list per worker. A worker whose outbox is full gets no deltas; once
 * its backlog is written it gets one fresh snapshot instead of the skipped ones. Workers expire bans
 * themselves (each ban carries its expiry), so expiry sends nothing.
 */
export class BanFeed {
  private readonly sent = new Map<string, Ban>();
  private readonly followers = new Map<number, Follower>();
  private readonly dirty = new Set<string>();
  private all = false;
  private timerSet = false;
  private lastFlush = -Infinity;
  /** Messages and ban entries sent so far (all workers), for tests and benchmarks. */
  readonly stats = { deltas: 0, snapshots: 0, entries: 0 };

  constructor(private readonly bans: Pick<BanStore, 'list' | 'match'>, private readonly intervalMs: number, private readonly timers: FeedTimers = realTimers) {
    for (const b of bans.list()) this.sent.set(b.target, b);
  }

  /** A worker asked for the list: it gets a snapshot now and the changes from then on. */
  follow(id: number, out: Outbox<BanMessage>): void {
    const f: Follower = { id, out, behind: false };
    this.followers.set(id, f);
    this.snapshot(f);
  }

  /** A worker is gone. */
  unfollow(id: number): void { this.followers.delete(id); }

  /** The ban on exactly `ip` was added or renewed (an auto-ban). */
  touched(ip: string): void { this.dirty.add(ip); this.kick(); }

  /** The list changed in ways not named (admin API, config bans): the next flush compares the whole list. */
  changed(): void { this.all = true; this.kick(); }

  /** Sends every worker a fresh snapshot now (after a reload), superseding pending changes. */
  resync(): void {
    this.diff(true);
    for (const f of this.followers.values()) this.snapshot(f);
  }

  /** Forgets lapsed bans (the workers drop them on their own). Call after the store's sweep removed some. */
  lapsed(): void {
    const now = this.timers.now();
    for (const [t, b] of this.sent) if (b.expiresAt !== null && b.expiresAt <= now) this.sent.delete(t);
  }

  private kick(): void {
    if (this.timerSet) return;
    this.timerSet = true;
    this.timers.after(Math.max(0, this.lastFlush + this.intervalMs - this.timers.now()), () => this.flush());
  }

  /** Sends the pending changes to every worker (normally called by the feed's own timer). */
  flush(): void {
    this.timerSet = false;
    this.lastFlush = this.timers.now();
    const d = this.diff(this.all);
    if (d.add.length === 0 && d.remove.length === 0) return;
    const m: BanMessage = { t: 'ban-delta', add: d.add, remove: d.remove };
    for (const f of this.followers.values()) {
      if (f.behind) continue;
      if (f.out.offer(m)) { this.stats.deltas++; this.stats.entries += d.add.length + d.remove.length; continue; }
      // Too far behind: skip deltas until its backlog is written, then send the list as it is by then.
      f.behind = true;
      f.out.whenDrained(() => this.snapshot(f));
    }
  }

  /** Brings `sent` up to the store and returns what changed; `whole` compares every ban, otherwise only the touched ones. */
  private diff(whole: boolean): { add: Ban[]; remove: string[] } {
    const add: Ban[] = [], remove: string[] = [];
    if (whole) {
      const now = new Set<string>();
      for (const b of this.bans.list()) {
        now.add(b.target);
        if (!sameBan(this.sent.get(b.target), b)) { this.sent.set(b.target, b); add.push(b); }
      }
      for (const t of this.sent.keys()) if (!now.has(t)) { this.sent.delete(t); remove.push(t); }
    } else {
      for (const ip of this.dirty) {
        const b = this.bans.match(ip);
        if (b && !sameBan(this.sent.get(b.target), b)) { this.sent.set(b.target, b); add.push(b); }
      }
    }
    this.dirty.clear();
    this.all = false;
    return { add, remove };
  }

  private snapshot(f: Follower): void {
    if (this.followers.get(f.id) !== f) return; // it left meanwhile
    f.behind = false;
    const bans = this.bans.list();
    if (f.out.send({ t: 'bans', bans })) { this.stats.snapshots++; this.stats.entries += bans.length; }
  }
}

/**
 * Applies a primary's ban message to a worker's replica. A delta re-adds each ban with its remaining
 * lifetime (an already lapsed one is skipped) and removes the named targets.
 */
export function applyBanMessage(store: Pick<BanStore, 'add' | 'remove' | 'replaceAll'>, m: BanMessage, nowMs: number): void {
  if (m.t === 'bans') { store.replaceAll(m.bans); return; }
  for (const t of m.remove) store.remove(t);
  for (const b of m.add) {
    if (b.expiresAt !== null && b.expiresAt <= nowMs) continue;
    store.add(b.target, { ttlMs: b.expiresAt === null ? null : b.expiresAt - nowMs, reason: b.reason, source: b.source });
  }
}
