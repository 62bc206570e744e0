// PHP code injection (`php-*`, reported as class cmdi): code tags, dangerous calls, and calls whose callee is computed.

import type { RequestView } from '../../core/index.js';
import type { ParsedRequest } from '../parts.js';
import { addGateNeedles, allocateBit, compileRules, emit, gatedValues, tableDetector, type FindingSink, type SignatureDetector, trackPattern } from '../signature.js';

/** PHP functions that run commands, evaluate code or read and write files: the targets of obfuscated calls. */
const DANGEROUS = ['system', 'exec', 'shell_exec', 'passthru', 'popen', 'proc_open', 'pcntl_exec', 'assert', 'eval', 'phpinfo',
  'create_function', 'call_user_func', 'call_user_func_array', 'base64_decode', 'str_rot13', 'gzinflate', 'gzuncompress',
  'file_get_contents', 'file_put_contents', 'fsockopen', 'pfsockopen', 'curl_exec', 'readfile', 'unserialize', 'uname'];
const DANGEROUS_ALT = DANGEROUS.join('|');

/**
 * What may separate a callee from its `(`: nothing; a space when a quoted or `$` argument follows (prose such as
 * `the solar system (…)` or `features include (…)` has neither); or inline comments (`exec /*x*​/ (`, `exec #x\n(`).
 * Values are whitespace-collapsed.
 */
const GAP = String.raw`(?:\(|\s\(\s?['"$\x60]|(?:\s?(?:/\*[^*]{0,40}\*/|(?:#|//)[^\s(]{0,40}\s)){1,4}\s?\()`;

/** Variable-name start needles: `$a`…`$z`, `$_`, `$$`, `${`, `$ {`. */
const VAR_NEEDLES = [...'abcdefghijklmnopqrstuvwxyz_$'].map((c) => `$${c}`).concat(['${', '$ {']);

const table = tableDetector('php', 'cmdi', compileRules([
  { id: 'php-001', score: 5, needles: ['<?'], pattern: '<\\?(?:php\\b|=)|<\\?\\s?(?:echo|print|system|exec|eval|passthru)\\b|<\\?\\s?php\\b', explanation: 'PHP open tag' },
  { id: 'php-002', score: 5, needles: ['exec', 'passthru', 'popen', 'proc_open', 'phpinfo', 'system', 'assert', 'create_function', 'gzinflate', 'str_rot13', 'base64_decode', 'call_user_func', 'file_put_contents', 'file_get_contents', 'fopen', 'readfile', 'show_source', 'highlight_file', 'move_uploaded', 'unserialize', 'include', 'require', 'preg_replace', 'fsockopen', 'curl_init', 'gzuncompress', 'gzdecode', 'bzdecompress'],
    pattern: `\\b(?:shell_exec|passthru|popen|proc_open|pcntl_exec|phpinfo|system|assert(?:_options)?|create_function|gzinflate|gzuncompress|gzdecode|bzdecompress|str_rot13|base64_decode|call_user_func(?:_array)?|file_put_contents|file_get_contents|fopen|readfile|show_source|highlight_file|move_uploaded_file|unserialize|(?:include|require)(?:_once)?|preg_replace|p?fsockopen|curl_init|exec)${GAP}`, explanation: 'PHP function call' },
  { id: 'php-003', score: 5, needles: ['$_'], pattern: '\\$_(?:get|post|request|cookie|server|files|env|session)\\b', explanation: 'PHP superglobal' },
  { id: 'php-004', score: 5, needles: ['o:', 'a:'], pattern: '\\bo:\\d{1,4}:"[a-z0-9_\\\\]{1,100}":\\d{1,4}:\\{', explanation: 'PHP serialized object' },
  { id: 'php-005', score: 4, needles: ['[php]', '[/php]', '(string)', '( string', '"."', "'.'"], pattern: '\\[/?php\\]|\\(\\s?string\\s?\\)\\s?["\'{\\[]|["\']\\s*\\.\\s*["\'][a-z]{1,8}["\']\\s*\\.\\s*["\']', explanation: 'PHP obfuscation' },
  { id: 'php-009', score: 5, needles: ['echo', 'print'], pattern: String.raw`^[^"'\s]{0,20}["']\s?;[\s+]?(?:echo|print)[\s+]?["'$]`, explanation: 'string breakout into a PHP echo statement (5";echo "x";)' },
  { id: 'php-010', score: 5, needles: ['fputcsv', 'fwrite', 'fputs', 'fpassthru', 'unlink', 'parse_ini_file', 'highlight_string', 'putenv', 'ini_set', 'symlink', 'tempnam'], pattern: String.raw`\b(?:fputcsv|fwrite|fputs|fpassthru|unlink|parse_ini_file|highlight_string|putenv|ini_set|symlink|tempnam)\s?\(\s?\$[a-z_]`, explanation: 'PHP file, environment or setting function called on a PHP variable (fputcsv($fh, …), unlink($f))' },
  // `$f(…)`, `$$b(2)`, `${'a'}(1)`, `$__['o'](5)`, `$a /*c*/ (`, `$obj->$name(`, `($y)('uname')`: the callee is a variable.
  { id: 'php-006', score: 5, needles: VAR_NEEDLES,
    pattern: `\\$\\s?(?:\\$*[a-z_][a-z0-9_]{0,40}|\\{[^}]{1,60}\\})(?:\\)?\\(|(?:\\s?(?:\\[[^\\]\\s]{1,40}\\]\\]?|\\{[^}\\s]{1,40}\\}|->\\$[a-z_][a-z0-9_]{0,40}|/\\*[^*]{0,40}\\*/|(?:#|//)[^\\s(]{0,40}\\s))+(?:\\s?\\))?\\s?\\()`, explanation: 'PHP call through a variable (variable function)' },
  // `"system"(ls)`, `('system')('id')`, `(system)(ls)`, `[system][0](ls)`: the callee is a string or constant naming a dangerous function.
  { id: 'php-007', score: 5, needles: DANGEROUS,
    pattern: `(?:["']\\s?(?:${DANGEROUS_ALT})\\s?["']\\s?\\)?|\\(\\s?(?:/\\*[^*]{0,40}\\*/\\s?)?(?:${DANGEROUS_ALT})\\s?\\)|\\[\\s?(?:${DANGEROUS_ALT})\\s?\\](?:\\s?\\[\\s?\\d\\s?\\])?\\s?\\)?)${GAP}`, explanation: 'PHP call whose callee is a quoted or bracketed function name' },
]));

/** A run of quoted or parenthesized pieces joined by `.` (`'sys'.'tem'`, `(sy.(st).em)`). */
const CONCAT_RE = trackPattern(/[("'][a-z_()'"\s.]{3,80}/g);
const DANGEROUS_SET: ReadonlySet<string> = new Set(DANGEROUS);
const NON_NAME_RE = trackPattern(/[^a-z_]/g);
const CONCAT_BIT = allocateBit();
addGateNeedles(["'.'", '"."', "' . '", '" . "', "'.", '".', '.(', ').'], CONCAT_BIT);

/** Count of quote and parenthesis characters in `s`. */
function punctuation(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) { const c = s[i]; if (c === "'" || c === '"' || c === '(' || c === ')') n++; }
  return n;
}

/** The dangerous function name the run spells from one of its quotes or parentheses before the first `.`, up to the end or to a call's `(`; undefined when none. Runs are ≤ 80 characters. */
function concatenatedName(run: string): string | undefined {
  const dot = run.indexOf('.');
  for (let start = 0; start < dot; start++) {
    const c = run[start];
    if (c !== "'" && c !== '"' && c !== '(') continue;
    for (let end = run.indexOf('(', dot); ; end = run.indexOf('(', end + 1)) {
      const name = (end < 0 ? run.slice(start) : run.slice(start, end)).replace(NON_NAME_RE, '');
      if (name.length >= 4 && DANGEROUS_SET.has(name)) return name;
      if (end < 0) break;
    }
  }
  return undefined;
}

/** `php-008`: a dangerous function name built by string concatenation (`'sys'.'tem'`, `"sys"."t"."em"`, `(sy.(st).em)`). */
const concatDetector: SignatureDetector = Object.freeze({
  id: 'php',
  classes: ['cmdi'] as const,
  inspectParsed(parsed: ParsedRequest, _view: RequestView, sink: FindingSink): void {
    for (const [part, v] of gatedValues(parsed, CONCAT_BIT)) {
      for (const m of v.matchAll(CONCAT_RE)) {
        const run = m[0];
        if (!run.includes('.') || punctuation(run) < 3) continue;
        const name = concatenatedName(run);
        if (name !== undefined) {
          emit(sink, 'php', 'php-008', 'cmdi', 5, part, m.index, `PHP function name ${name} built by string concatenation`);
          break;
        }
      }
    }
  },
});

/** PHP code injection (`php-*`); reported as class cmdi. */
export const phpDetector: SignatureDetector = Object.freeze({
  id: 'php',
  classes: ['cmdi'] as const,
  inspectParsed(parsed: ParsedRequest, view: RequestView, sink: FindingSink): void {
    table.inspectParsed(parsed, view, sink);
    concatDetector.inspectParsed(parsed, view, sink);
  },
});
