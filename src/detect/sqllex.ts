// SQL lexer: turns a value into a short token fingerprint (libinjection-style) for SQLi rules.

/**
 * Token kinds, one character each: s string, n name, k keyword, U union, E statement verb,
 * f function call, 1 number/constant, v variable, o comparison, a arithmetic, & logic operator, c comment,
 * ( ) , ; . punctuation, X anything else.
 */
export type SqlTokenKind = 's' | 'n' | 'k' | 'U' | 'E' | 'f' | '1' | 'v' | 'o' | 'a' | '&' | 'c' | '(' | ')' | ',' | ';' | '.' | 'X';

/** One token: kind and (lower-case) text, truncated to 64 chars. */
export interface SqlToken { readonly kind: SqlTokenKind; readonly text: string }

/** Maximum tokens produced per call. */
export const SQL_MAX_TOKENS = 48;

const VERBS = new Set(['select', 'insert', 'update', 'delete', 'drop', 'create', 'alter', 'exec', 'execute',
  'declare', 'truncate', 'shutdown', 'waitfor', 'grant', 'revoke']);
const COMPARE_OPS = new Set(['=', '==', '<', '>', '<=', '>=', '<>', '!=', '<=>', '||', '!<', '!>']);
const LOGIC = new Set(['and', 'or', 'xor', '&&', '||']);
const WORD_OPS = new Set(['like', 'rlike', 'regexp', 'is', 'in', 'between', 'sounds', 'collate', 'escape']);
const WORD_ARITH = new Set(['div', 'mod']);
const CONSTANTS = new Set(['null', 'true', 'false', 'current_user', 'current_date', 'current_time', 'sysdate', 'localtime', 'session_user', 'system_user']);
const KEYWORDS = new Set(['from', 'where', 'table', 'into', 'values', 'order', 'by', 'group', 'having', 'limit',
  'as', 'set', 'all', 'distinct', 'database', 'delay', 'outfile', 'dumpfile', 'procedure', 'case', 'when',
  'then', 'else', 'end', 'top', 'offset', 'join', 'on', 'asc', 'desc', 'if', 'exists', 'schema', 'column',
  'information_schema', 'sysobjects', 'syscolumns', 'mysql', 'dual', 'char', 'nchar', 'varchar', 'binary', 'cast',
  'convert', 'procedure', 'analyse', 'sleep']);

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c > 127;
}
function isIdent(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean { return c >= 48 && c <= 57; }
function isSpace(c: number): boolean { return c === 32 || (c >= 9 && c <= 13) || c === 0xa0; }

function readString(s: string, i: number, q: string): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j]!;
    if (c === '\\') { j++; continue; }
    if (c === q) { if (s[j + 1] === q) { j++; continue; } return j + 1; }
  }
  return s.length;
}

function wordKind(w: string, next: number): SqlTokenKind {
  if (w === 'union') return 'U';
  if (VERBS.has(w)) return 'E';
  if (LOGIC.has(w)) return '&';
  if (WORD_OPS.has(w)) return 'o';
  if (WORD_ARITH.has(w)) return 'a';
  if (CONSTANTS.has(w)) return '1';
  if (next === 40) return 'f';
  if (KEYWORDS.has(w)) return 'k';
  return 'n';
}

function nextNonSpace(s: string, i: number): number {
  let j = i;
  while (j < s.length && isSpace(s.charCodeAt(j))) j++;
  return j < s.length ? s.charCodeAt(j) : -1;
}

/**
 * Tokenizes `s` (already normalized, lower case). With `quote`, the value is lexed as if it started
 * inside a string literal closed by that quote (the value was injected into `'...'`). At most
 * SQL_MAX_TOKENS tokens; linear time. Never throws.
 */
export function sqlTokens(s: string, quote?: string): SqlToken[] {
  const out: SqlToken[] = [];
  const src = quote === undefined ? s : quote + s;
  let i = 0;
  const push = (kind: SqlTokenKind, text: string): void => { out.push({ kind, text: text.length > 64 ? text.slice(0, 64) : text }); };
  while (i < src.length && out.length < SQL_MAX_TOKENS) {
    const c = src.charCodeAt(i);
    if (isSpace(c)) { i++; continue; }
    const ch = src[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      const end = readString(src, i, ch);
      push(ch === '`' ? 'n' : 's', src.slice(i, end)); i = end; continue;
    }
    if (ch === '#' || (ch === '-' && src[i + 1] === '-' && (i + 2 >= src.length || !isDigit(src.charCodeAt(i + 2))))) {
      const nl = src.indexOf('\n', i); push('c', src.slice(i, nl < 0 ? src.length : nl)); i = nl < 0 ? src.length : nl + 1; continue;
    }
    if (ch === '/' && src[i + 1] === '*') {
      if (src[i + 2] === '!') { i += 3; while (i < src.length && isDigit(src.charCodeAt(i))) i++; continue; }
      const end = src.indexOf('*/', i + 2);
      // An inline comment between tokens is whitespace to the database (`UNION/**/SELECT`); only a
      // trailing or unterminated one truncates the query and becomes a token.
      if (end >= 0 && nextNonSpace(src, end + 2) >= 0) { i = end + 2; continue; }
      push('c', src.slice(i, end < 0 ? src.length : end + 2)); i = end < 0 ? src.length : end + 2; continue;
    }
    if (ch === '*' && src[i + 1] === '/') { i += 2; continue; }
    if (isDigit(c) || (ch === '.' && isDigit(src.charCodeAt(i + 1)))) {
      let j = i + 1;
      if (ch === '0' && (src[j] === 'x' || src[j] === 'b')) j++;
      while (j < src.length && (isIdent(src.charCodeAt(j)) || src[j] === '.')) j++;
      push('1', src.slice(i, j)); i = j; continue;
    }
    if (ch === '@') {
      let j = i + 1; if (src[j] === '@') j++;
      while (j < src.length && isIdent(src.charCodeAt(j))) j++;
      push('v', src.slice(i, j)); i = j; continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < src.length && isIdent(src.charCodeAt(j))) j++;
      const w = src.slice(i, j);
      push(wordKind(w, nextNonSpace(src, j)), w); i = j; continue;
    }
    if (ch === '(' || ch === ')' || ch === ',' || ch === ';' || ch === '.') { push(ch, ch); i++; continue; }
    if ((ch === '&' && src[i + 1] === '&') || (ch === '|' && src[i + 1] === '|')) { push('&', src.slice(i, i + 2)); i += 2; continue; }
    if ('=<>!+-*/%^|&~:'.includes(ch)) {
      let j = i + 1;
      while (j < src.length && '=<>!|&'.includes(src[j]!) && j - i < 3) j++;
      const op = src.slice(i, j);
      push(COMPARE_OPS.has(op) ? 'o' : 'a', op); i = j; continue;
    }
    push('X', ch); i++;
  }
  return out;
}

/** The fingerprint: token kinds joined, e.g. `s&sos`. */
export function fingerprint(tokens: readonly SqlToken[]): string {
  let f = '';
  for (const t of tokens) f += t.kind;
  return f;
}
