// Request-shape detectors: protocol anomalies, known scanners, session fixation.

import { headerValue, type RequestView } from '../../core/index.js';
import type { ParsedRequest } from '../parts.js';
import { emit, type FindingSink, type SignatureDetector, trackPattern } from '../signature.js';

/** Methods a normal client sends. Others are a protocol anomaly. */
export const ALLOWED_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** A NUL byte, raw or as `%00` (two substring searches: ~25× faster than the equivalent regex on long queries). */
function hasNul(s: string): boolean {
  return s.indexOf('%00') >= 0 || s.indexOf('\u0000') >= 0;
}
/**
 * Overlong UTF-8 and what lenient decoders read as such, for the characters attacks need: `%C0` before a
 * continuation byte (`%c0%ae` `.`, `%c0%af` `/`, `%c0%a7` `'`) or before `.`/`/`/`o`/`n` whose low six bits
 * spell `.` or `/` (`%c0%2e`, `%c0%6f`); `%C1` before a byte that decodes to punctuation (`%c1%9c` and
 * `%c1%1c` `\`, `%c1%80` `@`, `%c1%bc` `|`); 3- and 4-byte overlong forms with all their continuation
 * bytes; `%u` escapes. Not flagged: Windows-1251 and Latin-1 text, where `%C0`/`%C1` are А/Б or À/Á and
 * `%E0`/`%F0` are а/р or à/ð, followed by letters (`%C1%E5` "Бе", `%C1%B3` "Бі", `%E0%85%20` "а… ").
 */
const BAD_UTF8_RE = trackPattern(/%c0%(?:[89ab][0-9a-f]|[26][ef]|5c)|%c1%(?:80|9[b-f]|a0|b[b-e]|[15]c)|%e0%[89][0-9a-f]%[89ab][0-9a-f]|%f0%8[0-9a-f]%[89ab][0-9a-f]%[89ab][0-9a-f]|%u(?:ff[0-9a-f]{2}|[0-9a-f]{4})/i);
const RESTRICTED_EXT_RE = trackPattern(/\.(?:sql|bak|swp|env|htpasswd|htaccess|mdb|sqlite3?|pem|key|pwd|pass|dbf|rdb|mdf|old|git|svn)$/);
const UNUSUAL_EXT_RE = trackPattern(/\.(?:backup|dist|save|orig|config|ini|log|inc|asa|cer|cdx|idq|printer|htr|htw|ida|idc|dll|bat|cmd|com|conf|cfg|dat|db|vbs)$/);
/** A last path segment that is an e-mail address at a `.com` domain (decoded): there `.com` is not a DOS program. */
const EMAIL_SEGMENT_RE = trackPattern(/\/[\w.+-]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63})*\.com$/i);
const SMUGGLE_BODY_RE = trackPattern(/(?:^|\r?\n)[^\r\n]{0,200}(?:get|post|head|put|delete|options) \/[^\s]{0,200} http\/1\.[01]\r?\n/i);
/** Cheap gate of SMUGGLE_BODY_RE: an HTTP/1.x version ending a line. */
const HTTP_VERSION_RE = trackPattern(/http\/1\.[01]\r?\n/i);
const RANGE_RE = trackPattern(/^bytes=(?:\s*\d{0,19}\s*-\s*\d{0,19}\s*,){5}/);
const SCANNER_UA_RE = trackPattern(/sqlmap|nikto|nmap|nuclei|masscan|zgrab|wpscan|acunetix|netsparker|dirbuster|gobuster|\bffuf\b|feroxbuster|\bw3af|havij|\bhydra\b|openvas|nessus|arachni|skipfish|whatweb|wfuzz|jaeles|xsstrike|commix|appscan|webinspect|owasp zap|\bzap\/|burp(?:suite| collaborator)|paros|bbqsql|grabber|jbrofuzz|n-stealth|nsauditor|morfeus|zmeu|dotdotpwn|fimap|absinthe|pangolin|sqlninja|webshag|\bzmap\b|dirb\b|wapiti|vega\/|\bnaxsi|joomscan|droopescan|cmsmap|\bmasscan|httpx - open-source|censysinspect|\bbrutus\b|floodgate/i);
const SCANNER_HEADERS = new Set(['acunetix-product', 'acunetix-scanning-agreement', 'acunetix-user-agreement', 'x-scanner', 'x-wipp', 'x-request-memo', 'x-request-manager-session']);
const SCANNER_PATH_RE = trackPattern(/\/(?:\.env|\.git\/|\.svn\/|\.hg\/|\.ds_store|wp-login\.php|xmlrpc\.php|phpmyadmin|pma\/|\.aws\/credentials|server-status|actuator\/(?:env|heapdump)|\.well-known\/security\.txt\.bak|cgi-bin\/(?:php|test-cgi)|vendor\/phpunit|console\/login)/i);
const SESSION_PARAM_RE = trackPattern(/^(?:phpsession|jservsession|jwsession|phpsessid|jsessionid|aspsessionid[a-z]{0,10}|asp\.net_sessionid|cfid|cftoken|cfsid|connect\.sid|laravel_session|ci_session|zend_session_id|next-auth\.session-token|_rails_session|cakephp|symfony|jsessid|phpsessionid|_session_id|shiny-token|meteor_login_token|play_session|weblogicsession|jwsessionid|wsessionid|\.?aspxauth|sails\.sid|koa[.:]sess|express[.:]sid|rack\.session)$/i);
/** Generic session parameter names: fixation only with a foreign Referer on a login-like path (payment and OAuth redirects carry `session_id` too). */
const GENERIC_SESSION_PARAM_RE = trackPattern(/^(?:sessionid|session_id|session-id|sessid|session_token|sessiontoken|session-token|sessionkey)$/i);
const LOGIN_PATH_RE = trackPattern(/\/(?:login|log-in|signin|sign-in|logon|auth|authenticate|session|sessions)(?:[/.]|$)/i);
const ABSOLUTE_URI_RE = trackPattern(/^[a-z]{2,8}:\/\//i);
const DIGITS_RE = trackPattern(/^\d{1,15}$/);
const HOST_OF_RE = trackPattern(/^[a-z][a-z0-9+.-]{0,20}:\/\/([^/:?#]{1,253})/i);

function emitReq(sink: FindingSink, detector: string, rule: string, cls: 'protocol' | 'scanner' | 'anomaly', score: number, part: string, text: string, why: string): void {
  emit(sink, detector, rule, cls, score, { name: part, norm: text.toLowerCase() }, 0, why);
}

function inspectShape(view: RequestView, parsed: ParsedRequest, sink: FindingSink): void {
  if (!ALLOWED_METHODS.has(view.method)) emitReq(sink, 'protocol', 'protocol-001', 'protocol', 5, 'method', view.method, 'method not allowed');
  if (hasNul(view.path) || hasNul(view.query)) emitReq(sink, 'protocol', 'protocol-002', 'protocol', 5, 'query', view.query || view.path, 'NUL byte in the request line');
  if (BAD_UTF8_RE.test(view.path) || BAD_UTF8_RE.test(view.query)) emitReq(sink, 'protocol', 'protocol-003', 'protocol', 5, 'query', view.query || view.path, 'overlong UTF-8 or %u encoding');
  // No finding for other bytes that are invalid in UTF-8 (`%F6`, `%FF`): ISO-8859-1 and Windows-1251 pages send
  // them for ö, ÿ, я (`/stra%DFe/k%F6ln`). Session 12 measured a 3-point warning for F5–FF: it caught one CRS test
  // (`/i%FFndex.html`) and, as a model feature, made the shipped model block 143 of 869 generated legacy-charset requests.
  if (ABSOLUTE_URI_RE.test(view.path)) emitReq(sink, 'protocol', 'protocol-004', 'protocol', 3, 'path', view.path, 'absolute URI in the request line');
  if (RESTRICTED_EXT_RE.test(parsed.path.path)) emitReq(sink, 'protocol', 'protocol-005', 'protocol', 5, 'path', parsed.path.path, 'restricted file extension');
  else if (BACKUP_FILE_RE.test(parsed.path.path)) emitReq(sink, 'protocol', 'protocol-005', 'protocol', 5, 'path', parsed.path.path, 'editor backup file (`index.php~`): source disclosure');
  // A directory (`/scripts/wrap.backup/`, the request path ends with a slash) has no file extension.
  // Nor does an e-mail address as the last segment (`/api/v1/user/jane%40example.com`): `.com` is its domain.
  else if (!view.path.endsWith('/') && UNUSUAL_EXT_RE.test(parsed.path.path) && !EMAIL_SEGMENT_RE.test(parsed.path.path)) emitReq(sink, 'protocol', 'protocol-012', 'protocol', 3, 'path', parsed.path.path, 'unusual file extension');
  if (view.body !== '' && HTTP_VERSION_RE.test(view.body) && SMUGGLE_BODY_RE.test(view.body)) emitReq(sink, 'protocol', 'protocol-006', 'protocol', 5, 'body', view.body.slice(0, 200), 'HTTP request inside the body (smuggling)');
  for (const a of parsed.anomalies) {
    if (a.startsWith('multipart')) emitReq(sink, 'protocol', 'protocol-007', 'protocol', a === 'multipart-no-name' ? 3 : 5, 'body', a, `malformed multipart body (${a})`);
    // Warning only: big JSON documents are common; with any other finding it reaches the threshold.
    if (a === 'parts-truncated') emitReq(sink, 'protocol', 'protocol-013', 'protocol', 3, 'request', a, 'more parameters or JSON nesting than the inspection limit: the rest was not inspected');
  }
  const host = headerValue(view, 'host');
  if (view.headers.length > 0 && (host === undefined || host.trim() === '')) emitReq(sink, 'protocol', 'protocol-008', 'protocol', 2, 'header:host', '', 'missing or empty Host header');
  const requestRange = headerValue(view, 'request-range');
  const range = headerValue(view, 'range');
  // Request-Range is Netscape's obsolete name for Range: no current client sends it; range-overlap DoS tools do (CVE-2011-3192).
  if (requestRange !== undefined) emitReq(sink, 'protocol', 'protocol-009', 'protocol', 5, 'header:request-range', requestRange, 'obsolete Request-Range header (Apache Killer range DoS)');
  else if (range !== undefined && RANGE_RE.test(range)) emitReq(sink, 'protocol', 'protocol-009', 'protocol', 3, 'header:range', range, 'suspicious Range header');
  for (const [n, v] of view.headers) {
    if (UPLOAD_NAME_HEADERS.has(n) && SCRIPT_FILE_RE.test(v.slice(0, 512))) { emitReq(sink, 'protocol', 'protocol-016', 'protocol', 5, `header:${n}`, v, 'upload of a server-side script or session file name'); break; }
  }
  inspectMultipartNames(parsed, sink);
  const ct = headerValue(view, 'content-type');
  if (ct !== undefined) inspectContentType(ct, sink);
  inspectEvasions(view, parsed, sink);
  inspectRestricted(view, parsed, sink);
  const cl = headerValue(view, 'content-length');
  if (cl !== undefined && !DIGITS_RE.test(cl.trim())) emitReq(sink, 'protocol', 'protocol-010', 'protocol', 5, 'header:content-length', cl, 'non-numeric Content-Length');
  if (cl !== undefined && headerValue(view, 'transfer-encoding') !== undefined) emitReq(sink, 'protocol', 'protocol-011', 'protocol', 5, 'header:transfer-encoding', '', 'both Content-Length and Transfer-Encoding');
}

/** A multipart field name with `;`, `\` or a quote: parsers disagree on where it ends (field smuggling). */
const MULTIPART_NAME_RE = trackPattern(/[;\\"']/);

/** Multipart file names of server-side scripts (`protocol-017`) and field names that confuse parsers (`protocol-018`). */
function inspectMultipartNames(parsed: ParsedRequest, sink: FindingSink): void {
  let script = false, odd = false;
  for (const part of parsed.parts) {
    if (part.kind !== 'multipart') continue;
    if (!script && part.name.startsWith('body:multipart-filename:') && UPLOAD_SCRIPT_RE.test(part.value.slice(0, 512))) {
      script = true;
      emitReq(sink, 'protocol', 'protocol-017', 'protocol', 5, part.name, part.value, 'multipart upload of a server-side script or session file');
    }
    if (!odd && part.param !== undefined && MULTIPART_NAME_RE.test(part.param)) {
      odd = true;
      emitReq(sink, 'protocol', 'protocol-018', 'protocol', 5, part.name, part.param, 'multipart field name with ; \\ or a quote (parser confusion)');
    }
  }
}

/** Headers that name an uploaded file (AJAX upload widgets). */
const UPLOAD_NAME_HEADERS = new Set(['x-filename', 'x_filename', 'x.filename', 'x-file-name', 'x-file_name', 'x.file_name']);
const SCRIPT_FILE_RE = trackPattern(/\.\s?(?:php[0-9st]{0,3}|phtml|phar|pht|jsp|jspx|aspx?|asa|cer|cgi|pl|sh|shtml)[.\s\d]*$|\.\s?(?:php\d?|phar|phtml)\s+\.|(?:^|[\\/])sess_[a-z0-9,-]{16,}$|(?:^|[\\/])(?:\.htaccess|\.user\.ini|web\.config)$/i);
/** Uploaded file names (multipart) that a server may execute: PHP family, JSP, ASP, SSI, a space before the extension (`photo. php`), session files. */
const UPLOAD_SCRIPT_RE = trackPattern(/\.\s?(?:php[0-9st]{0,3}|phtml|phar|pht|jspx?|aspx?|asa|cer|shtml)[.\s]*$|\.\s+(?:php\d?|phtml|phar)(?:\.|$)|(?:^|[\\/])sess_[a-z0-9,-]{16,}$|(?:^|[\\/])(?:\.htaccess|\.user\.ini|web\.config)$/i);
const CHARSET_RE = trackPattern(/;\s*charset\s*=\s*"?([^";,\s]{0,64})/gi);
/**
 * Charsets a request body may declare: UTF-8 and the ASCII-compatible single-byte charsets (CRS's policy, plus
 * US-ASCII, the other ISO-8859 parts, Windows-125x and KOI8 that Central European, Cyrillic, Greek and Turkish
 * pages submit forms in). An ASCII byte means the same in each, so none hides `'` or `<` from a decoder; others
 * may (UTF-7, UTF-16, EBCDIC; Shift_JIS and Big5, whose two-byte characters can end in `\`).
 */
const ISO_8859_PARTS = Array.from({ length: 16 }, (_, i) => i + 1).filter((n) => n !== 12);
const WINDOWS_CODE_PAGES = Array.from({ length: 9 }, (_, i) => 1250 + i);
const ALLOWED_CHARSETS = new Set(['utf-8', 'us-ascii', ...ISO_8859_PARTS.map((n) => `iso-8859-${n}`),
  ...WINDOWS_CODE_PAGES.map((n) => `windows-${n}`), 'koi8-r', 'koi8-u',
  // Aliases clients send for the same charsets (`charset=utf8` from MySQL-minded code, `latin1`, `cp1251`).
  'utf8', 'ascii', ...ISO_8859_PARTS.flatMap((n) => [`iso8859-${n}`, `iso_8859-${n}`]), 'latin1', 'latin2',
  ...WINDOWS_CODE_PAGES.map((n) => `cp${n}`)]);
const BOUNDARY_PARAM_RE = trackPattern(/;\s*boundary\s*=/i);

function inspectContentType(ct: string, sink: FindingSink): void {
  const charsets = [...new Set([...ct.slice(0, 512).matchAll(CHARSET_RE)].map((m) => m[1]!.toLowerCase()))];
  if (charsets.length > 1 || (charsets.length === 1 && !ALLOWED_CHARSETS.has(charsets[0]!))) {
    emitReq(sink, 'protocol', 'protocol-014', 'protocol', 5, 'header:content-type', ct, charsets.length > 1 ? 'conflicting charsets in Content-Type' : 'charset not allowed (decoder evasion)');
  }
  const lower = ct.toLowerCase();
  if (BOUNDARY_PARAM_RE.test(ct) && !lower.startsWith('multipart/')) emitReq(sink, 'protocol', 'protocol-015', 'protocol', 5, 'header:content-type', ct, 'boundary parameter on a non-multipart Content-Type');
  else if (lower.startsWith('multipart/;')) emitReq(sink, 'protocol', 'protocol-015', 'protocol', 5, 'header:content-type', ct, 'multipart Content-Type without a subtype');
}

/** An editor backup copy (`index.php~`) as a path segment: served as plain text, it discloses source. */
const BACKUP_FILE_RE = trackPattern(/\.[a-z0-9]{1,8}~(?:\/|$)/i);
/** Charsets whose bytes an ASCII-reading filter misreads (UTF-7/16/32, UCS, EBCDIC code pages): decoder evasion wherever declared. */
const EVASION_CHARSET = String.raw`(?:utf-?(?:7|16|32)(?:[bl]e)?|ucs-?[24]|unicode(?:fffe)?|(?:cp|ibm)-?(?:037|273|277|278|280|284|285|290|297|420|424|500|870|871|875|880|1025|1026|1047|114[0-9])|ebcdic[a-z0-9-]{0,20})`;
/** A multipart part header declaring such a charset, or the `_charset_` field naming one. */
const PART_CHARSET_RE = trackPattern(new RegExp(String.raw`(?:^|\n)content-type:[^\r\n]{0,200}?charset\s{0,4}=\s{0,4}"?${EVASION_CHARSET}["\s;\r]|name="?_charset_"?\r?\n\r?\n\s{0,4}${EVASION_CHARSET}\s`, 'i'));
const ACCEPT_CHARSET_RE = trackPattern(new RegExp(String.raw`charset\s{0,4}=\s{0,4}"?${EVASION_CHARSET}(?:["\s;,]|$)`, 'i'));
/** Cookie sandwich: an RFC 2109 `$Version` cookie with a quoted value that swallows the cookies after it. */
const COOKIE_VERSION_RE = trackPattern(/(?:^|;)\s{0,8}\$version\s{0,4}=/i);
/** Accept-Encoding: a list of codings (CVE-2022-21907 sent long values with `&` and `**`). */
const ACCEPT_ENCODING_RE = trackPattern(/^[a-z0-9*,;=. \t_-]{0,128}$/i);
const CONNECTION_TOKEN_RE = trackPattern(/[^,\s]{1,64}/g);
/** Method names an override (`_method=`, `X-HTTP-Method-Override`) may carry. */
const OVERRIDE_WRITE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** A method name as overrides carry it: 3 to 10 letters (`unsubscribe`, `do_delete`, `x` are ordinary values). */
const METHOD_NAME_RE = trackPattern(/^[A-Z]{3,10}$/);
const OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'];

/** The method an override asks for (parameter `_method` or an override header), upper case; undefined when none. */
function overrideMethod(view: RequestView, parsed: ParsedRequest): { method: string; part: string } | undefined {
  for (const h of OVERRIDE_HEADERS) {
    const v = headerValue(view, h);
    if (v !== undefined) return { method: v.trim().toUpperCase(), part: `header:${h}` };
  }
  for (const part of parsed.parts) {
    if ((part.kind === 'query' || part.kind === 'body' || part.kind === 'multipart') && part.param === '_method') return { method: part.norm.trim().toUpperCase(), part: part.name };
  }
  return undefined;
}

/**
 * Evasions of decoders, parsers and method policy: an evasion charset in a multipart part or an
 * Accept header (`protocol-019`), a cookie sandwich (`protocol-020`), a method override to a method
 * outside the usual set or to a write method on a GET (`protocol-021`), an Accept-Encoding outside
 * its grammar (`protocol-022`), and a Connection header with conflicting or repeated options (`protocol-023`).
 */
function inspectEvasions(view: RequestView, parsed: ParsedRequest, sink: FindingSink): void {
  const ct = headerValue(view, 'content-type');
  if (ct !== undefined && view.body !== '' && ct.toLowerCase().startsWith('multipart/') && PART_CHARSET_RE.test(view.body.slice(0, 65536))) {
    emitReq(sink, 'protocol', 'protocol-019', 'protocol', 5, 'body', 'multipart part charset', 'multipart part declares a UTF-7/16/32 or EBCDIC charset (decoder evasion)');
  }
  const accept = headerValue(view, 'accept');
  if (accept !== undefined && ACCEPT_CHARSET_RE.test(accept.slice(0, 1024))) emitReq(sink, 'protocol', 'protocol-019', 'protocol', 5, 'header:accept', accept, 'Accept asks for a UTF-7/16/32 or EBCDIC response (output filter evasion)');
  const cookie = headerValue(view, 'cookie');
  if (cookie !== undefined && cookie.includes('"') && COOKIE_VERSION_RE.test(cookie.slice(0, 4096))) emitReq(sink, 'protocol', 'protocol-020', 'protocol', 5, 'header:cookie', '$Version', 'RFC 2109 $Version cookie with a quoted value (cookie sandwich: reads HttpOnly cookies)');
  const o = overrideMethod(view, parsed);
  if (o !== undefined && o.method !== '') {
    const getLike = view.method === 'GET' || view.method === 'HEAD';
    if (!ALLOWED_METHODS.has(o.method) && METHOD_NAME_RE.test(o.method)) emitReq(sink, 'protocol', 'protocol-021', 'protocol', 5, o.part, o.method, 'method override to a method outside the allowed set');
    else if (getLike && OVERRIDE_WRITE.has(o.method)) emitReq(sink, 'protocol', 'protocol-021', 'protocol', 5, o.part, o.method, 'write-method override on a GET request (CSRF through a link)');
  }
  const ae = headerValue(view, 'accept-encoding');
  if (ae !== undefined && !ACCEPT_ENCODING_RE.test(ae)) emitReq(sink, 'protocol', 'protocol-022', 'protocol', 5, 'header:accept-encoding', ae, 'Accept-Encoding outside its grammar or over 128 characters (CVE-2022-21907)');
  const conn = headerValue(view, 'connection');
  if (conn !== undefined && conn.includes(',')) {
    const tokens = (conn.slice(0, 512).toLowerCase().match(CONNECTION_TOKEN_RE) ?? []);
    const set = new Set(tokens);
    if (set.size < tokens.length || (set.has('close') && set.has('keep-alive'))) emitReq(sink, 'protocol', 'protocol-023', 'protocol', 5, 'header:connection', conn, 'Connection header with conflicting or repeated options');
  }
}

/**
 * Request headers no browser or API client sends, restricted as by CRS at PL1 (`protocol-025`). Each
 * one is a known attack vector; a WebDAV server behind the shield needs a per-route exclusion.
 */
const RESTRICTED_HEADERS: ReadonlyMap<string, string> = new Map([
  ['proxy', 'Proxy request header (httpoxy: CGI programs read it as HTTP_PROXY, CVE-2016-5385)'],
  ['lock-token', 'WebDAV Lock-Token header on a plain HTTP service'],
  ['if', 'WebDAV If header on a plain HTTP service'],
  ['content-range', 'Content-Range on a request (partial write of a resource)'],
]);
/** `\u00XX` writing an ASCII letter or digit: no encoder escapes those, filter evasion does (`\u0061lert`). */
const ESCAPED_ALNUM_RE = trackPattern(/\\u00(?:3[0-9]|4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a])/i);

/**
 * A NUL byte, raw or `%00`, in a header value (`protocol-024`); a restricted header (`protocol-025`);
 * a compressed request body, which no detector can read (`protocol-026`); a letter or digit written
 * as a `\u00XX` escape in a form value or a JSON document (`protocol-027`).
 */
function inspectRestricted(view: RequestView, parsed: ParsedRequest, sink: FindingSink): void {
  for (const [n, v] of view.headers) {
    if (hasNul(v)) emitReq(sink, 'protocol', 'protocol-024', 'protocol', 5, `header:${n}`, v, 'NUL byte in a header value');
    const why = RESTRICTED_HEADERS.get(n);
    if (why !== undefined) emitReq(sink, 'protocol', 'protocol-025', 'protocol', 5, `header:${n}`, v, why);
  }
  const ce = headerValue(view, 'content-encoding');
  if (ce !== undefined && ce.trim().toLowerCase() !== 'identity') emitReq(sink, 'protocol', 'protocol-026', 'protocol', 5, 'header:content-encoding', ce, 'compressed request body: no detector can read it');
  if (view.body.includes('\\u') && (headerValue(view, 'content-type') ?? '').toLowerCase().includes('json') && ESCAPED_ALNUM_RE.test(view.body)) {
    emitReq(sink, 'protocol', 'protocol-027', 'protocol', 5, 'body', view.body.slice(0, 200), 'letter or digit written as a \\u escape in a JSON document (filter evasion)');
    return;
  }
  for (const p of parsed.parts) {
    if ((p.kind === 'query' || p.kind === 'body' || p.kind === 'multipart') && p.value.includes('\\u') && ESCAPED_ALNUM_RE.test(p.value)) {
      emitReq(sink, 'protocol', 'protocol-027', 'protocol', 5, p.name, p.value, 'letter or digit written as a \\u escape in a form value (filter evasion)');
      return;
    }
  }
}

/** Protocol anomalies (`protocol-*`): method, encodings, extensions, smuggling, multipart, headers. */
export const protocolDetector: SignatureDetector = Object.freeze({
  id: 'protocol',
  classes: ['protocol'] as const,
  inspectParsed(parsed: ParsedRequest, view: RequestView, sink: FindingSink): void { inspectShape(view, parsed, sink); },
});

/** Known scanners by User-Agent, scanner headers and probe paths (`scanner-*`). */
export const scannerDetector: SignatureDetector = Object.freeze({
  id: 'scanner',
  classes: ['scanner'] as const,
  inspectParsed(parsed: ParsedRequest, view: RequestView, sink: FindingSink): void {
    const ua = headerValue(view, 'user-agent') ?? '';
    const m = SCANNER_UA_RE.exec(ua.slice(0, 1024));
    if (m) emit(sink, 'scanner', 'scanner-001', 'scanner', 5, { name: 'header:user-agent', norm: ua.toLowerCase() }, m.index, 'known scanner User-Agent');
    for (const [n] of view.headers) if (SCANNER_HEADERS.has(n)) { emitReq(sink, 'scanner', 'scanner-002', 'scanner', 5, `header:${n}`, n, 'scanner header'); break; }
    if (SCANNER_PATH_RE.test(parsed.path.path)) emitReq(sink, 'scanner', 'scanner-003', 'scanner', 3, 'path', parsed.path.path, 'common scanner probe path');
  },
});

/** Session fixation: a session id passed as a parameter with an absent or foreign Referer (`session-*`). */
export const sessionDetector: SignatureDetector = Object.freeze({
  id: 'session',
  classes: ['anomaly'] as const,
  inspectParsed(parsed: ParsedRequest, view: RequestView, sink: FindingSink): void {
    const referer = headerValue(view, 'referer');
    const host = (headerValue(view, 'host') ?? '').toLowerCase().split(':')[0] ?? '';
    const refHost = referer === undefined ? undefined : HOST_OF_RE.exec(referer)?.[1]?.toLowerCase();
    if (refHost !== undefined && refHost === host) return;
    const generic = refHost !== undefined && LOGIN_PATH_RE.test(parsed.path.path);
    for (const part of parsed.parts) {
      const form = part.kind === 'query' || part.kind === 'body';
      if ((form || part.kind === 'json') && part.param !== undefined && part.value !== ''
        && (SESSION_PARAM_RE.test(part.param) || (form && generic && GENERIC_SESSION_PARAM_RE.test(part.param)))) {
        emit(sink, 'session', 'session-001', 'anomaly', 5, part, 0, 'session id in a parameter from a foreign or missing Referer (fixation)');
        return;
      }
    }
  },
});
