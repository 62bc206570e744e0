// Method overrides: every method a POST claims through headers, `_method` parameters or body fields. Pure.

/** Headers through which a POST claims another method (Express method-override, Symfony, ASP.NET, Google APIs). */
const OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'] as const;
const OVERRIDE_METHODS = new Set(['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const FIELD = '_method';

/**
 * Every method a POST claims through an override: each comma-separated item of each override header
 * (repeated headers arrive joined with commas, and frameworks differ in which item they take), each
 * `_method` query parameter (Laravel, Rack) and, given the body (its Content-Type and text), each
 * `_method` form, multipart or JSON field (Rails, Laravel), upper-cased, those that frameworks honour.
 * Field names are read as the frameworks read them: percent-decoded, and with PHP's rewriting of spaces
 * and dots to underscores (` method`, `.method` and `%5Fmethod` are all `_method` to Laravel); JSON
 * keys after unescaping. Empty for other methods. `get` reads a request header by its lower-case name;
 * `query` is the raw query string. Never throws.
 */
export function methodOverrides(method: string, get: (name: string) => string | undefined, query: string, body?: { readonly type: string | undefined; readonly text: string }): string[] {
  if (method !== 'POST') return [];
  const out: string[] = [];
  const add = (v: string): void => { const m = v.trim().toUpperCase(); if (OVERRIDE_METHODS.has(m) && !out.includes(m)) out.push(m); };
  for (const h of OVERRIDE_HEADERS) for (const item of (get(h) ?? '').split(',')) add(item);
  if (mayName(query)) for (const v of formFields(query)) add(v);
  if (body !== undefined && mayName(body.text)) for (const v of bodyFields(body.type, body.text)) add(v);
  return out;
}

/** Body types in which frameworks read a `_method` field: forms (Rails, Laravel, Rack), multipart, JSON (Laravel). */
const OVERRIDE_BODY_TYPE = /^\s*(?:application\/x-www-form-urlencoded|multipart\/form-data|application\/(?:[\w.+-]*\+)?json)\b/i;

/** True when a POST body of this Content-Type can carry a `_method` override (read it before routing). */
export function mayCarryMethodField(contentType: string | undefined): boolean {
  return contentType !== undefined && OVERRIDE_BODY_TYPE.test(contentType);
}

/** Text that could name the field at all: plainly, percent-encoded or JSON-escaped. */
export function mayName(text: string | Buffer): boolean {
  return text.includes('method') || text.includes('%') || text.includes('\\u');
}

/** A field name as PHP stores it (spaces and dots become underscores); Rails and Rack take it as is. */
const isField = (name: string): boolean => name === FIELD || (name.length === FIELD.length && name.replace(/[ .]/g, '_') === FIELD);

/** The values of `_method` pairs in urlencoded text. */
function formFields(text: string): string[] {
  const out: string[] = [];
  for (const pair of text.split('&')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || !isField(decodeForm(pair.slice(0, eq)))) continue;
    out.push(decodeForm(pair.slice(eq + 1, eq + 1 + 64)));
  }
  return out;
}

const MULTIPART_FIELD_RE = /\bname\s*=\s*(?:"([^"\r\n]*)"|([^;\s"]+))[^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n([^\r\n]{0,16})/gi;

/** The `_method` values in a body of the given type (form pairs, multipart fields, top-level JSON keys). */
function bodyFields(contentType: string | undefined, text: string): string[] {
  if (!mayCarryMethodField(contentType)) return [];
  const t = contentType!.toLowerCase();
  if (t.includes('multipart')) return [...text.matchAll(MULTIPART_FIELD_RE)].filter((m) => isField(m[1] ?? m[2] ?? '')).map((m) => m[3]!);
  if (t.includes('json')) {
    try {
      const v = JSON.parse(text) as unknown;
      const f = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[FIELD] : undefined;
      return typeof f === 'string' ? [f] : [];
    } catch { return []; }
  }
  return formFields(text);
}

function decodeForm(s: string): string {
  const p = s.replace(/\+/g, ' ');
  try { return decodeURIComponent(p); } catch { return p; }
}
