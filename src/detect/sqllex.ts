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

/** Word → kind for words whose kind does not depend on a following `(` (checked before the call test). */
const WORD_KIND = new Map<string, SqlTokenKind>();
/** Keywords: kind k unless followed by `(` (then f). */
const KEYWORD_KIND = new Map<string, SqlTokenKind>();
for (const w of KEYWORDS) KEYWORD_KIND.set(w, 'k');
for (const [set, kind] of [[CONSTANTS, '1'], [WORD_ARITH, 'a'], [WORD_OPS, 'o'], [LOGIC, '&'], [VERBS, 'E']] as const) for (const w of set) WORD_KIND.set(w, kind);
WORD_KIND.set('union', 'U');

/** Length of the longest word in WORD_KIND or KEYWORD_KIND. */
const MAX_WORD = Math.max(...[...WORD_KIND.keys(), ...KEYWORD_KIND.keys()].map((w) => w.length));

/** Class of a word's first or second character for WORD_KEYS: a-z, `_`, anything else (28: none, a one-letter word). */
function keyClass(c: number): number {
  return c >= 97 && c <= 122 ? c - 97 : c === 95 ? 26 : 27;
}
/**
 * (first char class, second char class, length) of every word in WORD_KIND or KEYWORD_KIND: a word
 * whose triple is absent is in neither map, so it is a name or a call, known without slicing it out
 * and looking it up (most words of prose and identifiers).
 */
const WORD_KEYS = (() => {
  const t = new Uint8Array(29 * 29 * (MAX_WORD + 1));
  for (const w of [...WORD_KIND.keys(), ...KEYWORD_KIND.keys()]) {
    t[(keyClass(w.charCodeAt(0)) * 29 + (w.length > 1 ? keyClass(w.charCodeAt(1)) : 28)) * (MAX_WORD + 1) + w.length] = 1;
  }
  return t;
})();

/** Kind of the word `src[i, j)`, followed by the character `next` (−1: none). */
function wordAt(src: string, i: number, j: number, next: number): SqlTokenKind {
  const len = j - i;
  if (len > MAX_WORD || WORD_KEYS[(keyClass(src.charCodeAt(i)) * 29 + (len > 1 ? keyClass(src.charCodeAt(i + 1)) : 28)) * (MAX_WORD + 1) + len] !== 1) {
    return next === 40 ? 'f' : 'n';
  }
  return wordKind(src.slice(i, j), next);
}

function wordKind(w: string, next: number): SqlTokenKind {
  const k = WORD_KIND.get(w);
  if (k !== undefined) return k;
  if (next === 40) return 'f';
  return KEYWORD_KIND.get(w) ?? 'n';
}

/**
 * End of the number that starts the run `src[i, j)`: MySQL reads `5661union` as 5661 UNION, so a run of
 * decimal digits followed by a keyword that joins queries (UNION, a verb, AND/OR, FROM, ORDER, ...) ends
 * before the keyword. Other runs (`1st`, `0x3a`, `2fa`) stay one token.
 */
function glued(src: string, i: number, j: number): number {
  let k = i;
  while (k < j && (isDigit(src.charCodeAt(k)) || src[k] === '.')) k++;
  if (k === i || k >= j || k - i > 24 || j - k > MAX_WORD) return j;
  const kind = wordKind(src.slice(k, j), nextNonSpace(src, j));
  return kind === 'U' || kind === 'E' || kind === '&' || kind === 'k' ? k : j;
}

function nextNonSpace(s: string, i: number): number {
  let j = i;
  while (j < s.length && isSpace(s.charCodeAt(j))) j++;
  return j < s.length ? s.charCodeAt(j) : -1;
}

const OP_CHARS = '=<>!+-*/%^|&~:';
const OP_CONT = '=<>!|&';

/**
 * A lexed value: `fp` is the fingerprint (one kind char per token). Token positions are computed
 * only when a token's text is asked for (tokenText): most values need the fingerprint alone.
 */
export interface SqlLex {
  readonly fp: string;
  /** The lexed value; with `quote`, lexed as if `quote + value` (positions count the quote). */
  readonly value: string;
  readonly quote: string | undefined;
  /** Token i spans `(quote + value).slice(pos[2i], pos[2i+1])`; filled by the first tokenText call. */
  pos: number[] | undefined;
}

/** Text of token i of a lex (lower case, at most 64 chars); '' past the end. */
export function tokenText(lex: SqlLex, i: number): string {
  const pos = lex.pos ?? (lex.pos = lexCore(lex.value, lex.quote, []).pos!);
  const a = pos[2 * i], b = pos[2 * i + 1];
  if (a === undefined || b === undefined) return '';
  const src = lex.quote === undefined ? lex.value : lex.quote + lex.value;
  return src.slice(a, b - a > 64 ? a + 64 : b);
}

/**
 * Tokenizes `s` (already normalized, lower case). With `quote`, the value is lexed as if it started
 * inside a string literal closed by that quote (the value was injected into `'...'`). At most
 * SQL_MAX_TOKENS tokens; linear time. Never throws.
 */
export function lexSql(s: string, quote?: string): SqlLex {
  return lexCore(s, quote, undefined);
}

/**
 * The lexer; records token positions (in `quote + s` coordinates) into `pos` when given. The quote
 * is not prepended (that would copy a long value for every context): the first token is the
 * string it opens, closed by the first unescaped quote of `s`.
 */
function lexCore(src: string, quote: string | undefined, pos: number[] | undefined): SqlLex {
  let fp = '';
  let i = 0;
  const off = quote === undefined ? 0 : 1;
  const push = (kind: SqlTokenKind, from: number, to: number): void => { fp += kind; if (pos !== undefined) pos.push(from + off, to + off); };
  if (quote !== undefined) { const end = readString(src, -1, quote); push('s', -1, end); i = end; }
  while (i < src.length && fp.length < SQL_MAX_TOKENS) {
    const c = src.charCodeAt(i);
    if (isSpace(c)) { i++; continue; }
    const ch = src[i]!;
    if (ch === "'" || ch === '"' || ch === '`') {
      const end = readString(src, i, ch);
      push(ch === '`' ? 'n' : 's', i, end); i = end; continue;
    }
    if (ch === '#' || (ch === '-' && src[i + 1] === '-' && (i + 2 >= src.length || !isDigit(src.charCodeAt(i + 2))))) {
      const nl = src.indexOf('\n', i); const end = nl < 0 ? src.length : nl; push('c', i, end); i = nl < 0 ? src.length : nl + 1; continue;
    }
    if (ch === '/' && src[i + 1] === '*') {
      if (src[i + 2] === '!') { i += 3; while (i < src.length && isDigit(src.charCodeAt(i))) i++; continue; }
      const end = src.indexOf('*/', i + 2);
      // An inline comment between tokens is whitespace to the database (`UNION/**/SELECT`); only a
      // trailing or unterminated one truncates the query and becomes a token.
      if (end >= 0 && nextNonSpace(src, end + 2) >= 0) { i = end + 2; continue; }
      const stop = end < 0 ? src.length : end + 2; push('c', i, stop); i = stop; continue;
    }
    if (ch === '*' && src[i + 1] === '/') { i += 2; continue; }
    if (isDigit(c) || (ch === '.' && isDigit(src.charCodeAt(i + 1)))) {
      let j = i + 1;
      if (ch === '0' && (src[j] === 'x' || src[j] === 'b')) j++;
      while (j < src.length && (isIdent(src.charCodeAt(j)) || src[j] === '.')) j++;
      const k = glued(src, i, j);
      push('1', i, k); i = k; continue;
    }
    if (ch === '@') {
      let j = i + 1; if (src[j] === '@') j++;
      while (j < src.length && isIdent(src.charCodeAt(j))) j++;
      push('v', i, j); i = j; continue;
    }
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < src.length && isIdent(src.charCodeAt(j))) j++;
      push(wordAt(src, i, j, nextNonSpace(src, j)), i, j); i = j; continue;
    }
    if (ch === '(' || ch === ')' || ch === ',' || ch === ';' || ch === '.') { push(ch, i, i + 1); i++; continue; }
    if ((ch === '&' && src[i + 1] === '&') || (ch === '|' && src[i + 1] === '|')) { push('&', i, i + 2); i += 2; continue; }
    if (OP_CHARS.includes(ch)) {
      let j = i + 1;
      while (j < src.length && OP_CONT.includes(src[j]!) && j - i < 3) j++;
      push(COMPARE_OPS.has(src.slice(i, j)) ? 'o' : 'a', i, j); i = j; continue;
    }
    push('X', i, i + 1); i++;
  }
  return { fp, value: src, quote, pos };
}

/** Tokens of `s` as objects (see lexSql). At most SQL_MAX_TOKENS; never throws. */
export function sqlTokens(s: string, quote?: string): SqlToken[] {
  const lex = lexSql(s, quote);
  const out: SqlToken[] = [];
  for (let i = 0; i < lex.fp.length; i++) out.push({ kind: lex.fp[i] as SqlTokenKind, text: tokenText(lex, i) });
  return out;
}

/** The fingerprint: token kinds joined, e.g. `s&sos`. */
export function fingerprint(tokens: readonly SqlToken[]): string {
  let f = '';
  for (const t of tokens) f += t.kind;
  return f;
}
