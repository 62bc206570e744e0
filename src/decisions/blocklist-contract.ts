// The contract suite every BlocklistBackend passes (memory here, kernel in src/kernel/control).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ban, BlocklistBackend } from './backend.js';

/** A backend under test and a way to move its clock forward (ms). */
export interface ContractSubject {
  readonly backend: BlocklistBackend;
  readonly advance: (ms: number) => void;
  /** Epoch ms "now" as the backend judges expiry. */
  readonly now: () => number;
  readonly close?: () => void;
}

const ban = (target: string, now: number, ttlMs: number | null = null, reason = 'test'): Ban => ({
  target, reason, source: 'manual', createdAt: now, expiresAt: ttlMs === null ? null : now + ttlMs,
});

/**
 * Registers the contract tests (node:test) for a backend. `make` is called once per test and must
 * return a fresh, empty backend. `skip` (a reason) skips every test, e.g. without privileges.
 */
export function runBlocklistContract(name: string, make: () => ContractSubject, skip?: string): void {
  const t = (title: string, fn: (s: ContractSubject) => void): void => {
    test(`${name} contract: ${title}`, skip ? { skip } : {}, () => {
      const s = make();
      try { fn(s); } finally { s.close?.(); }
    });
  };
  t('exact IPv4 ban is found and removed', (s) => {
    assert.ok(s.backend.add(ban('198.18.0.7', s.now())).ok);
    assert.equal(s.backend.has('198.18.0.7')?.target, '198.18.0.7');
    assert.equal(s.backend.has('198.18.0.8'), undefined);
    assert.deepEqual(s.backend.remove('198.18.0.7'), { ok: true, value: true });
    assert.equal(s.backend.has('198.18.0.7'), undefined);
    assert.deepEqual(s.backend.remove('198.18.0.7'), { ok: true, value: false });
  });
  t('CIDR bans cover their range, IPv4 and IPv6', (s) => {
    assert.ok(s.backend.add(ban('198.18.4.0/22', s.now())).ok);
    assert.ok(s.backend.add(ban('2001:db8:aa::/48', s.now())).ok);
    assert.equal(s.backend.has('198.18.7.255')?.target, '198.18.4.0/22');
    assert.equal(s.backend.has('198.18.8.0'), undefined);
    assert.equal(s.backend.has('2001:db8:aa:1::5')?.target, '2001:db8:aa::/48');
    assert.equal(s.backend.has('2001:db8:ab::5'), undefined);
    assert.deepEqual(s.backend.stats(), { exact: 0, cidr: 2 });
  });
  t('host bits are cleared and the target is canonical', (s) => {
    assert.ok(s.backend.add(ban('198.18.9.77/24', s.now())).ok);
    assert.deepEqual(s.backend.list().map((b) => b.target), ['198.18.9.0/24']);
    assert.ok(s.backend.add(ban('2001:DB8:0:0::1', s.now())).ok);
    assert.ok(s.backend.has('2001:db8::1'));
  });
  t('TTL expiry: a lapsed ban no longer matches nor lists', (s) => {
    assert.ok(s.backend.add(ban('198.18.0.9', s.now(), 5_000)).ok);
    assert.ok(s.backend.add(ban('198.18.1.0/24', s.now(), 5_000)).ok);
    assert.ok(s.backend.has('198.18.0.9'));
    s.advance(6_000);
    assert.equal(s.backend.has('198.18.0.9'), undefined);
    assert.equal(s.backend.has('198.18.1.1'), undefined);
    assert.equal(s.backend.list().length, 0);
  });
  t('re-adding replaces reason and expiry', (s) => {
    assert.ok(s.backend.add(ban('198.18.0.10', s.now(), 1_000, 'first')).ok);
    assert.ok(s.backend.add(ban('198.18.0.10', s.now(), null, 'second')).ok);
    s.advance(2_000);
    assert.equal(s.backend.has('198.18.0.10')?.reason, 'second');
    assert.equal(s.backend.list().length, 1);
  });
  t('bad targets are refused with a message, nothing lost', (s) => {
    assert.ok(s.backend.add(ban('198.18.0.11', s.now())).ok);
    for (const bad of ['', 'banana', '1.2.3.4/33', '300.1.1.1', '::1/129']) {
      const r = s.backend.add(ban(bad, s.now()));
      assert.equal(r.ok, false, bad);
      if (!r.ok) assert.ok(r.error.length > 5);
    }
    assert.equal(s.backend.has('not-an-ip'), undefined);
    assert.ok(s.backend.has('198.18.0.11'));
  });
  t('IPv4-mapped IPv6 addresses match IPv4 bans', (s) => {
    assert.ok(s.backend.add(ban('198.18.3.3', s.now())).ok);
    assert.ok(s.backend.has('::ffff:198.18.3.3'));
  });
}
