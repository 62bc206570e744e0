// Method overrides: every method a POST claims through headers, `_method` parameters or body fields. Pure.
//
// Frameworks read the override field under many spellings (percent-encoded, PHP's name mangling,
// Rack's bracket stripping, JSON escapes, multipart quirks), so the reading here is generous: any
// field whose decoded name contains `method` and whose value is a method name counts. A false
// positive only makes the route stricter. Every scan is linear in the text (no backtracking regex).

/** Headers through which a POST claims another method (Express method-override, Symfony, ASP.NET, Google APIs). */
const OVERRIDE_HEADERS = new Set(['x-http-method-override', 'x-http-method', 'x-method-override']);
/** The methods an override may name (those frameworks honour). */
const OVERRIDE_METHODS: readonly string[] = ['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];
const METHOD_SET = new Set(OVERRIDE_METHODS);

/** A POST body as the override reader sees it. */
export interface OverrideBody {
  readonly type: string | undefined;
  /** Content-Encoding, if any (a compressed body cannot be read here). */
  readonly encoding?: string | undefined;
  readonly text: string;
  /** The text is the whole body (false: only its first bytes were read). */
  readonly complete: boolean;
}

/**
 * Every method a POST claims through an override: each comma-separated item of each override header
 * (any spelling with `-` or `_`, as CGI maps both alike; repeated headers joined), each override
 * field of the query and, given the body, of a form, multipart or JSON body, upper-cased, those that
 * frameworks honour. A body that could carry a field but cannot be read whole here (compressed, or
 * longer than what was read) claims every method: the strictest route applies. Empty for other
 * methods. `rawHeaders` is flat [name, value, ...]; `query` the raw query string. Never throws.
 */
export function methodOverrides(method: string, rawHeaders: readonly string[], query: string, body?: OverrideBody): string[] {
  if (method !== 'POST') return [];
  const claims: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length >= 13 && name.length <= 22 && OVERRIDE_HEADERS.has(name.toLowerCase().replace(/_/g, '-'))) claims.push(...rawHeaders[i + 1]!.split(','));
  }
  if (mayName(query)) claims.push(...formFields(query));
  if (body !== undefined) claims.push(...bodyMethodClaims(body));
  return newClaims([], claims);
}

/**
 * The methods a POST body claims (raw values, not yet filtered): its override fields, or every method
 * when it could carry one but cannot be read whole here (compressed, or only a prefix read).
 */
export function bodyMethodClaims(body: OverrideBody): readonly string[] {
  if (!mayCarryMethodField(body.type)) return [];
  const encoded = body.encoding !== undefined && body.encoding.trim().toLowerCase() !== 'identity' && body.encoding.trim() !== '';
  if (encoded || !body.complete) return OVERRIDE_METHODS;
  return mayName(body.text) ? bodyFields(body.type, body.text) : [];
}

/** The overrides `claims` adds to `known` (upper-cased methods frameworks honour, not yet in `known`). */
export function newClaims(known: readonly string[], claims: readonly string[]): string[] {
  const out: string[] = [];
  for (const c of claims) { const m = c.trim().toUpperCase(); if (METHOD_SET.has(m) && !known.includes(m) && !out.includes(m)) out.push(m); }
  return out;
}

/**
 * True when a POST body of this Content-Type can carry an override field: none (Rack reads it as a
 * form), forms, any multipart, any type that mentions json (Laravel's `isJson`).
 */
export function mayCarryMethodField(contentType: string | undefined): boolean {
  if (contentType === undefined) return true;
  const t = contentType.trim().toLowerCase();
  return t === '' || t.startsWith('application/x-www-form-urlencoded') || t.startsWith('multipart/') || t.includes('json');
}

/** Text that could name the field at all: plainly (any case), percent-encoded or escaped. */
function mayName(text: string): boolean {
  return MAY_NAME_RE.test(text);
}
const MAY_NAME_RE = /method|%|\\/i;

/** A field name that names the override (any decoded spelling that contains `method`). */
function overrideName(name: string): boolean {
  const nul = name.indexOf('\0');
  return (nul < 0 ? name : name.slice(0, nul)).toLowerCase().includes('method');
}

/** The values of override pairs in urlencoded text (pairs split on `&` and `;`). */
function formFields(text: string): string[] {
  const out: string[] = [];
  let from = 0;
  while (from <= text.length) {
    let end = from;
    while (end < text.length && text.charCodeAt(end) !== 0x26 && text.charCodeAt(end) !== 0x3b) end++;
    const eq = text.indexOf('=', from);
    if (eq >= 0 && eq < end && overrideName(decodeForm(text.slice(from, eq)))) out.push(decodeForm(text.slice(eq + 1, Math.min(end, eq + 65))));
    from = end + 1;
  }
  return out;
}

/** The override values in a body of the given type (form pairs, multipart fields, JSON keys at any depth). */
function bodyFields(contentType: string | undefined, text: string): string[] {
  const t = (contentType ?? '').toLowerCase();
  if (t.startsWith('multipart/')) return multipartFields(text);
  if (t.includes('json')) return jsonFields(text);
  return formFields(text);
}

/**
 * Multipart: for each part whose Content-Disposition names (any `name` parameter, quoted with `"` or
 * `'`, or bare) an override field, the first line of its content. Lines end in CRLF or LF.
 */
function multipartFields(text: string): string[] {
  const out: string[] = [];
  const lines = text.split('\n');
  let named = false, inHead = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.endsWith('\r') ? lines[i]!.slice(0, -1) : lines[i]!;
    if (line.startsWith('--')) { inHead = true; named = false; continue; }
    if (!inHead) continue;
    if (line === '') { inHead = false; if (named && i + 1 < lines.length) out.push(lines[i + 1]!.replace(/\r$/, '').slice(0, 64)); continue; }
    if (/^\s*content-disposition\s*:/i.test(line) && dispositionNames(line).some(overrideName)) named = true;
  }
  return out;
}

/** The values of every `name`-like parameter in a Content-Disposition line (linear). */
function dispositionNames(line: string): string[] {
  const out: string[] = [];
  const lower = line.toLowerCase();
  for (let i = lower.indexOf('name'); i >= 0; i = lower.indexOf('name', i + 4)) {
    let j = i + 4;
    while (j < line.length && (line[j] === ' ' || line[j] === '\t')) j++;
    if (line[j] !== '=') continue;
    j++;
    while (j < line.length && (line[j] === ' ' || line[j] === '\t')) j++;
    const q = line[j];
    if (q === '"' || q === "'") { const e = line.indexOf(q, j + 1); out.push(line.slice(j + 1, e < 0 ? line.length : e)); } else {
      let e = j;
      while (e < line.length && line[e] !== ';' && line[e] !== ' ' && line[e] !== '\t') e++;
      out.push(line.slice(j, e));
    }
  }
  return out;
}

/** JSON: every string key (unescaped) that names the override, with a string value; scanned, not parsed (prefixes need not parse). */
function jsonFields(text: string): string[] {
  const out: string[] = [];
  for (let i = text.indexOf('"'); i >= 0 && i < text.length; ) {
    const k = readJsonString(text, i);
    if (k === null) break;
    let j = k.end;
    while (j < text.length && /\s/.test(text[j]!)) j++;
    if (text[j] === ':') {
      j++;
      while (j < text.length && /\s/.test(text[j]!)) j++;
      if (text[j] === '"') {
        const v = readJsonString(text, j);
        if (v === null) break;
        if (overrideName(k.value)) out.push(v.value.slice(0, 64));
        i = text.indexOf('"', v.end);
        continue;
      }
    }
    i = text.indexOf('"', k.end);
  }
  return out;
}

/** The JSON string starting at `text[at]` (a quote), unescaped, and the index after its closing quote; null if unterminated. */
function readJsonString(text: string, at: number): { value: string; end: number } | null {
  let j = at + 1, raw = false;
  while (j < text.length && text[j] !== '"') { if (text[j] === '\\') { raw = true; j++; } j++; }
  if (j >= text.length) return null;
  const body = text.slice(at + 1, j);
  if (!raw) return { value: body, end: j + 1 };
  try { return { value: JSON.parse(`"${body}"`) as string, end: j + 1 }; } catch { return { value: body, end: j + 1 }; }
}

function decodeForm(s: string): string {
  const p = s.replace(/\+/g, ' ');
  try { return decodeURIComponent(p); } catch { return p; }
}
