// File access detectors: path traversal and local file inclusion, remote file inclusion, XXE.

import type { RequestView } from '../../core/index.js';
import type { ParsedRequest } from '../parts.js';
import { activeParts, compileRules, emit, partScan, runRule, tableDetector, withKinds, type FindingSink, type SignatureDetector, trackPattern } from '../signature.js';

const SENSITIVE = '/etc/(?:passwd|shadow|group|hosts|issue|motd|crontab|sudoers|fstab|hostname|resolv\\.conf|my\\.cnf|httpd|apache2|nginx|ssh|security|profile|environment|master\\.passwd)|/proc/(?:self|\\d{1,7})/(?:environ|cmdline|fd|maps|status|mem|exe|cwd|root)|\\b(?:boot|win|system)\\.ini\\b|windows[\\\\/]+(?:system32|win\\.ini|repair)|\\.ht(?:access|passwd)\\b|web-inf[\\\\/]|\\bweb\\.config\\b|\\bid_(?:rsa|dsa|ecdsa|ed25519)\\b|\\.ssh[\\\\/]|/var/log/|\\.bash_history|\\bc:[\\\\/]+(?:windows|winnt|boot|inetpub|users)|/root/|\\.git[\\\\/](?:config|head|index)|wp-config\\.php|/usr/local/(?:apache|etc)|\\bauthorized_keys\\b|/dev/(?:null|zero|random|urandom|stdin)\\b';

const DOTDOT_RAW_RE = trackPattern(/(?:^|\/)\.\.(?:\/|$)/);

const LFI_RULES = compileRules([
  { id: 'lfi-001', score: 5, needles: ['..'], pattern: '\\.\\.[\\\\/;]+\\s*\\.\\.[\\\\/;]', explanation: 'repeated ../ traversal' },
  { id: 'lfi-005', score: 5, needles: ['passwd', 'shadow', 'sudoers', '/proc/', '.ini', 'web-inf', 'id_rsa', 'system32', 'c:'], pattern: '/etc/(?:passwd|shadow|master\\.passwd|sudoers)|/proc/(?:self|\\d{1,7})/(?:environ|cmdline|maps|fd)|\\b(?:boot|win)\\.ini\\b|web-inf[\\\\/]+web\\.xml|\\.htpasswd\\b|\\bid_rsa\\b|windows[\\\\/]+system32|\\bc:[\\\\/]+(?:windows|winnt|boot\\.ini)', explanation: 'well-known target file of file-disclosure attacks' },
  { id: 'lfi-002', score: 4, needles: ['/', '\\', 'ini', 'inf'], pattern: SENSITIVE, explanation: 'sensitive system file' },
  { id: 'lfi-003', score: 5, needles: ['..'], pattern: '(?:^|[\\\\/=\\s])\\.\\.[\\\\/;]{1,3}[^/\\\\]{0,80}\\.(?:ini|conf|cfg|log|passwd|xml|yml|yaml|properties|php|asp|aspx|jsp|env|key|pem|db)\\b|^\\.\\.[\\\\/]{1,3}(?:\\.\\.|etc|windows|winnt|boot|proc|var|usr|root|home|\\{file\\})', explanation: 'traversal to a configuration or system file' },
  { id: 'lfi-006', score: 5, needles: ['0x2e', '..'], pattern: '(?:(?:0x2e|\\.){2}(?:0x2f|0x5c|[\\\\/])){2}|(?:\\.\\.[^a-z0-9.\\s]){3}', explanation: 'traversal with hex-spelled or unusual separators' },
  { id: 'lfi-007', score: 5, kinds: ['query', 'body', 'json', 'multipart', 'xml'], needles: ['/etc/', '/proc/', '/var/', '/boot/', '/usr/', ':\\', ':/'], pattern: '^\\s*(?:/(?:etc|proc|var/log|boot|usr/local|root)/|[a-z]:[\\\\/]+(?:windows|winnt|system32|inetpub|boot|documents and settings|users)\\b)', explanation: 'value is an absolute system path' },
  { id: 'lfi-004', score: 4, needles: ['..'], pattern: '^\\.\\.[\\\\/]|[\\\\/]\\.\\.$|^\\.\\.$', explanation: 'value climbs a directory' },
]);

/** Path traversal and local file inclusion (`lfi-*`); also reads the canonical path. */
export const lfiDetector: SignatureDetector = Object.freeze({
  id: 'lfi',
  classes: ['path-traversal'] as const,
  inspectParsed(parsed: ParsedRequest, view: RequestView, sink: FindingSink): void {
    const p = parsed.path;
    if (p.escapesRoot || (p.dotdot > 0 && p.encodedSeparators)) {
      emit(sink, 'lfi', 'lfi-010', 'path-traversal', 5, { name: 'path', norm: view.path.toLowerCase() }, 0, 'path climbs above the root');
    } else if (p.dotdot > 0 && DOTDOT_RAW_RE.test(view.path)) {
      emit(sink, 'lfi', 'lfi-011', 'path-traversal', 3, { name: 'path', norm: view.path.toLowerCase() }, 0, 'path has a .. segment');
    }
    for (const part of activeParts(parsed)) {
      if (part.plain || (partScan(part).mask & LFI_RULES[0]!.bit) === 0) continue;
      for (const rule of LFI_RULES) {
        if (sink.findings.length >= sink.max) return;
        if (runRule(sink, 'lfi', 'path-traversal', rule, part)) break;
      }
    }
  },
});

/** Remote file inclusion and dangerous URL schemes (`rfi-*`). */
export const rfiDetector: SignatureDetector = tableDetector('rfi', 'rfi', compileRules(withKinds([
  { id: 'rfi-001', score: 5, needles: ['://'], pattern: '^\\s*(?:https?|ftps?)://[^/?#\\s]{0,64}?\\b\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\b', explanation: 'URL parameter pointing at an IP address' },
  { id: 'rfi-002', score: 5, needles: ['?'], pattern: '^\\s*(?:https?|ftps?)://[^\\s]{1,2000}\\?+$', explanation: 'URL with a trailing ? (include-suffix trick)' },
  { id: 'rfi-003', score: 5, needles: ['include', 'require'], pattern: '\\b(?:include|require)(?:_once)?\\s*\\(?\\s*[\'"]?\\s*(?:https?|ftps?|php|data)://', explanation: 'include of a remote URL' },
  { id: 'rfi-004', score: 5, needles: ['php:', 'expect:', 'zip:', 'phar:', 'data:', 'glob:', 'file:', 'compress.', 'jar:', 'netdoc:'], pattern: '\\b(?:php|expect|zip|phar|glob|file|jar|netdoc|compress\\.(?:zlib|bzip2))://|\\bdata:(?://)?[a-z]{1,20}/[a-z0-9.+-]{1,40};base64,', explanation: 'stream wrapper or file URL' },
  { id: 'rfi-005', score: 5, needles: ['\\\\'], pattern: '^\\s*\\\\\\\\[a-z0-9.\\-]{1,253}\\\\', explanation: 'UNC path to a remote share' },
  { id: 'rfi-006', score: 5, needles: ['ftp://'], pattern: '^\\s*ftps?://', explanation: 'FTP URL parameter' },
])));

/** XML external entities and XInclude (`xxe-*`). Reads the raw XML body too. */
export const xxeDetector: SignatureDetector = tableDetector('xxe', 'xxe', compileRules([
  { id: 'xxe-001', score: 5, needles: ['<!entity'], pattern: '<!entity', explanation: 'XML entity declaration' },
  { id: 'xxe-002', score: 5, needles: ['<!doctype'], pattern: '<!doctype[^>\\[]{0,200}\\[', explanation: 'DOCTYPE with an internal subset' },
  { id: 'xxe-005', score: 5, needles: ['<!doctype'], pattern: '\\b(?:system|public)\\s{0,8}["\']', explanation: 'DOCTYPE with an external identifier' },
  { id: 'xxe-003', score: 5, needles: ['xi:include', 'xinclude'], pattern: 'xi:include|xmlns:xi\\s*=|/xinclude', explanation: 'XInclude' },
  { id: 'xxe-004', score: 4, needles: ['<xsl:', 'document('], pattern: 'document\\s*\\(\\s*[\'"](?:file:|https?:|/)|system-property\\s*\\(', explanation: 'XSLT file access' },
]));
