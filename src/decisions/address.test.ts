// Address and CIDR parsing: canonical forms, masking, containment, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalTarget, parsePrefix, prefixContains } from './address.js';

test('canonical forms', () => {
  const cases: Array<[string, string]> = [
    ['1.2.3.4', '1.2.3.4'], ['10.1.2.3/8', '10.0.0.0/8'], ['::1', '::1'], ['2001:DB8::0:1', '2001:db8::1'],
    ['::ffff:1.2.3.4', '1.2.3.4'], ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'], ['fe80::/10', 'fe80::/10'],
    ['0.0.0.0/0', '0.0.0.0/0'], ['1:0:0:1:0:0:0:1', '1:0:0:1::1'],
  ];
  for (const [i, want] of cases) assert.deepEqual(canonicalTarget(i), { ok: true, value: want }, i);
});

test('errors are values with a reason', () => {
  for (const bad of ['', 'x', '1.2.3', '1.2.3.4/33', '1.2.3.4/-1', '::1/200', 'fe80::1%eth0', '1.2.3.4/8a']) {
    const r = canonicalTarget(bad);
    assert.equal(r.ok, false, bad);
  }
});

test('containment', () => {
  const p = (s: string) => { const r = parsePrefix(s); if (!r.ok) throw new Error(r.error); return r.value; };
  assert.ok(prefixContains(p('198.18.0.0/15'), p('198.19.255.255')));
  assert.ok(!prefixContains(p('198.18.0.0/15'), p('198.20.0.0')));
  assert.ok(prefixContains(p('2001:db8::/33'), p('2001:db8:7fff::1')));
  assert.ok(!prefixContains(p('2001:db8::/33'), p('2001:db8:8000::1')));
  assert.ok(!prefixContains(p('0.0.0.0/0'), p('::1')));
});

test('IPv4-mapped prefixes become IPv4 prefixes (a mapped /120 is the IPv4 /24)', () => {
  const cases: Array<[string, string]> = [
    ['::ffff:127.0.0.0/120', '127.0.0.0/24'], ['::ffff:7f00:0/120', '127.0.0.0/24'], ['::FFFF:1.2.3.77/120', '1.2.3.0/24'],
    ['::ffff:1.2.3.4/128', '1.2.3.4'], ['::ffff:0.0.0.0/96', '0.0.0.0/0'], ['0:0:0:0:0:ffff:10.9.8.7/104', '10.0.0.0/8'],
  ];
  for (const [i, want] of cases) assert.deepEqual(canonicalTarget(i), { ok: true, value: want }, i);
  const p = parsePrefix('::ffff:127.0.0.0/120');
  const a = parsePrefix('127.0.0.3');
  assert.ok(p.ok && a.ok && prefixContains(p.value, a.value));
});

test('IPv4-mapped prefixes shorter than /96 are refused with a reason', () => {
  for (const bad of ['::ffff:1.2.3.4/95', '::ffff:0:0/64', '::ffff:127.0.0.1/0']) {
    const r = canonicalTarget(bad);
    assert.equal(r.ok, false, bad);
    if (!r.ok) assert.match(r.error, /IPv4-mapped prefix .* shorter than \/96/);
  }
  // Plain IPv6 prefixes are untouched.
  assert.deepEqual(canonicalTarget('::/0'), { ok: true, value: '::/0' });
  assert.deepEqual(canonicalTarget('64:ff9b::/96'), { ok: true, value: '64:ff9b::/96' });
});
