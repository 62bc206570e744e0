// Features: a fixed-length dense vector describing the normalized request, for the ML models.

import type { Finding, RequestView } from '../../core/index.js';
import { parseRequest, type ParsedRequest, type Part } from '../parts.js';
import { lexSqlKinds, SQL_KIND_BUFFER } from '../sqllex.js';
import { htmlTags } from '../htmllex.js';
import { DETECTOR_IDS, runSignatures } from '../registry.js';
import { trackPattern } from '../signature.js';

/** Length of every feature vector. Changing the layout bumps FEATURE_VERSION. */
export const FEATURE_DIM = 512;
/** Version of the feature layout; model files record it and are refused on mismatch. */
export const FEATURE_VERSION = 1;

const STATS = 0, DET = 48, SQLK = 80, SQLB = 112, HTML = 144, CHAR = 160, CHAR_N = 256, WORD = 416, WORD_N = 96;
const SQL_KINDS = 'snkUEf1voa&c(),;.X';
const CHAR_CLASSES = `'"<>();|&\`$\{}%=/\\.-#*+,:@!?[]~^`;
const TEXT_MAX = 4096;
const FNV_PRIME = 16777619;
const GRAM_SEED = 2166136261, WORD_SEED = 374761393;
/** Character → slot in addStats' counts (CHAR_CLASSES index, then digit, space, non-ASCII, control); -1: not counted. */
const CHAR_SLOT = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let c = 127; c >= 0; c--) {
    const k = CHAR_CLASSES.indexOf(String.fromCharCode(c));
    if (k >= 0) t[c] = k;
    else if (c >= 48 && c <= 57) t[c] = CHAR_CLASSES.length;
    else if (c === 32) t[c] = CHAR_CLASSES.length + 1;
    else if (c < 32) t[c] = CHAR_CLASSES.length + 3;
  }
  return t;
})();

/** Math.log1p(n) for the counts 0…4096 (every count of a request's first 4 KiB of text fits), computed once. */
const LOG1P = Float64Array.from({ length: 4097 }, (_, n) => Math.log1p(n));

/**
 * Math.log1p(n), read from a table when n is an integer count 0…4096 (a library call otherwise, and
 * ~200 of them per request: the largest part of featurization).
 */
function log1pCount(n: number): number {
  const v = LOG1P[n];
  return v !== undefined ? v : Math.log1p(n);
}

/** Part kinds the model reads. Headers and cookies are left to the signatures (their presence must not look benign). */
const MODEL_KINDS = new Set(['path', 'query', 'body', 'json', 'multipart', 'xml', 'name']);

function fnv(s: string, from: number, to: number, seed: number): number {
  let h = seed >>> 0;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** True for a model part: the kinds MODEL_KINDS lists. */
function isModelPart(p: Part): boolean {
  return MODEL_KINDS.has(p.kind);
}

/** Character counts of the text (CHAR_SLOT order), reused by every request (featurization is synchronous). */
const CHAR_COUNTS = new Uint16Array(CHAR_CLASSES.length + 6);
/** 1 for an ASCII character that is not a lower-case letter, digit or space (an "odd" one for STATS + 3). */
const ODD = Uint8Array.from({ length: 128 }, (_, c) => ((c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 32 ? 0 : 1));
const NEWLINE_SLOT = CHAR_SLOT[10]!;

/**
 * The statistics, hashed character 3-grams and words of the model text, in one pass over the parts'
 * characters. The model text is the model parts' normalized values, each followed by a line break,
 * cut to TEXT_MAX characters; it is not built as a string. Equivalent to the former passes over that
 * string (character classes, 3-grams, words, each with the same hashes as fnv()); the "odd"
 * ratio reads each part's first 512 characters, inside the text or not.
 */
function addText(x: Float32Array, parts: readonly Part[]): void {
  const counts = CHAR_COUNTS.fill(0);
  let pos = 0, maxLen = 0, maxOdd = 0, modelParts = 0;
  let c0 = 0, c1 = 0;
  let wh = 0, wlen = 0;
  let removed = 0, escapes = 0;
  for (const p of parts) {
    if (!isModelPart(p)) continue;
    modelParts++;
    const s = p.norm;
    const len = s.length;
    // What normalization took away, and the escapes that wrote the value (`&#x3c;` reads as `<`; the model sees both).
    if (p.value.length > len) removed += p.value.length - len;
    escapes += countEscapes(p.value);
    if (len > maxLen) maxLen = len;
    const take = pos >= TEXT_MAX ? 0 : Math.min(len, TEXT_MAX - pos);
    let odd = 0;
    for (let j = 0; j < take; j++, pos++) {
      const c = s.charCodeAt(j);
      if (c < 128) {
        const k = CHAR_SLOT[c]!;
        if (k >= 0) counts[k]!++;
        if (j < 512) odd += ODD[c]!;
      } else {
        counts[CHAR_CLASSES.length + 2]!++;
        if (j < 512) odd++;
      }
      if (pos >= 2) {
        const h = Math.imul(Math.imul(Math.imul(GRAM_SEED ^ c0, FNV_PRIME) ^ c1, FNV_PRIME) ^ c, FNV_PRIME);
        const b = CHAR + ((h >>> 0) % CHAR_N);
        x[b] = x[b]! + 1;
      }
      c0 = c1; c1 = c;
      if ((c >= 97 && c <= 122) || c === 95) { wh = Math.imul((wlen === 0 ? WORD_SEED : wh) ^ c, FNV_PRIME); wlen++; continue; }
      if (wlen >= 2) { const b = WORD + ((wh >>> 0) % WORD_N); x[b] = x[b]! + 1; }
      wlen = 0;
    }
    // The rest of the first 512 characters, past the text's end.
    for (let j = take, to = Math.min(len, 512); j < to; j++) { const c = s.charCodeAt(j); odd += c < 128 ? ODD[c]! : 1; }
    const r = len > 0 ? odd / Math.min(512, len) : 0;
    if (r > maxOdd) maxOdd = r;
    if (pos < TEXT_MAX) {
      // The line break after the part.
      counts[NEWLINE_SLOT]!++;
      if (pos >= 2) {
        const h = Math.imul(Math.imul(Math.imul(GRAM_SEED ^ c0, FNV_PRIME) ^ c1, FNV_PRIME) ^ 10, FNV_PRIME);
        const b = CHAR + ((h >>> 0) % CHAR_N);
        x[b] = x[b]! + 1;
      }
      c0 = c1; c1 = 10;
      if (wlen >= 2) { const b = WORD + ((wh >>> 0) % WORD_N); x[b] = x[b]! + 1; }
      wlen = 0;
      pos++;
    }
  }
  if (wlen >= 2) { const b = WORD + ((wh >>> 0) % WORD_N); x[b] = x[b]! + 1; }
  x[STATS] = log1pCount(pos);
  x[STATS + 1] = log1pCount(maxLen);
  x[STATS + 2] = log1pCount(modelParts);
  x[STATS + 3] = maxOdd;
  for (let k = 0; k < counts.length && 4 + k < ESCAPE_STATS; k++) x[STATS + 4 + k] = log1pCount(counts[k]!);
  x[STATS + ESCAPE_STATS] = log1pCount(Math.min(removed, 4096));
  x[STATS + ESCAPE_STATS + 1] = log1pCount(Math.min(escapes, 4096));
  for (let i = CHAR; i < FEATURE_DIM; i++) if (x[i]! > 0) x[i] = log1pCount(x[i]!);
}

/** First STATS slot past the character counts: characters removed by normalization, then escapes written in the values. */
const ESCAPE_STATS = 42;
const HASH = 35, SEMI = 59;

/**
 * Escapes in a transport-decoded value, at most the first 512 characters: character references
 * (`&#60;`, `&#x3c;`, a named `&lt;` closed by `;`) and backslash escapes (`\u003c`, `\x3c`, `\074`).
 * Reads char codes only (no RegExp, no allocation).
 */
function countEscapes(v: string): number {
  let n = 0;
  for (let i = v.indexOf('&'); i >= 0 && i < 512; i = v.indexOf('&', i + 1)) {
    const c = v.charCodeAt(i + 1);
    if (c === HASH) { n++; continue; }
    // A named reference: 2-8 letters then `;`.
    let j = i + 1;
    while (j < v.length && j - i <= 9 && ((v.charCodeAt(j) | 32) >= 97 && (v.charCodeAt(j) | 32) <= 122)) j++;
    if (j - i >= 3 && v.charCodeAt(j) === SEMI) n++;
  }
  for (let i = v.indexOf('\\'); i >= 0 && i < 512; i = v.indexOf('\\', i + 1)) {
    const c = v.charCodeAt(i + 1) | 32;
    if (c === 117 || c === 120 || (c >= 48 && c <= 55)) n++;
  }
  return n;
}

/** Bucket of the SQL fingerprint bigram (previous kind or context mark, kind): fnv(prev + kind) % 32, tabulated. */
const SQL_BIGRAM = (() => {
  const t = new Uint8Array(128 * 128);
  for (const a of '^"' + SQL_KINDS) for (const b of SQL_KINDS) t[(a.charCodeAt(0) << 7) | b.charCodeAt(0)] = fnv(a + b, 0, 2, 0x9e3779b9) % 32;
  return t;
})();
/** SQL token kind char → index in SQL_KINDS. */
const SQL_KIND_INDEX = (() => {
  const t = new Int8Array(128).fill(-1);
  for (let k = 0; k < SQL_KINDS.length; k++) t[SQL_KINDS.charCodeAt(k)] = k;
  return t;
})();

const QUOTES = [undefined, "'", '"'] as const;

/** Counts one SQL token kind `kc` after `prev` (kind or context mark): kind counts in context 0, bigrams in every context. Returns `kc`. */
function addSqlKind(x: Float32Array, q: number, prev: number, kc: number): number {
  if (q === 0) { const k = SQL_KIND_INDEX[kc]!; x[SQLK + k] = x[SQLK + k]! + 1; }
  const b = SQLB + SQL_BIGRAM[(prev << 7) | kc]!;
  x[b] = x[b]! + 1;
  return kc;
}

/**
 * SQL token kinds and kind bigrams of the model parts in the three contexts. A lex the SQLi detector
 * already made is read from the part's cache; any other is made here without a fingerprint string
 * or cache entry (features read it once).
 */
function addSql(x: Float32Array, parts: readonly Part[]): void {
  for (const p of parts) {
    if (p.norm.length < 2 || p.kind === 'path' || !isModelPart(p)) continue;
    for (let q = 0; q <= 2; q++) {
      if ((q === 1 && !p.norm.includes("'")) || (q === 2 && !p.norm.includes('"'))) continue;
      let prev = q === 0 ? 94 /* ^ */ : 34 /* " */;
      const cached = p.sqlCache?.[q];
      if (cached !== undefined) {
        const fp = cached.fp;
        for (let i = 0; i < fp.length; i++) prev = addSqlKind(x, q, prev, fp.charCodeAt(i));
      } else {
        const n = lexSqlKinds(p.norm, QUOTES[q]);
        for (let i = 0; i < n; i++) prev = addSqlKind(x, q, prev, SQL_KIND_BUFFER[i]!);
      }
    }
  }
  for (let i = SQLK; i < HTML; i++) x[i] = log1pCount(x[i]!);
}

function addHtml(x: Float32Array, parts: readonly Part[]): void {
  for (const p of parts) {
    if (!isModelPart(p) || p.norm.indexOf('<') < 0) continue;
    for (const t of htmlTags(p.norm)) {
      x[HTML] = x[HTML]! + 1;
      if (t.closing) x[HTML + 1] = x[HTML + 1]! + 1;
      x[HTML + 2 + (fnv(t.name, 0, t.name.length, 7) % 8)] = x[HTML + 2 + (fnv(t.name, 0, t.name.length, 7) % 8)]! + 1;
      for (const [n, v] of t.attrs) {
        if (n.startsWith('on')) x[HTML + 10] = x[HTML + 10]! + 1;
        if (v.includes(':')) x[HTML + 11] = x[HTML + 11]! + 1;
        x[HTML + 12] = x[HTML + 12]! + 1;
      }
    }
  }
  for (let i = HTML; i < CHAR; i++) x[i] = log1pCount(x[i]!);
}


const INERT_VALUE_RE = trackPattern(/^[a-z0-9._\-@+]*$/);
const INERT_PATH_RE = trackPattern(/^[a-z0-9 ._\-/]*$/);

/** Characters the values outside that token grammar may hold together in an inert request (`(`, `<`, `:)`, `=`). */
const INERT_OTHER_CHARS = 3;
/**
 * Characters that keep a short value from being inert: quotes break out of attribute and string contexts
 * (`>"'`), and whitespace or control characters are separators and line breaks (`; `, `|| `, `%0a`).
 */
const NOT_INERT_RE = trackPattern(/[^\x21-\x7e]|['"`]/);

/**
 * True when no value the model reads could carry an attack the signatures miss: every parameter is a
 * single token of letters, digits and `._-@+` (no spaces, no `..`), except values of at most 3 characters
 * in all after transport decoding, printable and without quotes (a lone `(` or `<` body; not `&#x3c;`, `; ` or `>"'`: the
 * short attacks such as `;id` or `'--` are the signatures' to block),
 * and the path has no `..` or `//`. The model alone does not block such a request (it may still add a notice).
 */
export function inertForModel(parsed: ParsedRequest): boolean {
  let other = 0;
  for (const p of parsed.parts) {
    if (!MODEL_KINDS.has(p.kind)) continue;
    if (p.kind === 'path') { if (!INERT_PATH_RE.test(p.norm) || p.norm.includes('..') || p.norm.includes('//')) return false; continue; }
    if (p.norm.includes('..')) return false;
    // Counted on the transport-decoded value: `&#x0003c;` normalizes to one `<` but took an entity to write.
    if (!INERT_VALUE_RE.test(p.norm) && (NOT_INERT_RE.test(p.value) || (other += p.value.length) > INERT_OTHER_CHARS)) return false;
  }
  return true;
}

/**
 * Features from an already parsed request and the signature findings on it. Deterministic; never
 * throws. With `into` (length FEATURE_DIM) the features are written there (zeroed first) instead of
 * a new array: the engine scores one request at a time, and a reused buffer spares an off-heap
 * allocation and its GC finalization per request.
 */
export function featurizeParsed(parsed: ParsedRequest, findings: readonly Finding[], into?: Float32Array): Float32Array {
  const x = into !== undefined && into.length === FEATURE_DIM ? into.fill(0) : new Float32Array(FEATURE_DIM);
  const parts = parsed.parts;
  for (const f of findings) {
    const k = DETECTOR_IDS.indexOf(f.detector);
    if (k >= 0 && k < 32) x[DET + k] = Math.max(x[DET + k]!, f.score / 5);
  }
  addSql(x, parts);
  addHtml(x, parts);
  // Last: it takes log1p of the n-gram slots, which addSql and addHtml do not touch.
  addText(x, parts);
  return x;
}

/**
 * Fixed-length (FEATURE_DIM) dense features of the normalized request: character classes, token
 * statistics, SQL/HTML lexer fingerprints, signature scores, n-gram hashes. Deterministic; never throws.
 */
export function featurize(view: RequestView): Float32Array {
  const parsed = parseRequest(view);
  const findings = runSignatures(parsed, view, 64);
  return featurizeParsed(parsed, findings);
}
