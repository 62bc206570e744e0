// Config validation: defaults, every error with its line, overrides, frozen snapshots.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig, formatIssue } from './index.js';

test('minimal config gets defaults and is frozen', () => {
  const r = validateConfig('upstream: http://127.0.0.1:3000\n', 'a.yaml');
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.value.listen, '127.0.0.1:8080');
  assert.equal(r.value.mode, 'block');
  assert.equal(r.value.limits.inspectBodyBytes, 65536);
  assert.ok(Object.isFrozen(r.value) && Object.isFrozen(r.value.limits));
});

test('every error is reported with file:line path', () => {
  const text = [
    'upstream: ftp://x', // line 1
    'listen: nowhere', // line 2
    'mode: sometimes', // line 3
    'routes:', // 4
    '  - prefix: api', // 5
    '    exclusions:', // 6
    '      - param: q', // 7
    'allowlist: [10.0.0.0/8, banana]', // 8
    'limits:', // 9
    '  maxHeaderBytes: 12', // 10
    'bogus: 1', // 11
  ].join('\n');
  const r = validateConfig(text, 'bad.yaml');
  assert.equal(r.ok, false);
  if (r.ok) return;
  const lines = r.error.map(formatIssue);
  const has = (re: RegExp) => assert.ok(lines.some((l) => re.test(l)), `${re} in\n${lines.join('\n')}`);
  has(/^bad\.yaml:1 upstream: expected an http/);
  has(/^bad\.yaml:2 listen: expected HOST:PORT/);
  has(/^bad\.yaml:3 mode: /);
  has(/^bad\.yaml:5 routes\.0\.prefix: a route prefix starts with \//);
  has(/^bad\.yaml:7 routes\.0\.exclusions\.0: an exclusion needs/);
  has(/^bad\.yaml:10 limits\.maxHeaderBytes: /);
  has(/^bad\.yaml:1 \(root\): .*bogus/);
});

test('address lists are checked after the schema', () => {
  const r = validateConfig('upstream: http://a:1\nallowlist:\n  - 10.0.0.0/8\n  - banana\n', 'c.yaml');
  assert.equal(r.ok, false);
  if (!r.ok) assert.equal(formatIssue(r.error[0]!), 'c.yaml:4 allowlist.1: not an IP address or CIDR: "banana"');
});

test('YAML syntax errors and non-mappings', () => {
  const a = validateConfig('upstream: [unclosed\n', 'y.yaml');
  assert.equal(a.ok, false);
  if (!a.ok) assert.match(formatIssue(a.error[0]!), /^y\.yaml:\d+ \(root\): YAML: /);
  const b = validateConfig('- 1\n- 2\n', 'l.yaml');
  assert.equal(b.ok, false);
  const c = validateConfig('a: 1\na: 2\n', 'd.yaml');
  assert.equal(c.ok, false);
});

test('flag overrides win over the file', () => {
  const r = validateConfig('upstream: http://a:1\nmode: block\n', 'o.yaml', { mode: 'detect', listen: '127.0.0.1:0', 'admin.listen': '127.0.0.1:0' });
  assert.ok(r.ok);
  if (r.ok) { assert.equal(r.value.mode, 'detect'); assert.equal(r.value.admin.listen, '127.0.0.1:0'); }
});

test('detection.modelThreshold: a probability strictly between 0 and 1, reported with its line', () => {
  const good = validateConfig('upstream: http://a:1\ndetection:\n  modelThreshold: 0.7\n', 'm.yaml');
  assert.ok(good.ok);
  if (good.ok) assert.equal(good.value.detection.modelThreshold, 0.7);
  for (const v of ['1', '0', '1.5', '-0.2', 'high']) {
    const r = validateConfig(`upstream: http://a:1\ndetection:\n  modelThreshold: ${v}\n`, 'm.yaml');
    assert.equal(r.ok, false, v);
    if (!r.ok) assert.match(formatIssue(r.error[0]!), /^m\.yaml:3 detection\.modelThreshold: /);
  }
});
