// Normalization: decodes and canonicalizes attacker-controlled text before detectors read it.

import { trackPattern } from './signature.js';

/** Maximum characters any normalized string may have. Longer input is cut first. */
export const NORM_MAX_CHARS = 16_384;
/** How many rounds of URL decoding are applied at most (double/triple encoding). */
export const MAX_DECODE_ROUNDS = 3;

function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Decodes a byte array as UTF-8, leniently: invalid bytes become U+FFFD-free Latin-1 chars and
 * overlong encodings (e.g. C0 AF for '/') decode to the character they spell. Never throws.
 */
export function decodeUtf8Lenient(bytes: readonly number[]): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) { out += String.fromCharCode(b); i++; continue; }
    const need = b >= 0xfc && b < 0xfe ? 5 : b >= 0xf8 ? 4 : b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : b >= 0xc0 ? 1 : 0;
    if (need === 0 || i + need >= bytes.length) { out += String.fromCharCode(b); i++; continue; }
    let cp = b & (need === 1 ? 0x1f : need === 2 ? 0x0f : need === 3 ? 0x07 : need === 4 ? 0x03 : 0x01);
    let okSeq = true;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) { okSeq = false; break; }
      cp = (cp << 6) | (c & 0x3f);
    }
    if (!okSeq || cp > 0x10ffff) { out += String.fromCharCode(b); i++; continue; }
    out += String.fromCodePoint(cp >= 0xd800 && cp <= 0xdfff ? 0xfffd : cp);
    i += need + 1;
  }
  return out;
}

/**
 * One round of URL decoding: `%XX` (as UTF-8, overlong-aware), `%uXXXX` (IIS), and `+` as space
 * when `plusIsSpace`. Malformed escapes stay as they are. Never throws.
 */
export function urlDecodeOnce(s: string, plusIsSpace = true): string {
  const hasPlus = plusIsSpace && s.indexOf('+') >= 0;
  if (s.indexOf('%') < 0) return hasPlus ? s.replace(PLUS_RE, ' ') : s;
  // Fast path: when every `%` starts a valid escape of an ASCII byte, the platform decoder gives the
  // same result (no multi-byte, overlong or malformed sequences to treat leniently).
  if (!NON_ASCII_ESCAPE_RE.test(s)) return decodeURIComponent(hasPlus ? s.replace(PLUS_RE, ' ') : s);
  return urlDecodeSlow(s, plusIsSpace);
}

const PLUS_RE = trackPattern(/\+/g);
/** A `%` that does not start an escape of an ASCII byte (`%00`-`%7F`). */
const NON_ASCII_ESCAPE_RE = trackPattern(/%(?![0-7][0-9a-fA-F])/);

function urlDecodeSlow(s: string, plusIsSpace: boolean): string {
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => { if (bytes.length > 0) { out += decodeUtf8Lenient(bytes); bytes = []; } };
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 37 /* % */) {
      if (i + 2 < s.length) {
        const h = hexVal(s.charCodeAt(i + 1)), l = hexVal(s.charCodeAt(i + 2));
        if (h >= 0 && l >= 0) { bytes.push(h * 16 + l); i += 2; continue; }
      }
      const u = s.charCodeAt(i + 1);
      if ((u === 117 || u === 85) && i + 5 < s.length) {
        const a = hexVal(s.charCodeAt(i + 2)), b = hexVal(s.charCodeAt(i + 3));
        const d = hexVal(s.charCodeAt(i + 4)), e = hexVal(s.charCodeAt(i + 5));
        if (a >= 0 && b >= 0 && d >= 0 && e >= 0) {
          flush();
          out += String.fromCharCode(((a * 16 + b) * 16 + d) * 16 + e);
          i += 5;
          continue;
        }
      }
    }
    flush();
    out += plusIsSpace && c === 43 ? ' ' : s[i]!;
  }
  flush();
  return out;
}

/** URL-decodes until stable or MAX_DECODE_ROUNDS rounds. Never throws. */
export function urlDecodeRepeated(s: string, plusIsSpace = true): string {
  let cur = s;
  for (let r = 0; r < MAX_DECODE_ROUNDS; r++) {
    const next = urlDecodeOnce(cur, plusIsSpace && r === 0);
    if (next === cur) break;
    cur = next;
  }
  return cur;
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = Object.freeze({
  lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ', colon: ':', lpar: '(', rpar: ')',
  sol: '/', bsol: '\\', tab: '\t', newline: '\n', comma: ',', period: '.', equals: '=', plus: '+',
  semi: ';', excl: '!', num: '#', dollar: '$', percnt: '%', lsqb: '[', rsqb: ']', lcub: '{',
  rcub: '}', grave: '`', quest: '?', ast: '*', vert: '|', lowbar: '_', hyphen: '-', dash: '-',
});

const ENTITY_RE = trackPattern(/&(#[xX][0-9a-fA-F]{1,8}|#[0-9]{1,10}|[a-zA-Z]{2,8});?/g);

/** Decodes HTML character references (numeric with or without `;`, and common named ones). Never throws. */
export function htmlEntityDecode(s: string): string {
  if (s.indexOf('&') < 0) return s;
  return s.replace(ENTITY_RE, (m, body: string) => {
    if (body.charCodeAt(0) === 35) {
      const cp = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
      if (!Number.isFinite(cp) || cp <= 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return m;
      return String.fromCodePoint(cp);
    }
    const named = NAMED_ENTITIES[body.toLowerCase()];
    return named ?? m;
  });
}

const JS_ESCAPE_RE = trackPattern(/\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|u\{([0-9a-fA-F]{1,6})\})/g);

/** Decodes JavaScript/CSS-style `\xNN`, `\uNNNN` and `\u{N}` escapes. Never throws. */
export function jsUnescape(s: string): string {
  if (s.indexOf('\\') < 0) return s;
  return s.replace(JS_ESCAPE_RE, (m, x?: string, u?: string, b?: string) => {
    const cp = parseInt(x ?? u ?? b ?? '', 16);
    if (!Number.isFinite(cp) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return m;
    return String.fromCodePoint(cp);
  });
}

/** True when `s` has a code unit above U+007F: its UTF-8 length then exceeds its length (a lone surrogate counts 3). ~4× faster than a regex scan on long ASCII values. */
function hasNonAscii(s: string): boolean {
  return Buffer.byteLength(s, 'utf8') !== s.length;
}
/** Anything a decoding step could change: escapes, entities, non-ASCII, controls, tabs. */
const NEEDS_WORK_RE = trackPattern(/[^\x20-\x24\x27-\x5b\x5d-\x7e]/);

/** Unicode compatibility folding (NFKC: fullwidth and styled letters become ASCII). Never throws. */
export function unicodeFold(s: string): string {
  if (!hasNonAscii(s)) return s;
  try { return s.normalize('NFKC'); } catch { return s; }
}

/**
 * The whitespace runs collapseWhitespace changes: a run of whitespace variants that starts with one
 * other than a space, or a space followed by more. A lone space matches nothing, so prose is
 * scanned instead of having each of its spaces matched and rewritten (~5 µs per 500 characters).
 */
const WS_RUN_RE = trackPattern(/[\t-\r\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff][\s\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]*| [\s\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]+/g);

/** Collapses every run of whitespace variants (incl. NBSP, zero-width, ideographic) to one space. */
export function collapseWhitespace(s: string): string {
  return s.replace(WS_RUN_RE, ' ');
}

/**
 * The full value normalization every content detector reads: bounded length, repeated URL
 * decoding (when `urlEncoded`), HTML entities, JS escapes, NFKC, NUL removal, lower case, whitespace
 * collapsed. Comment markers are kept (the SQL lexer needs them). Total and bounded: output length
 * ≤ NORM_MAX_CHARS. Never throws.
 */
export function normalizeValue(raw: string, urlEncoded: boolean): string {
  const cut = raw.length > NORM_MAX_CHARS ? raw.slice(0, NORM_MAX_CHARS) : raw;
  // Fast path: printable ASCII without `%`, `&`, `\` or whitespace runs has nothing to decode.
  if (!NEEDS_WORK_RE.test(cut) && cut.indexOf('  ') < 0) return cut.toLowerCase();
  const s = collapseWhitespace(decodeValue(cut, urlEncoded)).toLowerCase();
  return s.length > NORM_MAX_CHARS ? s.slice(0, NORM_MAX_CHARS) : s;
}

/** The decoding steps of normalizeValue (URL, entities, JS escapes, NFKC, NUL removal), before whitespace and case. */
function decodeValue(cut: string, urlEncoded: boolean): string {
  let s = urlEncoded ? urlDecodeRepeated(cut, false) : cut;
  s = htmlEntityDecode(s);
  s = jsUnescape(s);
  if (s.indexOf('%') >= 0) s = urlDecodeRepeated(s, false);
  s = unicodeFold(s);
  if (s.indexOf('\u0000') >= 0) s = s.split('\u0000').join('');
  return s;
}

const LINE_BREAK_RE = trackPattern(/\r\n?|\n/);

/**
 * normalizeValue that keeps line breaks (each as one `\n`; the whitespace of each line collapsed):
 * what a database sees when a `#` or `--` comment ends at a line break and the query goes on
 * (`-1#x\nunion select …`), which the one-line form hides in the comment. Same bounds. Never throws.
 */
export function normalizeValueLines(raw: string, urlEncoded: boolean): string {
  const cut = raw.length > NORM_MAX_CHARS ? raw.slice(0, NORM_MAX_CHARS) : raw;
  const s = decodeValue(cut, urlEncoded).split(LINE_BREAK_RE).map(collapseWhitespace).join('\n').toLowerCase();
  return s.length > NORM_MAX_CHARS ? s.slice(0, NORM_MAX_CHARS) : s;
}

/** Result of path normalization: the canonical path and what it took to get there. */
export interface NormalizedPath {
  readonly path: string;
  /** Number of `..` segments met. */
  readonly dotdot: number;
  /** True when `..` would climb above the root. */
  readonly escapesRoot: boolean;
  /** True when the raw path used encoded separators or dots (`%2f`, `%5c`, `%2e`, overlong). */
  readonly encodedSeparators: boolean;
}

const DOTDOT_SEG_RE = trackPattern(/^\.\.[\s.]*$/);
const BACKSLASH_RE = trackPattern(/\\/g);
const ENC_SEP_RE = trackPattern(/%(?:2f|5c|2e|c0|c1|e0|25)|%u(?:002f|005c|002e|2215|2216)/i);

/** Canonicalizes a URL path: decoding, backslashes, `//`, `.` and `..`. Never throws; bounded. */
export function normalizePath(raw: string): NormalizedPath {
  const cut = raw.length > NORM_MAX_CHARS ? raw.slice(0, NORM_MAX_CHARS) : raw;
  const encodedSeparators = ENC_SEP_RE.test(cut);
  const decoded = unicodeFold(urlDecodeRepeated(cut, false)).replace(BACKSLASH_RE, '/');
  const out: string[] = [];
  let dotdot = 0;
  let escapesRoot = false;
  for (const seg of decoded.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (DOTDOT_SEG_RE.test(seg)) {
      dotdot++;
      if (out.length === 0) escapesRoot = true; else out.pop();
      continue;
    }
    out.push(seg);
  }
  return { path: '/' + out.join('/').toLowerCase(), dotdot, escapesRoot, encodedSeparators };
}
