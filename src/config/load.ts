// Reads a config file from disk and validates it (the I/O half of config loading).

import { readFileSync } from 'node:fs';
import { err, type Result } from '../core/index.js';
import type { ShieldConfig } from './schema.js';
import { validateConfig, type ConfigIssue, type ConfigOverrides } from './validate.js';

/**
 * Loads and validates a config file; with no file, validates the overrides alone (an empty config).
 * Never throws: an unreadable file is one issue.
 */
export function loadConfig(file: string | undefined, overrides: ConfigOverrides = {}): Result<ShieldConfig, ConfigIssue[]> {
  if (file === undefined) return validateConfig('{}', '<flags>', overrides);
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) {
    return err([{ file, line: 1, path: '', message: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` }]);
  }
  return validateConfig(text, file, overrides);
}
