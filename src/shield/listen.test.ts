// The admin token: a given token shorter than 16 characters is rejected and said (never echoed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ShieldConfig } from '../config/index.js';
import { adminToken } from './listen.js';

function cfgIn(dir: string, token?: string): ShieldConfig {
  return { stateDir: dir, admin: { listen: '127.0.0.1:0', tokenEnv: 'JIRACHI_TEST_ADMIN_TOKEN', ...(token === undefined ? {} : { token }) } } as unknown as ShieldConfig;
}

test('a too-short token from the env var is rejected, said in one line without the token, and one is generated', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const said: string[] = [];
  const tok = adminToken(cfgIn(dir), (l) => said.push(l), { JIRACHI_TEST_ADMIN_TOKEN: 'short-secret' });
  assert.notEqual(tok, 'short-secret');
  assert.ok(tok.length >= 16);
  assert.equal(said.length, 2);
  assert.match(said[0]!, /admin token from environment variable JIRACHI_TEST_ADMIN_TOKEN rejected: 12 characters, at least 16 required/);
  assert.match(said[1]!, /admin token generated and written to/);
  assert.ok(!said.join('\n').includes('short-secret'), 'the rejected token is never echoed');
  assert.equal(readFileSync(join(dir, 'admin-token'), 'utf8').trim(), tok);
});

test('long enough tokens are used as given (config, then env, then file), with nothing said', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const said: string[] = [];
  const env = { JIRACHI_TEST_ADMIN_TOKEN: 'env-token-0123456789' };
  assert.equal(adminToken(cfgIn(dir, 'cfg-token-0123456789'), (l) => said.push(l), env), 'cfg-token-0123456789');
  assert.equal(adminToken(cfgIn(dir), (l) => said.push(l), env), 'env-token-0123456789');
  writeFileSync(join(dir, 'admin-token'), 'file-token-0123456789\n');
  assert.equal(adminToken(cfgIn(dir), (l) => said.push(l), {}), 'file-token-0123456789');
  assert.deepEqual(said, []);
});

test('a too-short config token or token file is rejected and said too', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'jirachi-token-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'admin-token'), 'tiny\n');
  const said: string[] = [];
  const tok = adminToken(cfgIn(dir, 'cfg-short'), (l) => said.push(l), {});
  assert.ok(tok.length >= 16);
  assert.match(said[0]!, /from config admin\.token rejected: 9 characters/);
  assert.match(said[1]!, /from file .*admin-token rejected: 4 characters/);
  assert.ok(!said.join('\n').includes('cfg-short') && !said.join('\n').includes('tiny'));
});
