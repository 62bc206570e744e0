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
const LOGIC = new Set(['and', 'or', 'xor', '&&', '||']);
const WORD_OPS = new Set(['like', 'rlike', 'regexp', 'is', 'in', 'between', 'sounds', 'collate', 'escape']);
const WORD_ARITH = new Set(['div', 'mod']);
const CONSTANTS = new Set(['null', 'true', 'false', 'current_user', 'current_date', 'current_time', 'sysdate', 'localtime', 'session_user', 'system_user']);
/** Keywords: kind k unless followed by `(` (then f). */
const KEYWORDS = new Set(['from', 'where', 'table', 'into', 'values', 'order', 'by', 'group', 'having', 'limit',
  'as', 'set', 'all', 'distinct', 'database', 'delay', 'outfile', 'dumpfile', 'procedure', 'case', 'when',
  'then', 'else', 'end', 'top', 'offset', 'join', 'on', 'asc', 'desc', 'if', 'exists', 'schema', 'column',
  'information_schema', 'sysobjects', 'syscolumns', 'mysql', 'dual', 'char', 'nchar', 'varchar', 'binary', 'cast',
  'convert', 'procedure', 'analyse', 'sleep']);

/** Character classes of the lexer, by char code (ASCII; anything above 127 is an identifier character). */
const C_SPACE = 1, C_IDENT_START = 2, C_DIGIT = 4, C_OP = 8, C_OP_CONT = 16;
const CLASS = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    if (c === 32 || (c >= 9 && c <= 13)) t[c]! |= C_SPACE;
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36) t[c]! |= C_IDENT_START;
    if (c >= 48 && c <= 57) t[c]! |= C_DIGIT;
  }
  for (const ch of '=<>!+-*/%^|&~:') t[ch.charCodeAt(0)]! |= C_OP;
  for (const ch of '=<>!|&') t[ch.charCodeAt(0)]! |= C_OP_CONT;
  return t;
})();

function isIdentStart(c: number): boolean {
  return c < 128 ? (CLASS[c]! & C_IDENT_START) !== 0 : true;
}
function isIdent(c: number): boolean {
  return c < 128 ? (CLASS[c]! & (C_IDENT_START | C_DIGIT)) !== 0 : true;
}
function isDigit(c: number): boolean { return c >= 48 && c <= 57; }
function isSpace(c: number): boolean { return c < 128 ? (CLASS[c]! & C_SPACE) !== 0 : c === 0xa0; }

/** End of the string literal opened by the quote (char code `q`) at `i`: past its closing quote, or the end. */
function readString(s: string, i: number, q: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 92 /* \ */) { j++; continue; }
    if (c === q) { if (s.charCodeAt(j + 1) === q) { j++; continue; } return j + 1; }
  }
  return s.length;
}

const K_STRING = 115, K_NAME = 110, K_KEYWORD = 107, K_FUNC = 102, K_NUMBER = 49, K_VAR = 118, K_COMPARE = 111, K_ARITH = 97,
  K_LOGIC = 38, K_COMMENT = 99, K_OTHER = 88;

/** Word → kind char code for words whose kind does not depend on a following `(` (checked before the call test). */
const WORD_KIND = new Map<string, number>();
for (const [set, kind] of [[CONSTANTS, '1'], [WORD_ARITH, 'a'], [WORD_OPS, 'o'], [LOGIC, '&'], [VERBS, 'E']] as const) for (const w of set) WORD_KIND.set(w, kind.charCodeAt(0));
WORD_KIND.set('union', 85 /* U */);

/** Length of the longest word in WORD_KIND or KEYWORDS. */
const MAX_WORD = Math.max(...[...WORD_KIND.keys(), ...KEYWORDS].map((w) => w.length));

/** Class of a word's first or second character for WORD_KEYS: a-z, `_`, anything else (28: none, a one-letter word). */
function keyClass(c: number): number {
  return c >= 97 && c <= 122 ? c - 97 : c === 95 ? 26 : 27;
}
/**
 * (first char class, second char class, length) of every word in WORD_KIND or KEYWORDS: a word
 * whose triple is absent is in neither, so it is a name or a call, known without slicing it out
 * and looking it up (most words of prose and identifiers).
 */
const WORD_KEYS = (() => {
  const t = new Uint8Array(29 * 29 * (MAX_WORD + 1));
  for (const w of [...WORD_KIND.keys(), ...KEYWORDS]) {
    t[(keyClass(w.charCodeAt(0)) * 29 + (w.length > 1 ? keyClass(w.charCodeAt(1)) : 28)) * (MAX_WORD + 1) + w.length] = 1;
  }
  return t;
})();

/** Kind (char code) of the word `src[i, j)`, followed by the character `next` (−1: none). */
function wordAt(src: string, i: number, j: number, next: number): number {
  const len = j - i;
  if (len > MAX_WORD || WORD_KEYS[(keyClass(src.charCodeAt(i)) * 29 + (len > 1 ? keyClass(src.charCodeAt(i + 1)) : 28)) * (MAX_WORD + 1) + len] !== 1) {
    return next === 40 ? K_FUNC : K_NAME;
  }
  return wordKind(src.slice(i, j), next);
}

function wordKind(w: string, next: number): number {
  const k = WORD_KIND.get(w);
  if (k !== undefined) return k;
  if (next === 40) return K_FUNC;
  return KEYWORDS.has(w) ? K_KEYWORD : K_NAME;
}

/** Kind of the word `w` (lower case) followed by the character code `next` (−1: none; 40 `(` makes a call). Never throws. */
export function sqlWordKind(w: string, next: number): SqlTokenKind {
  return String.fromCharCode(wordKind(w, next)) as SqlTokenKind;
}

/**
 * End of the number that starts the run `src[i, j)`: MySQL reads `5661union` as 5661 UNION and
 * `1e0union` as 1e0 UNION, so a run of decimal digits (with an exponent) followed by a keyword that
 * joins queries (UNION, a verb, AND/OR, FROM, ORDER, ...) ends before the keyword. Other runs (`1st`,
 * `0x3a`, `2fa`, `1e5x`) stay one token.
 */
function glued(src: string, i: number, j: number): number {
  let k = i;
  while (k < j && (isDigit(src.charCodeAt(k)) || src.charCodeAt(k) === 46)) k++;
  if (k > i && k < j && (src.charCodeAt(k) | 32) === 101 /* e */) {
    let e = k + 1;
    while (e < j && isDigit(src.charCodeAt(e))) e++;
    if (e > k + 1) k = e;
  }
  if (k === i || k >= j || k - i > 24 || j - k > MAX_WORD) return j;
  const kind = wordKind(src.slice(k, j), nextNonSpace(src, j));
  return kind === 85 /* U */ || kind === 69 /* E */ || kind === K_LOGIC || kind === K_KEYWORD ? k : j;
}

function nextNonSpace(s: string, i: number): number {
  let j = i;
  while (j < s.length && isSpace(s.charCodeAt(j))) j++;
  return j < s.length ? s.charCodeAt(j) : -1;
}

/**
 * Kind of the operator run `src[i, j)` (1–3 operator characters, see C_OP; the ones after the first from
 * C_OP_CONT): o for a comparison (`=`, `==`, `<`, `>`, `<=`, `>=`, `<>`, `!=`, `<=>`, `||`, `!<`, `!>`), a otherwise.
 */
function operatorKind(src: string, i: number, j: number): number {
  const a = src.charCodeAt(i);
  if (j - i === 1) return a === 61 || a === 60 || a === 62 ? K_COMPARE : K_ARITH;
  const b = src.charCodeAt(i + 1);
  if (j - i === 2) {
    // ==, <=, >=, <>, !=, ||, !<, !>
    if (b === 61) return a === 61 || a === 60 || a === 62 || a === 33 ? K_COMPARE : K_ARITH;
    if (a === 60 && b === 62) return K_COMPARE;
    if (a === 124 && b === 124) return K_COMPARE;
    if (a === 33 && (b === 60 || b === 62)) return K_COMPARE;
    return K_ARITH;
  }
  return a === 60 && b === 61 && src.charCodeAt(i + 2) === 62 ? K_COMPARE : K_ARITH;
}

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
  const pos = lex.pos ?? (lex.pos = lexPositions(lex.value, lex.quote));
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
  const n = lexCore(s, quoteCode(quote), undefined);
  return { fp: KIND_BUF.toString('latin1', 0, n), value: s, quote, pos: undefined };
}

/**
 * Lexes like lexSql, for a caller that reads the token kinds once: returns their count, the kinds
 * (char codes) being SQL_KIND_BUFFER[0, count) until the next lex. No fingerprint string, no
 * SqlLex object. Never throws.
 */
export function lexSqlKinds(s: string, quote?: string): number {
  return lexCore(s, quoteCode(quote), undefined);
}

/** The quote as lexCore takes it: −1 for none, beyond UTF-16 (never met) for a quote that is not one character. */
function quoteCode(quote: string | undefined): number {
  return quote === undefined ? -1 : quote.length === 1 ? quote.charCodeAt(0) : 0x10000;
}

function lexPositions(s: string, quote: string | undefined): number[] {
  const pos: number[] = [];
  lexCore(s, quoteCode(quote), pos);
  return pos;
}

/**
 * Kind chars of the tokens of the lex in progress (lexing is synchronous, so one buffer serves every
 * call; the fingerprint string is made from it once instead of one concatenation per token).
 */
const KIND_BUF = Buffer.alloc(SQL_MAX_TOKENS);
/** The token kinds of the last lexSqlKinds call (read-only for callers; the next lex overwrites it). */
export const SQL_KIND_BUFFER: Readonly<Uint8Array> = KIND_BUF;

/**
 * The lexer: writes the token kinds into KIND_BUF and returns their count; records token positions
 * (in `quote + s` coordinates) into `pos` when given. The quote (char code, −1: none) is not
 * prepended (that would copy a long value for every context): the first token is the string it
 * opens, closed by the first unescaped quote of `src`. A hot loop over every character of a value:
 * kept in one function.
 */
function lexCore(src: string, quote: number, pos: number[] | undefined): number {
  const kinds = KIND_BUF;
  const len = src.length;
  const off = quote < 0 ? 0 : 1;
  let n = 0;
  let i = 0;
  if (quote >= 0) { const end = readString(src, -1, quote); kinds[n++] = K_STRING; pos?.push(-1 + off, end + off); i = end; }
  while (i < len && n < SQL_MAX_TOKENS) {
    const c = src.charCodeAt(i);
    const cls = c < 128 ? CLASS[c]! : C_IDENT_START;
    if ((cls & C_SPACE) !== 0 || c === 0xa0) { i++; continue; }
    let kind: number;
    let to: number;
    if (c === 39 || c === 34 || c === 96 /* ' " ` */) {
      to = readString(src, i, c); kind = c === 96 ? K_NAME : K_STRING;
    } else if (c === 35 /* # */ || (c === 45 /* - */ && src.charCodeAt(i + 1) === 45 && (i + 2 >= len || !isDigit(src.charCodeAt(i + 2))))) {
      const nl = src.indexOf('\n', i); to = nl < 0 ? len : nl;
      kinds[n++] = K_COMMENT; pos?.push(i + off, to + off); i = nl < 0 ? len : nl + 1; continue;
    } else if (c === 47 /* / */ && src.charCodeAt(i + 1) === 42 /* * */) {
      if (src.charCodeAt(i + 2) === 33 /* ! */) { i += 3; while (i < len && isDigit(src.charCodeAt(i))) i++; continue; }
      const end = src.indexOf('*/', i + 2);
      // An inline comment between tokens is whitespace to the database (`UNION/**/SELECT`); only a
      // trailing or unterminated one truncates the query and becomes a token.
      if (end >= 0 && nextNonSpace(src, end + 2) >= 0) { i = end + 2; continue; }
      to = end < 0 ? len : end + 2; kind = K_COMMENT;
    } else if (c === 42 /* * */ && src.charCodeAt(i + 1) === 47) {
      i += 2; continue;
    } else if ((cls & C_DIGIT) !== 0 || (c === 46 /* . */ && isDigit(src.charCodeAt(i + 1)))) {
      let j = i + 1;
      if (c === 48 /* 0 */ && (src.charCodeAt(j) === 120 /* x */ || src.charCodeAt(j) === 98 /* b */)) j++;
      while (j < len && (isIdent(src.charCodeAt(j)) || src.charCodeAt(j) === 46)) j++;
      to = glued(src, i, j); kind = K_NUMBER;
    } else if (c === 64 /* @ */) {
      let j = i + 1; if (src.charCodeAt(j) === 64) j++;
      while (j < len && isIdent(src.charCodeAt(j))) j++;
      to = j; kind = K_VAR;
    } else if ((cls & C_IDENT_START) !== 0) {
      let j = i + 1;
      while (j < len && isIdent(src.charCodeAt(j))) j++;
      to = j; kind = wordAt(src, i, j, nextNonSpace(src, j));
    } else if (c === 40 || c === 41 || c === 44 || c === 59 || c === 46 /* ( ) , ; . */) {
      to = i + 1; kind = c;
    } else if ((c === 38 || c === 124 /* & | */) && src.charCodeAt(i + 1) === c) {
      to = i + 2; kind = K_LOGIC;
    } else if ((cls & C_OP) !== 0) {
      let j = i + 1;
      while (j < len && j - i < 3) { const d = src.charCodeAt(j); if (d >= 128 || (CLASS[d]! & C_OP_CONT) === 0) break; j++; }
      to = j; kind = operatorKind(src, i, j);
    } else {
      to = i + 1; kind = K_OTHER;
    }
    kinds[n++] = kind;
    pos?.push(i + off, to + off);
    i = to;
  }
  return n;
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
