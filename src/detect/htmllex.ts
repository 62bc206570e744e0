// HTML lexer: finds tags and their attributes in a value (tolerant of unterminated markup).

/** One tag met in the text: lower-case name, attributes (name → value), and its offset. */
export interface HtmlTag {
  readonly name: string;
  readonly closing: boolean;
  readonly attrs: ReadonlyArray<readonly [string, string]>;
  readonly at: number;
}

/** Maximum tags returned per call. */
export const HTML_MAX_TAGS = 32;

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 58 || c === 95 || (c >= 65 && c <= 90);
}
function isSpaceLike(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 12 || c === 13 || c === 47 /* '/' separates attrs in browsers */;
}

function readAttrs(s: string, start: number, attrs: Array<readonly [string, string]>): number {
  let i = start;
  while (i < s.length && attrs.length < 32) {
    while (i < s.length && isSpaceLike(s.charCodeAt(i))) i++;
    if (i >= s.length || s[i] === '>' || s[i] === '<') return i;
    let j = i;
    while (j < s.length && !isSpaceLike(s.charCodeAt(j)) && s[j] !== '=' && s[j] !== '>') j++;
    if (j === i) { i++; continue; }
    const name = s.slice(i, j);
    i = j;
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n')) i++;
    if (s[i] !== '=') { attrs.push([name, '']); continue; }
    i++;
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n')) i++;
    const q = s[i];
    if (q === '"' || q === "'" || q === '`') {
      const end = s.indexOf(q, i + 1);
      attrs.push([name, s.slice(i + 1, end < 0 ? s.length : end)]);
      i = end < 0 ? s.length : end + 1;
    } else {
      let k = i;
      while (k < s.length && s[k] !== ' ' && s[k] !== '>' && s[k] !== '\t' && s[k] !== '\n') k++;
      attrs.push([name, s.slice(i, k)]);
      i = k;
    }
  }
  return i;
}

/**
 * Lexes `s` (normalized, lower case) into tags. A tag starts at `<` followed by a letter, `/`, `!`
 * or `?`; attributes are read browser-style (`/` separates, quotes optional). Linear time,
 * at most HTML_MAX_TAGS tags. Never throws.
 */
export function htmlTags(s: string): HtmlTag[] {
  const out: HtmlTag[] = [];
  let i = s.indexOf('<');
  while (i >= 0 && i < s.length && out.length < HTML_MAX_TAGS) {
    let j = i + 1;
    const closing = s[j] === '/';
    if (closing) j++;
    const c = s.charCodeAt(j);
    if (!((c >= 97 && c <= 122) || c === 33 || c === 63 || (c >= 65 && c <= 90))) { i = s.indexOf('<', i + 1); continue; }
    let k = j + 1;
    while (k < s.length && isNameChar(s.charCodeAt(k))) k++;
    const name = s.slice(j, k).toLowerCase();
    const attrs: Array<readonly [string, string]> = [];
    const end = closing ? k : readAttrs(s, k, attrs);
    out.push({ name, closing, attrs, at: i });
    i = s.indexOf('<', Math.max(end, i + 1));
  }
  return out;
}
