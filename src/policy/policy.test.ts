// Policy: route matching, modes, exclusions, thresholds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Finding } from '../core/index.js';
import { compilePolicy, decide, matchRoute } from './index.js';

const f = (rule: string, score: number, param?: string, detector = 'sqli'): Finding => ({
  detector, rule, class: 'sqli', score, part: param ? `query:${param}` : 'path', ...(param ? { param } : {}), excerpt: 'x', explanation: 'y',
});

const policy = compilePolicy({
  mode: 'block', threshold: 5,
  routes: [
    { prefix: '/api', api: true },
    { prefix: '/api/search', mode: 'detect' },
    { prefix: '/legacy', mode: 'off' },
    { prefix: '/cms', exclusions: [{ rule: 'xss-010', param: 'content' }, { detector: 'ml' }] },
    { prefix: '/trap', onBlock: 'deceive', methods: ['POST'] },
  ],
});

test('longest prefix at a segment boundary, then default', () => {
  assert.equal(matchRoute(policy, 'GET', '/api/search/x').prefix, '/api/search');
  assert.equal(matchRoute(policy, 'GET', '/api/v1').prefix, '/api');
  assert.equal(matchRoute(policy, 'GET', '/apix').name, 'default');
  assert.equal(matchRoute(policy, 'GET', '/trap').name, 'default');
  assert.equal(matchRoute(policy, 'POST', '/trap').prefix, '/trap');
});

test('block mode blocks at the threshold, detect mode only says wouldBlock, off allows', () => {
  const fs = [f('sqli-001', 5, 'q')];
  assert.equal(decide(fs, matchRoute(policy, 'GET', '/')).verdict, 'BLOCK');
  assert.equal(decide([f('sqli-001', 4)], matchRoute(policy, 'GET', '/')).verdict, 'ALLOW');
  const d = decide(fs, matchRoute(policy, 'GET', '/api/search'));
  assert.equal(d.verdict, 'ALLOW'); assert.equal(d.wouldBlock, true); assert.equal(d.mode, 'detect');
  const o = decide(fs, matchRoute(policy, 'GET', '/legacy/a'));
  assert.equal(o.verdict, 'ALLOW'); assert.equal(o.wouldBlock, false);
  assert.equal(decide(fs, matchRoute(policy, 'POST', '/trap')).verdict, 'DECEIVE');
});

test('the route threshold compares the anomaly score: a rule counts once however many parameters it matched', () => {
  const twice = [f('lfi-002', 4, 'title'), f('lfi-002', 4, 'description')];
  const d = decide(twice, matchRoute(policy, 'GET', '/'));
  assert.equal(d.verdict, 'ALLOW'); assert.equal(d.score, 4); assert.equal(d.findings.length, 2);
  assert.equal(decide([...twice, f('xss-005', 3, 'title')], matchRoute(policy, 'GET', '/')).verdict, 'BLOCK');
});

test('exclusions by rule+param and by detector', () => {
  const cms = matchRoute(policy, 'GET', '/cms/page');
  assert.equal(decide([f('xss-010', 5, 'content')], cms).verdict, 'ALLOW');
  assert.equal(decide([f('xss-010', 5, 'title')], cms).verdict, 'BLOCK');
  assert.equal(decide([f('ml-001', 5, undefined, 'ml')], cms).verdict, 'ALLOW');
  const d = decide([f('xss-010', 5, 'content'), f('sqli-002', 3, 'q')], cms);
  assert.equal(d.score, 3); assert.equal(d.findings.length, 1);
});

test('routes are chosen by the canonical path: encodings cannot escape into a weaker route', async () => {
  const { canonicalPath } = await import('./index.js');
  const cases: Array<[string, string]> = [
    ['/api/x', '/api/x'], ['//api//x', '/api/x'], ['/%61pi/x', '/api/x'], ['/static/../api/x', '/api/x'],
    ['/static/..;/api/x', '/api/x'], ['/static/%2e%2e/api/x', '/api/x'], ['/static%2f..%2fapi/x', '/api/x'],
    ['/static\\..\\api', '/api'], ['/../../etc', '/etc'], ['/a/./b/', '/a/b/'], ['/', '/'], ['', '/'], ['/a;jsessionid=1/b', '/a/b'],
    ['/q%3Fx', '/q%3Fx'],
  ];
  for (const [raw, want] of cases) assert.equal(canonicalPath(raw), want, raw);
  const p = compilePolicy({ mode: 'block', threshold: 5, routes: [{ prefix: '/static', mode: 'off' }, { prefix: '/api', mode: 'block' }] });
  for (const raw of ['/static/../api/users', '/static/..;/api/users', '/static/%2e%2e/api/users', '/%73tatic/../api/users']) {
    assert.equal(matchRoute(p, 'GET', raw).prefix, '/api', raw);
  }
  assert.equal(matchRoute(p, 'GET', '/%73tatic/app.js').prefix, '/static');
});

test('method overrides: the strictest route (mode, then threshold, then fewer exclusions), the own route on a tie', async () => {
  const { matchRouteWithOverride } = await import('./index.js');
  const p = compilePolicy({ mode: 'block', threshold: 5, routes: [
    { prefix: '/a', methods: ['POST'], mode: 'off' }, { prefix: '/a', methods: ['DELETE'], mode: 'detect' },
    { prefix: '/b', methods: ['POST'], threshold: 8 }, { prefix: '/b', methods: ['PUT'], threshold: 3 },
    { prefix: '/c', methods: ['PUT'], mode: 'off' },
  ] });
  assert.equal(matchRouteWithOverride(p, 'POST', [], '/a/x').mode, 'off');
  assert.equal(matchRouteWithOverride(p, 'POST', ['DELETE'], '/a/x').mode, 'detect');
  assert.equal(matchRouteWithOverride(p, 'POST', ['PUT'], '/b').threshold, 3);
  assert.equal(matchRouteWithOverride(p, 'POST', ['PUT'], '/c').mode, 'block', 'an override towards an off route keeps the stricter default');
  assert.equal(matchRouteWithOverride(p, 'POST', ['POST'], '/a').mode, 'off');
  assert.equal(matchRouteWithOverride(p, 'POST', ['DELETE', 'PATCH'], '/a/x').mode, 'block', 'the strictest of several overrides (PATCH /a falls to the block default)');
  const ex = compilePolicy({ mode: 'block', threshold: 5, routes: [{ prefix: '/e', methods: ['POST'], exclusions: [{ detector: 'sqli' }] }] });
  assert.equal(matchRouteWithOverride(ex, 'POST', ['DELETE'], '/e/1').exclusions.length, 0, 'on a tie, the route with fewer exclusions');
});

test('case variants: the stricter of the exact and the case-folded match', () => {
  const p = compilePolicy({ mode: 'off', threshold: 5, routes: [{ prefix: '/admin', mode: 'block' }, { prefix: '/Docs', mode: 'detect' }, { prefix: '/api', mode: 'detect' }, { prefix: '/API', mode: 'off' }] });
  assert.equal(matchRoute(p, 'GET', '/admin/x').mode, 'block');
  assert.equal(matchRoute(p, 'GET', '/ADMIN/x').mode, 'block');
  assert.equal(matchRoute(p, 'GET', '/docs/a').mode, 'detect');
  assert.equal(matchRoute(p, 'GET', '/DOCS/a').mode, 'detect');
  assert.equal(matchRoute(p, 'GET', '/API/x').mode, 'detect', 'an exact match to a weaker route does not win over the folded stricter one');
  assert.equal(matchRoute(p, 'GET', '/shop').mode, 'off');
});

test('byMethod says whether any route matches by method (only then can an override claim move a request)', () => {
  assert.equal(compilePolicy({ mode: 'block', threshold: 5, routes: [{ prefix: '/api', mode: 'detect' }] }).byMethod, false);
  assert.equal(compilePolicy({ mode: 'block', threshold: 5, routes: [] }).byMethod, false);
  assert.equal(compilePolicy({ mode: 'block', threshold: 5, routes: [{ prefix: '/api', mode: 'detect' }, { prefix: '/api', methods: ['DELETE'], mode: 'block' }] }).byMethod, true);
});
