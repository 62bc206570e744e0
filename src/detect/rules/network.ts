// Network-shaped detectors: SSRF, open redirect, CRLF/header injection, Log4Shell, Shellshock.

import type { RequestView } from '../../core/index.js';
import type { ParsedRequest, PartKind } from '../parts.js';
import { activeParts, addGateNeedles, allocateBit, compileRules, emit, PARAM_KINDS, partScan, tableDetector, withKinds, type FindingSink, type SignatureDetector, trackPattern } from '../signature.js';

const PRIVATE_HOST = '(?:localhost|127\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}|0\\.0\\.0\\.0|0+(?=[:/]|$)|\\[[0:]{0,20}1?\\]|\\[::ffff:[^\\]]{1,40}\\]|10\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}|192\\.168\\.\\d{1,3}\\.\\d{1,3}|172\\.(?:1[6-9]|2\\d|3[01])\\.\\d{1,3}\\.\\d{1,3}|\\d{8,10}(?=[:/]|$)|0x[0-9a-f]{1,8}(?=[:/.]|$)|0[0-7]{1,4}\\.\\d{1,8}|\\d{1,3}\\.\\d{1,8}(?=[:/]|$))';

/** An IPv4 host spelled in hex, octal, as one number or with merged octets: no real link is written that way (SSRF filter evasion). */
const ENCODED_IPV4 = String.raw`(?:0x[0-9a-f]{1,8}(?:\.(?:0x[0-9a-f]{1,2}|\d{1,3})){0,3}|0[0-7]{1,4}(?:\.(?:0x[0-9a-f]{1,2}|\d{1,5})){1,3}|0[0-7]{9,11}|[1-9]\d{7,9}|\d{1,3}\.\d{5,8}|\d{1,3}\.\d{1,3}\.\d{4,5})(?=[:/?#\\]|$)`;
/** Non-web schemes that reach a service when pointed at loopback (mail, chat, databases, caches). */
const SERVICE_SCHEMES = 'pop3|imap|smtp|irc|acap|rtmp|ssh|telnet|redis|mysql|postgres(?:ql)?|mongodb|memcached?|netdoc|jar|ldap|nntp';

/** Rules that need a whole URL (`scheme://host`) read the path too: proxies, image resizers and archives take the target from a path segment. */
const URL_KINDS: readonly PartKind[] = [...PARAM_KINDS, 'path'];

/**
 * Server-side request forgery (`ssrf-*`). The rules that match a whole URL (ssrf-002, -003, -008, and
 * ssrf-010, the metadata address after a scheme) read the path too (`/fetch/http://169.254.169.254/…`,
 * `/unsafe/300x200/http://10.0.0.5/`); name-only rules (`metadata/v1`, `requestbin`) stay on
 * parameters, where a path such as `/api/metadata/v1/schemas` or `/blog/requestbin-alternatives` is not.
 */
export const ssrfDetector: SignatureDetector = tableDetector('ssrf', 'ssrf', compileRules(withKinds([
  { id: 'ssrf-001', score: 5, needles: ['169.254', 'metadata', '100.100.100.200', 'instance-data', 'fd00:ec2'], pattern: '169\\.254\\.\\d{1,3}\\.\\d{1,3}|\\b169\\.254\\.\\d{4,5}\\b|metadata\\.(?:google\\.internal|packet\\.net|azure\\.com)|\\bmetadata/v1|100\\.100\\.100\\.200|instance-data|fd00:ec2::254|/latest/meta-data', explanation: 'cloud metadata endpoint' },
  { id: 'ssrf-010', score: 5, kinds: ['path'], needles: ['169.254', 'metadata.google', '100.100.100.200', 'fd00:ec2'], pattern: String.raw`://(?:[^/@\s]{0,64}@)?(?:169\.254\.\d{1,3}\.\d{1,3}|metadata\.google\.internal|100\.100\.100\.200|\[?fd00:ec2::254\]?)`, explanation: 'URL to a cloud metadata endpoint in the path' },
  { id: 'ssrf-002', score: 5, kinds: URL_KINDS, needles: ['gopher:', 'dict:', 'ldap:', 'tftp:', 'sftp:', 'ldaps:'], pattern: '\\b(?:gopher|dict|ldaps?|tftp|sftp)://', explanation: 'URL scheme used for SSRF' },
  { id: 'ssrf-003', score: 4, kinds: URL_KINDS, needles: ['://'], pattern: `(?:^|[^a-z0-9+.-])[a-z][a-z0-9+.-]{1,10}://(?:[^/@\\s]{0,64}@)?${PRIVATE_HOST}`, explanation: 'URL to a loopback, private or encoded address' },
  { id: 'ssrf-008', score: 5, kinds: URL_KINDS, needles: ['://'], pattern: `(?:^|[^a-z0-9+.-])(?:[a-z][a-z0-9+.-]{1,10}://(?:[^/@\\s]{0,64}@)?${ENCODED_IPV4}|(?:${SERVICE_SCHEMES})s?://(?:[^/@\\s]{0,64}@)?(?:localhost|127\\.\\d|0\\.0\\.0\\.0|\\[[0:]{0,20}1?\\]))`, explanation: 'URL to an encoded IPv4 address, or a service scheme to loopback' },
  { id: 'ssrf-004', score: 4, needles: ['nip.io', 'xip.io', 'sslip.io', '1u.ms', 'localtest.me', 'rbndr.us', 'lvh.me', 'vcap.me'], pattern: '\\.(?:nip|xip|sslip)\\.io\\b|\\b1u\\.ms\\b|localtest\\.me|\\.rbndr\\.us|\\blvh\\.me\\b|\\bvcap\\.me\\b', explanation: 'DNS rebinding host shape' },
  { id: 'ssrf-006', score: 5, needles: ['.internal', 'kubernetes.default', 'ip6-', 'ipv6-localhost', 'localhost'], pattern: String.raw`^\s*(?:(?:[a-z][a-z0-9+.-]{1,10}://)?(?:(?:host|gateway|kubernetes)\.docker\.internal|host\.containers\.internal|kubernetes\.default(?:\.svc(?:\.cluster\.local)?)?|ip6-(?:localhost|loopback)|ipv6-localhost|localhost[46](?:\.localdomain[46])?|localhost\.localdomain)\b|localhost(?::\d{1,5})?/)`, explanation: 'value names a container, cluster or loopback host' },
  { id: 'ssrf-007', score: 5, needles: ['unix:'], kinds: ['query', 'body', 'json', 'multipart', 'xml', 'name', 'path'], pattern: String.raw`\bunix:[^|\s]{0,8192}\|(?:https?|wss?|ftp|fcgi|ajp)://`, explanation: 'Unix-socket proxy URL (mod_proxy unix:…|http:// SSRF)' },
  { id: 'ssrf-005', score: 5, needles: ['burpcollaborator', 'oastify', 'interact.sh', 'oast.', 'dnslog.cn', 'ceye.io', 'requestbin', 'canarytokens'], pattern: 'burpcollaborator\\.net|oastify\\.com|interact\\.sh|\\boast\\.(?:pro|live|site|online|fun|me)\\b|dnslog\\.cn|ceye\\.io|requestbin|canarytokens', explanation: 'out-of-band callback host' },
])));

/** A dotted numeric host in hex, octal or decimal parts (`0xd8.072.54990`, `00330.3856078`, `472.314.470.462`). */
const NUM_PART = String.raw`(?:0x[0-9a-f]{1,2}|\d{1,12})`;
const NUM_HOST = String.raw`${NUM_PART}\.(?:${NUM_PART}\.${NUM_PART}\.${NUM_PART}|${NUM_PART}\.\d{3,6}|\d{5,8})`;

/** Open redirect (`redir-*`). */
export const redirectDetector: SignatureDetector = tableDetector('redirect', 'open-redirect', compileRules(withKinds([
  { id: 'redir-005', score: 5, needles: ['//', '\\'], pattern: '^\\s*(?:https?:)?(?:[/\\\\]\\s*){2,8}[^\\s?#]{0,200}?(?:[?#]?@|\\\\|/\\.\\.|\\.\\./|\\u3002)', explanation: 'scheme-relative URL with parser-confusion tricks (@, also right after ? or #, a backslash, a dot segment or an ideographic dot before its query; an @ inside the query is data)' },
  { id: 'redir-001', score: 4, needles: ['//', '\\', '/\\'], pattern: '^\\s*(?:[/\\\\]\\s*){2,}[^/\\\\\\s]{0,80}?[a-z0-9\\-]\\.[a-z]{2,24}(?:[/?#:@%]|$)', explanation: 'scheme-relative URL to another host' },
  { id: 'redir-002', score: 5, needles: ['@'], pattern: '^\\s*(?:[a-z]{3,8}:)?//[a-z0-9\\-]{1,63}\\.[^/?#\\s@]{1,160}@', explanation: 'URL with a host-like userinfo (allow-list bypass)' },
  { id: 'redir-003', score: 5, needles: [':/\\', ':\\\\', '/%09', '/ /', ':///', '///', '/\\', '\\\\'], pattern: '^\\s*(?:https?:)?(?:/\\\\|\\\\\\\\|/{1,6}\\s+/|/{3,})[\\s/\\\\]{0,8}[a-z0-9\\-]{1,63}(?:\\.[a-z0-9\\-]{1,63}){1,5}|^\\s*https?:/{0,3}\\\\', explanation: 'malformed scheme or separator to confuse URL parsers' },
  { id: 'redir-006', score: 5, needles: ['http:', 'https:'], pattern: String.raw`^\s*https?:/?(?![/\\])\s*(?:[^\s/@]{1,80}@|\[[0-9a-f:.]{2,60}\]|(?:\d{8,10}|0x[0-9a-f]{8}|[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,6}\.[a-z]{2,24}|${NUM_HOST})(?:[/:?#]|$))`, explanation: 'URL without slashes to a numeric host or behind userinfo (parser confusion)' },
  { id: 'redir-007', score: 5, needles: ['/http', '\\http', '/ http', '\\ http'], pattern: String.raw`^\s*(?:[/\\]\s*){1,3}https?:(?:[/\\]{1,4}\s*[/\\]{0,4}\s*[a-z0-9]|[a-z0-9][a-z0-9-]{0,62}\.[a-z]{2,24}(?:[/:?#]|$))`, explanation: 'relative path holding an absolute URL (/https://other.host)' },
  { id: 'redir-008', score: 5, raw: true, flags: 'i', needles: ['\u3031', '\u3035', '\u30fc', '\u309d', '\uff70'], pattern: String.raw`^\s*/{0,2}[\u3031\u3035\u30fc\u309d\uff70][a-z0-9-]{1,63}\.[a-z]{2,24}(?:[/?#:]|$)`, explanation: 'look-alike slash character before a host name' },
  { id: 'redir-009', score: 5, needles: ['<>/', '<>\\'], pattern: String.raw`^\s*[/\\]?<>\s?[/\\]{2}\s?[a-z0-9]`, explanation: 'empty tag before a scheme-relative URL (<>//host: a filter strips the tag, the browser follows //host)' },
  { id: 'redir-010', score: 5, needles: ['=//', '=/\\', '=http:', '=https:', '=\\\\'], pattern: String.raw`(?:[?&](?:url|next|redirect|redir|rurl|redirect_uri|redirect_url|return|returnto|return_to|returnurl|dest|destination|continue|goto|target|forward|callback)=(?:https?:)?[/\\]{2}[^&\s]{1,200}){3}`, explanation: 'URL spraying three or more redirect parameters with off-site targets (open-redirect scan)' },
  { id: 'redir-004', score: 5, needles: ['://'], pattern: '^\\s*https?://(?:\\d{4,}|0x[0-9a-f]{2,}|0\\d{2,})(?:\\.\\d{1,12}){0,3}(?:[/:?#]|$)', explanation: 'URL with an encoded numeric host' },
])));

const CRLF_TAIL = '[\\t ]*(?:(?:set-cookie|location|content-(?:type|length|disposition|security-policy)|x-[a-z-]{1,30}|refresh|host|cache-control|access-control-[a-z-]{1,30}|transfer-encoding|connection|remote-addr)[\\t ]*:|http/\\d|(?:get|post|head|put) [^\\s]{1,200} http/|<(?:script|html|svg|img)\\b)';

/** CRLF and header injection, response splitting, smuggled requests in values (`crlf-*`). */
export const crlfDetector: SignatureDetector = tableDetector('crlf', 'crlf', compileRules([
  { id: 'crlf-001', score: 5, needles: ['\r', '\n', '%0d', '%0a', '\u560a', '\u560d'], raw: true, flags: 'i', kinds: ['path', 'query', 'name', 'cookie', 'body', 'header'], pattern: `(?:\\r|\\n|%0d|%0a|\\u560a|\\u560d)${CRLF_TAIL}`, explanation: 'line break followed by an HTTP header or response' },
  { id: 'crlf-002', score: 5, needles: ['\r', '\n'], raw: true, kinds: ['path'], pattern: '[\\r\\n]', explanation: 'line break in the path' },
  { id: 'crlf-004', score: 5, needles: ['\r', '\n'], raw: true, flags: 'i', kinds: ['query'], pattern: String.raw`^[^\s=&]{0,40}[\r\n]{1,2}[a-z][a-z0-9_.\[\]-]{0,39}=(?!=)`, explanation: 'line break inside a query parameter starting a new parameter (pollution)' },
  { id: 'crlf-006', score: 5, needles: ['%0d', '%0a'], raw: true, flags: 'i', kinds: ['header'], pattern: String.raw`(?:%0d|%0a)+[a-z][a-z0-9-]{1,40}:[\t ]`, explanation: 'encoded line break and a header line inside a header value (header injection)' },
  { id: 'crlf-005', score: 5, needles: ['\r', '\n'], raw: true, kinds: ['name'], pattern: String.raw`[\r\n]`, explanation: 'line break in a parameter name' },
  { id: 'crlf-003', score: 5, needles: ['http/'], kinds: ['query', 'body', 'name', 'path'], pattern: '\\b(?:get|post|head|put|delete|options|connect)\\s+(?:https?://|/)[^\\s]{0,200}\\s+http/\\d', explanation: 'HTTP request line inside a value (splitting/smuggling)' },
]));

const LOOKUP_RE = trackPattern(/\$\{([^${}]{0,256})\}/);
const JNDI_RE = trackPattern(/\$\{\s*jndi\s*:|jndi\s*:\s*(?:ldaps?|rmi|dns|iiop|corba|nds|nis|http|https)\b/);
const LOOKUP_NAME_RE = trackPattern(/\$\{\s*(?:jndi|env|sys|java|ctx|main|bundle|docker|k8s|spring|log4j|web|lower|upper|date|base64|marker|sd|map|jvmrunargs|event)\s*:/);
const JNDI_BODY_RE = trackPattern(/^\s*jndi\s*:/);
const CASE_LOOKUP_RE = trackPattern(/^(?:lower|upper):/);
const QUOTE_RE = trackPattern(/'/g);
const MARK = '\u0001jndi\u0001';
/** `$` (or `&dollar;`) before a brace written as a named entity: a lookup opener hidden from `${` filters. */
const ENTITY_OPENER_RE = trackPattern(/(?:\$|&dollar;?)&(?:lbrace|lcub)/);
const ENTITY_BRACE_RE = trackPattern(/&(?:(lbrace|lcub)|rbrace|rcub|dollar);?/g);
/** The value with entity-spelled braces and dollars (also without `;`, which the HTML decoder leaves) written out. */
function unentityLookups(v: string): string {
  return v.replace(ENTITY_BRACE_RE, (m, open?: string) => (m.startsWith('&dollar') ? '$' : open !== undefined ? '{' : '}'));
}

/** Resolves Log4j lookups innermost-first (`${lower:j}`, `${::-n}`, `${env:X:-d}`), bounded. Never throws. */
export function resolveLookups(s: string): string {
  let cur = s.length > 4096 ? s.slice(0, 4096) : s;
  for (let i = 0; i < 32; i++) {
    const m = LOOKUP_RE.exec(cur);
    if (!m) break;
    const body = m[1]!;
    let rep: string;
    const dflt = body.indexOf(':-');
    if (JNDI_BODY_RE.test(body)) rep = MARK + body;
    else if (dflt >= 0) rep = body.slice(dflt + 2);
    else if (CASE_LOOKUP_RE.test(body)) rep = body.slice(6);
    else if (body.startsWith('date:')) rep = body.slice(5).replace(QUOTE_RE, '');
    else rep = '\u0002' + body + '\u0003';
    cur = cur.slice(0, m.index) + rep + cur.slice(m.index + m[0].length);
  }
  return cur;
}

const LOG4J_BIT = allocateBit();
addGateNeedles(['${', 'jndi', '&lbrace', '&lcub'], LOG4J_BIT);

/** Log4Shell / JNDI lookups with nested obfuscation (`log4j-*`). Reads every header too. */
export const log4shellDetector: SignatureDetector = Object.freeze({
  id: 'log4shell',
  classes: ['log4shell'] as const,
  inspectParsed(parsed: ParsedRequest, _view: RequestView, sink: FindingSink): void {
    for (const part of activeParts(parsed)) {
      if (sink.findings.length >= sink.max) return;
      if ((partScan(part).mask & LOG4J_BIT) === 0) continue;
      if (ENTITY_OPENER_RE.test(part.norm)) { emit(sink, 'log4shell', 'log4j-004', 'log4shell', 5, part, part.norm.indexOf('&'), 'Log4j lookup opener with an entity-spelled brace (filter evasion)'); continue; }
      const v = part.norm.includes('&') ? unentityLookups(part.norm) : part.norm;
      if (JNDI_RE.test(v)) { emit(sink, 'log4shell', 'log4j-001', 'log4shell', 5, part, v.indexOf('jndi'), 'JNDI lookup'); continue; }
      const resolved = resolveLookups(v);
      if (resolved.includes(MARK) || JNDI_RE.test(resolved)) { emit(sink, 'log4shell', 'log4j-002', 'log4shell', 5, part, v.indexOf('${'), 'obfuscated JNDI lookup (nested lookups)'); continue; }
      const lm = LOOKUP_NAME_RE.exec(v);
      if (lm) emit(sink, 'log4shell', 'log4j-003', 'log4shell', 5, part, lm.index, 'Log4j lookup expression');
    }
  },
});

const SHELLSHOCK_RE = trackPattern(/\(\s*\)\s*\{/);
const SHELLSHOCK_START_RE = trackPattern(/^\s*\(\s*\)\s*\{/);

const SHELLSHOCK_BIT = allocateBit();
addGateNeedles(['()', '( )'], SHELLSHOCK_BIT);

/** Shellshock function definitions in any header or value (`shellshock-*`). */
export const shellshockDetector: SignatureDetector = Object.freeze({
  id: 'shellshock',
  classes: ['shellshock'] as const,
  inspectParsed(parsed: ParsedRequest, _view: RequestView, sink: FindingSink): void {
    for (const part of activeParts(parsed)) {
      if (sink.findings.length >= sink.max) return;
      if ((partScan(part).mask & SHELLSHOCK_BIT) === 0) continue;
      const v = part.norm;
      const m = SHELLSHOCK_RE.exec(v);
      if ((m && v.indexOf('}', m.index) >= 0 && v.indexOf(';', m.index) >= 0) || SHELLSHOCK_START_RE.test(v)) emit(sink, 'shellshock', 'shellshock-001', 'shellshock', 5, part, m?.index ?? 0, 'bash function definition (Shellshock)');
    }
  },
});
