// SQL lexer: the table-driven lexer gives the same fingerprints and token texts as a plain reference lexer.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { lexSql, sqlWordKind, tokenText, SQL_MAX_TOKENS, type SqlTokenKind } from './sqllex.js';

const COMPARE = new Set(['=', '==', '<', '>', '<=', '>=', '<>', '!=', '<=>', '||', '!<', '!>']);
const isDigit = (ch: string | undefined): boolean => ch !== undefined && ch >= '0' && ch <= '9';
const isSpace = (ch: string | undefined): boolean => ch !== undefined && (ch === ' ' || (ch >= '\t' && ch <= '\r') || ch === '\u00a0');
const isIdentStart = (ch: string | undefined): boolean => ch !== undefined && (/[a-zA-Z_$]/.test(ch) || ch.charCodeAt(0) > 127);
const isIdent = (ch: string | undefined): boolean => isIdentStart(ch) || isDigit(ch);

function nextNonSpace(s: string, i: number): number {
  let j = i;
  while (j < s.length && isSpace(s[j])) j++;
  return j < s.length ? s.charCodeAt(j) : -1;
}

/** The lexer written plainly (character strings, sets, one concatenation per token): the reference. */
function referenceLex(src: string, quote: string | undefined): { fp: string; texts: string[] } {
  let fp = '';
  const texts: string[] = [];
  const full = quote === undefined ? src : quote + src;
  const off = quote === undefined ? 0 : 1;
  const push = (k: SqlTokenKind, a: number, b: number): void => { fp += k; texts.push(full.slice(a + off, b - a > 64 ? a + off + 64 : b + off)); };
  const readString = (i: number, q: string): number => {
    for (let j = i + 1; j < src.length; j++) {
      if (src[j] === '\\') { j++; continue; }
      if (src[j] === q) { if (src[j + 1] === q) { j++; continue; } return j + 1; }
    }
    return src.length;
  };
  let i = 0;
  if (quote !== undefined) { const end = readString(-1, quote); push('s', -1, end); i = end; }
  while (i < src.length && fp.length < SQL_MAX_TOKENS) {
    const ch = src[i]!;
    if (isSpace(ch)) { i++; continue; }
    if (ch === "'" || ch === '"' || ch === '`') { const end = readString(i, ch); push(ch === '`' ? 'n' : 's', i, end); i = end; continue; }
    if (ch === '#' || (ch === '-' && src[i + 1] === '-' && !isDigit(src[i + 2]))) {
      const nl = src.indexOf('\n', i); push('c', i, nl < 0 ? src.length : nl); i = nl < 0 ? src.length : nl + 1; continue;
    }
    if (ch === '/' && src[i + 1] === '*') {
      if (src[i + 2] === '!') { i += 3; while (isDigit(src[i])) i++; continue; }
      const end = src.indexOf('*/', i + 2);
      if (end >= 0 && nextNonSpace(src, end + 2) >= 0) { i = end + 2; continue; }
      const stop = end < 0 ? src.length : end + 2; push('c', i, stop); i = stop; continue;
    }
    if (ch === '*' && src[i + 1] === '/') { i += 2; continue; }
    if (isDigit(ch) || (ch === '.' && isDigit(src[i + 1]))) {
      let j = i + 1;
      if (ch === '0' && (src[j] === 'x' || src[j] === 'b')) j++;
      while (j < src.length && (isIdent(src[j]) || src[j] === '.')) j++;
      let k = i;
      while (k < j && (isDigit(src[k]) || src[k] === '.')) k++;
      // An exponent belongs to the number: `1e0union` is 1e0 UNION (session 8's rule in glued()).
      if (k > i && k < j && (src[k] === 'e' || src[k] === 'E')) {
        let e = k + 1;
        while (e < j && isDigit(src[e])) e++;
        if (e > k + 1) k = e;
      }
      let end = j;
      if (k > i && k < j && k - i <= 24 && j - k <= 18) {
        const kind = sqlWordKind(src.slice(k, j), nextNonSpace(src, j));
        if (kind === 'U' || kind === 'E' || kind === '&' || kind === 'k') end = k;
      }
      push('1', i, end); i = end; continue;
    }
    if (ch === '@') { let j = i + 1; if (src[j] === '@') j++; while (j < src.length && isIdent(src[j])) j++; push('v', i, j); i = j; continue; }
    if (isIdentStart(ch)) {
      let j = i + 1;
      while (j < src.length && isIdent(src[j])) j++;
      push(sqlWordKind(src.slice(i, j), nextNonSpace(src, j)), i, j); i = j; continue;
    }
    if ('(),;.'.includes(ch)) { push(ch as SqlTokenKind, i, i + 1); i++; continue; }
    if ((ch === '&' || ch === '|') && src[i + 1] === ch) { push('&', i, i + 2); i += 2; continue; }
    if ('=<>!+-*/%^|&~:'.includes(ch)) {
      let j = i + 1;
      while (j < src.length && '=<>!|&'.includes(src[j]!) && j - i < 3) j++;
      push(COMPARE.has(src.slice(i, j)) ? 'o' : 'a', i, j); i = j; continue;
    }
    push('X', i, i + 1); i++;
  }
  return { fp, texts };
}

const sqlish = fc.string({
  unit: fc.oneof(
    fc.constantFrom("'", '"', '`', '\\', '#', '-', '/', '*', '!', '(', ')', ',', ';', '.', '&', '|', '=', '<', '>', '+', '%', '^', '~', ':',
      '@', '$', '_', ' ', '\n', '\t', '\u00a0', 'é', '0', '1', '9', 'x', 'b', 'e'),
    fc.constantFrom('union', 'select', 'and', 'or', 'from', 'order', 'by', 'null', 'div', 'like', 'sleep', 'char', 'information_schema',
      'current_user', 'a', 'ab', 'zz', 'orx', '/*!50000', '*/', '--', '0x3a', '5661union'),
  ),
  maxLength: 120,
});

function assertSame(s: string, quote: string | undefined): void {
  const lex = lexSql(s, quote);
  const ref = referenceLex(s, quote);
  assert.equal(lex.fp, ref.fp, `fingerprint of ${JSON.stringify(s)} quote ${JSON.stringify(quote)}`);
  for (let i = 0; i < ref.texts.length; i++) assert.equal(tokenText(lex, i), ref.texts[i], `token ${i} of ${JSON.stringify(s)}`);
  assert.equal(tokenText(lex, ref.texts.length), '');
}

test('lexSql matches the reference lexer on SQL-like and arbitrary text in every quote context', () => {
  fc.assert(fc.property(fc.oneof(sqlish, fc.string({ unit: 'binary', maxLength: 200 })), (s) => {
    for (const q of [undefined, "'", '"']) assertSame(s, q);
  }), { numRuns: 3000 });
});

test('lexSql matches the reference on fixed cases: operators, comments, glued numbers, the token limit, odd quotes', () => {
  const cases = ["1' or '1'='1", '1 union/**/select 1,2--', "x'/*!50000union*/ select", '1<=>2 !< 3 != 4 <> 5 == 6 += 7 ||| &&&',
    '5661union select', '9e0union', '1E5UNION select', '1e5x', '1st 0x3a 2fa .5e3', 'a -- b\nc # d\ne', '/* open', '@@version @x', '`tbl`.col', 'a '.repeat(60), 'sleep (5) sleep(5)'];
  for (const s of cases) for (const q of [undefined, "'", '"', '', "''"]) assertSame(s, q);
});
