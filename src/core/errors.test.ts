// Enumerates the stable error codes so a change to them is deliberate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_CODES, JirachiError, isJirachiError } from './index.js';

test('error codes are stable, unique and prefixed', () => {
  assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length);
  for (const c of ERROR_CODES) assert.match(c, /^JIRACHI_ERR_[A-Z]+$/);
  const e = new JirachiError('JIRACHI_ERR_CONFIG', 'bad');
  assert.ok(isJirachiError(e, 'JIRACHI_ERR_CONFIG'));
  assert.ok(!isJirachiError(e, 'JIRACHI_ERR_IO'));
  assert.ok(!isJirachiError(new Error('x')));
});
