// File access detectors: path traversal and local file inclusion, remote file inclusion, XXE.

import type { RequestView } from '../../core/index.js';
import type { ParsedRequest } from '../parts.js';
import { base64Forms } from './java.js';
import { presenceTable, presentRules } from './present.js';
import { activeParts, compileRules, emit, partScan, runRule, tableDetector, withKinds, type FindingSink, type SignatureDetector, trackPattern } from '../signature.js';

const SENSITIVE = '/etc/(?:passwd|shadow|group|hosts|issue|motd|crontab|sudoers|fstab|hostname|resolv\\.conf|my\\.cnf|httpd|apache2|nginx|ssh|security|profile|environment|master\\.passwd)|/proc/(?:self|\\d{1,7})/(?:environ|cmdline|fd|maps|status|mem|exe|cwd|root)|\\b(?:boot|win|system)\\.ini\\b|windows[\\\\/]+(?:system32|win\\.ini|repair)|\\.ht(?:access|passwd)\\b|web-inf[\\\\/]|\\bweb\\.config\\b|\\bid_(?:rsa|dsa|ecdsa|ed25519)\\b|\\.ssh[\\\\/]|/var/log/|\\.bash_history|\\bc:[\\\\/]+(?:windows|winnt|boot|inetpub|users)|/root/|\\.git[\\\\/](?:config|head|index)|wp-config\\.php|/usr/local/(?:apache|etc)|\\bauthorized_keys\\b|/dev/(?:null|zero|random|urandom|stdin)\\b';

/**
 * A whole value that is an absolute Unix or Windows path (drive, `/` or `\` rooted) ending in a
 * configuration, log or shell start-up file (`/apache/logs/access.log`, `c:\xampp\apache\conf\httpd.conf`,
 * `/var/www/logs/error_log`, `/.bashrc`): what file-disclosure payload lists send. URL paths such as
 * `/account/settings` end in none of these.
 */
const ABSOLUTE_CONFIG_PATH = String.raw`^\s*(?:[a-z]:)?[\\/]{1,2}(?:[a-z0-9_. -]{1,40}[\\/]{1,2}){0,8}(?:[a-z0-9_-]{1,40}(?:\.[a-z0-9_-]{1,20})?(?:\.(?:log|conf|cnf|ini|inf|cfg|asa|dat|passwd|pwd|htaccess|htpasswd|inc|err|pid)|[._-](?:log|config))(?:\.\d{1,2})?|\.ssh[\\/](?:authorized_keys2?|known_hosts|id_[a-z0-9]{2,10})|\.(?:xauthority|bashrc|bash_profile|bash_history|bash_logout|cshrc|tcshrc|profile|forward|rhosts|shosts|netrc|login|logout|sh_history|zshrc|viminfo|mysql_history|htaccess|htpasswd))\s*$`;

/**
 * Whole values that are absolute paths under a Unix system directory (`/var/adm/aculog`, `/usr/spool/lp/log`)
 * or Windows drive paths to configuration, data or script files (`c:\xampp\phpmyadmin\config.inc`).
 * Site paths (`/home`, `/blog/post`) start with none of these directories.
 */
const SYSTEM_DIR_PATH = String.raw`^(?:\s*/(?:var|usr/(?:lib|spool|local|pkg|ports|pkgsrc|etc|adm|sbin|bin|libexec)|opt|srv|tmp|bin|sbin|private|volumes|proc|sys)/[^\s/]{1,60}(?:/[^\s/]{0,60}){1,10}\s*$|\s*(?:[a-z]:[\\/]{1,2}|\\)(?:[^\\/\n]{1,40}[\\/]{1,2}){0,8}[^\\/\s]{1,40}\.(?:inc|err|ini|inf|log|conf|cnf|cfg|dat|bak|mdb|sql|xml)\s*$)`;

/**
 * A value made of traversal fuzz (no spaces) that ends in a classic target: `etc%2%fpasswd`,
 * `..%5%cboot.ini`, `0x2e0x2e0x5cetc0x5cissue`; `e` may have been decoded into a Latin-1 byte
 * (`%2%fetc` → `%2þtc`).
 */
const TRAVERSAL_TAIL = String.raw`^(?:[^\s]{0,300}?(?:e|[\u00e0-\u00ff])tc[^\s]{1,8}?(?:passwd|shadow|issue|hosts|group)$|[^\s]{0,300}?(?:boot|[\u00e0-\u00ff]oot|win)\.ini$|[^\s]{0,300}?windows[^\s]{1,8}?system32[^\s]{0,200}$)`;

/**
 * A whole value that is a Windows drive path (or a `\`-rooted one) to a file inside a web-server stack
 * (`c:\xampp\phpmyadmin\phpinfo.php`, `c:/inetpub/logs/x.log`), PHP's session or temp directory
 * (`c:\php5\sessions\`) or a setup answer file holding credentials (`c:/unattend.txt`, `sysprep.inf`):
 * file-disclosure probes. Directories of the stack alone (`c:\xampp\mysql\data`) are not enough.
 */
const WINDOWS_SERVER_PATH = String.raw`^\s*[\\/]?(?:[a-z]:[\\/]{1,2}|\\)(?:(?:program files(?: \(x86\))?[\\/]{1,2})?(?:xampp|wamp(?:64|server)?|appserv|inetpub|filezilla(?: ?server)?)(?:[\\/]{1,2}[^\\/\n]{1,40}){0,6}[\\/]{1,2}[^\\/\n.]{1,40}(?:\.[a-z0-9_-]{1,12}){0,3}\.[a-z0-9]{2,5}|php\d?[\\/]{1,2}(?:sessions|tmp|logs?|php\.ini)[\\/]?|(?:windows[\\/]{1,2}(?:panther[\\/]{1,2})?)?unattend(?:ed)?\.(?:txt|xml)|sysprep(?:[\\/]{1,2}sysprep)?\.(?:inf|xml))\s*$`;

/** Request paths into the configuration directories/** Request paths into the configuration directories of AI coding agents and editors (`/.claude/settings.json`). */
const AGENT_CONFIG_PATH_RE = trackPattern(/\/\.(?:claude|cursor|cursorignore|junie|cline|clinerules|codex|continue|kiro|n8n|opencode|plandex|roo|rovodev|windsurf|zed|aider[a-z.]{0,20}|aiignore|github\/copilot-instructions\.md)(?:\/|$)/);

/** `/etc/passwd`, `/etc/shadow`, `etc/passwd` and BSD's `master.passwd` in base64 at any alignment (`L2V0Yy9wYXNzd2Q=`, `ZXRjL3Bhc3N3ZA==`). */
const PASSWD_B64 = ['/etc/passwd', '/etc/shadow', 'etc/passwd', 'etc/shadow', 'master.passwd'].flatMap((t) => base64Forms(Buffer.from(t)));

const DOTDOT_RAW_RE = trackPattern(/(?:^|\/)\.\.(?:\/|$)/);
/**
 * lfi-020: traversal with stray overlong lead bytes (`%c0%2e%c0%2e%c0%2f`, `..%c0%5c`): a lead byte followed by
 * ASCII decodes as Latin-1 `à`/`á` here, while a lenient decoder on the server drops it and sees `../`. Checked
 * only on values holding those letters (the needle automaton is ASCII).
 */
const OVERLONG_STEP_RE = trackPattern(/(?:[\u00e0\u00e1]\.){2}[\u00e0\u00e1]?[\\/]|\.\.[\u00e0\u00e1][\\/]/);
/**
 * lfi-021: two dots encoded twice or more in the raw query or body (`%252e%252e%252f`, `%25c0%25ae%25c0%25ae`):
 * a traversal step written to pass a filter that decodes once (the parts are decoded until stable, so only the
 * raw text shows it). Nested URLs encode `/` and `:` twice, never two dots in a row.
 */
const DOUBLE_ENCODED_DOTS_RE = trackPattern(/(?:%25(?:25){0,3}(?:2e|c0%25(?:25){0,3}ae|e0%25(?:25){0,3}80%25(?:25){0,3}ae)){2}/i);


const LFI_RULES = compileRules([
  // Also with `.` segments or doubled separators between the steps (`..\\.\\..\\`, `..//.//..//`) and Windows' `...` steps.
  { id: 'lfi-001', score: 5, needles: ['..'], pattern: String.raw`\.{2,4}[\\/;]+(?:\.[\\/;]+){0,8}\s?\.{2,4}[\\/;]`, explanation: 'repeated ../ traversal' },
  { id: 'lfi-005', score: 5, needles: ['passwd', 'shadow', 'sudoers', '/proc/', '.ini', 'web-inf', 'id_rsa', 'system32', 'c:'], pattern: '/etc/(?:passwd|shadow|master\\.passwd|sudoers)|/proc/(?:self|\\d{1,7})/(?:environ|cmdline|maps|fd)|\\b(?:boot|win)\\.ini\\b|web-inf[\\\\/]+web\\.xml|\\.htpasswd\\b|\\bid_rsa\\b|windows[\\\\/]+system32|\\bc:[\\\\/]+(?:windows|winnt|boot\\.ini)', explanation: 'well-known target file of file-disclosure attacks' },
  { id: 'lfi-007', score: 5, kinds: ['query', 'body', 'json', 'multipart', 'xml'], needles: ['/etc/', '/proc/', '/var/', '/boot/', '/usr/', '/root/', ':\\', ':/'], pattern: '^\\s*(?:/(?:etc|proc|var/log|boot|usr/local|root)/|[a-z]:[\\\\/]+(?:windows|winnt|system32|boot)\\b)', explanation: 'value is an absolute system path' },
  { id: 'lfi-008', score: 5, kinds: ['query', 'body', 'json', 'multipart', 'xml'], needles: ['.log', '_log', '-log', '.conf', '.cnf', '.ini', '.inf', '.cfg', '.asa', '.dat', 'passwd', '.pwd', '.ht', '.inc', '.err', '.pid', 'config', '/.', '\\.'], pattern: ABSOLUTE_CONFIG_PATH, explanation: 'value is an absolute path to a server configuration, log or shell file' },
  { id: 'lfi-013', score: 5, kinds: ['query', 'body', 'json', 'multipart', 'xml'], needles: ['/var/', '/usr/', '/opt/', '/srv/', '/tmp/', '/bin/', '/sbin/', '/private/', '/volumes/', '/proc/', '/sys/', ':\\', ':/'], pattern: SYSTEM_DIR_PATH, explanation: 'value is an absolute path into a system directory or to a server file' },
  { id: 'lfi-016', score: 5, needles: PASSWD_B64, pattern: PASSWD_B64.join('|'), explanation: 'base64 of /etc/passwd, /etc/shadow or master.passwd (encoded file path)' },
  { id: 'lfi-015', score: 5, needles: ['li4vli4v', 'li5cli5c', 'li4vli5c', 'li5cli4v'], pattern: '(?:li4v|li5c){2}', explanation: 'base64 of ../../ (encoded traversal)' },
  { id: 'lfi-014', score: 5, needles: ['passwd', 'shadow', 'issue', 'hosts', 'group', '.ini', 'system32'], pattern: TRAVERSAL_TAIL, explanation: 'traversal fuzz ending in a classic target file' },
  { id: 'lfi-009', score: 5, needles: ['convert.', 'string.rot13', 'string.strip_tags', 'zlib.'], pattern: String.raw`\bconvert\.(?:iconv\.[a-z0-9_:-]{1,30}\.[a-z0-9_:-]{1,30}|base64-(?:en|de)code|quoted-printable-(?:en|de)code)\b|\bstring\.(?:rot13|strip_tags)\b|\bzlib\.(?:deflate|inflate)\b`, explanation: 'PHP stream filter (filter chain for file disclosure or code execution)' },
  { id: 'lfi-002', score: 4, needles: ['/', '\\', 'ini', 'inf'], pattern: SENSITIVE, explanation: 'sensitive system file' },
  { id: 'lfi-003', score: 5, needles: ['..'], pattern: '(?:^|[\\\\/=\\s])\\.\\.[\\\\/;]{1,3}[^/\\\\]{0,80}\\.(?:ini|conf|cfg|log|passwd|xml|yml|yaml|properties|php|asp|aspx|jsp|env|key|pem|db)\\b|^\\.\\.[\\\\/]{1,3}(?:\\.\\.|etc|windows|winnt|boot|proc|var|usr|root|home|\\{file\\})', explanation: 'traversal to a configuration or system file' },
  { id: 'lfi-006', score: 5, needles: ['0x2e', '..'], pattern: '(?:(?:0x2e|\\.){2}(?:0x2f|0x5c|[\\\\/])){2}|(?:\\.\\.[^a-z0-9.\\s]){3}|(?:\\.\\.(?:%?2%?f|%?5%?c)){2}|^\\.\\.(?:2f|5c)[a-z]{2}|(?:0x2e){2}0x(?:2f|5c)|\\.\\.0x(?:2f|5c)|[\\\\/](?:0x2e){2}[\\\\/]', explanation: 'traversal with hex-spelled, half-decoded or unusual separators' },
  { id: 'lfi-017', score: 5, needles: ['..', '.\\.\\', './././'], pattern: String.raw`\.\.[\u2215\u2216\u2044\u29f8\u29f5\u2571\u2572\uefc8\uf025]|(?:\.[\\/]){8}|\.\.;[\\/]`, explanation: 'traversal step with a look-alike slash (..\u2215, ..\u2216, IIS %uEFC8), Tomcat ..;/ or a long run of ./ segments' },
  { id: 'lfi-019', score: 5, needles: ['{file}'], pattern: String.raw`^\s*(?=[^{]{0,300}(?:\.\.|0x2e0x2e|[\u00e0\u00e1]\.))(?:[./\\;\u00e0\u00e1]|0x2e|0x2f|0x5c){2,300}\{file\}\s*$`, explanation: 'traversal fuzz template: only traversal steps before a {FILE} template slot' },
  { id: 'lfi-018', score: 5, kinds: ['query', 'body', 'json', 'xml'], needles: ['xampp', 'wamp', 'appserv', 'inetpub', 'filezilla', 'php', 'unattend', 'sysprep'], pattern: WINDOWS_SERVER_PATH, explanation: 'value is a Windows path into a web-server stack or setup answer file (c:\\xampp\\…, c:/php5/sessions, c:/unattend.txt)' },
  { id: 'lfi-022', score: 5, needles: ['/..', '\\..'], pattern: String.raw`^\s?\.?(?:[\\/]\.?){0,8}[\\/]\.{2,4}[\\/]{0,3}\s?$`, explanation: 'value is a root-anchored parent step (/../, /.../, /..\\\\, also after ./ and doubled separators: /.//..//): it climbs above the root it names' },
  { id: 'lfi-023', score: 5, needles: ['////////'], pattern: String.raw`^\s?/{64}`, explanation: 'value opens with a flood of 64+ slashes (long-slash directory-listing and path-normalization probes)' },
  { id: 'lfi-004', score: 4, needles: ['..'], pattern: '^\\.\\.[\\\\/]|[\\\\/]\\.\\.$|^\\.\\.$', explanation: 'value climbs a directory' },
]);

const LFI_TABLE = presenceTable(LFI_RULES);

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
    for (const [name, raw] of [['query', view.query], ['body', view.body]] as const) {
      if (raw.indexOf('%25') < 0) continue;
      const m = DOUBLE_ENCODED_DOTS_RE.exec(raw.length > 8192 ? raw.slice(0, 8192) : raw);
      if (m) { emit(sink, 'lfi', 'lfi-021', 'path-traversal', 5, { name, norm: raw.toLowerCase() }, m.index, 'two dots encoded twice or more (%252e%252e): a traversal step hidden from a filter that decodes once'); break; }
    }
    if (AGENT_CONFIG_PATH_RE.test(p.path)) emit(sink, 'lfi', 'lfi-012', 'path-traversal', 5, { name: 'path', norm: p.path }, 0, 'path into an AI agent or editor configuration directory');
    for (const part of activeParts(parsed)) {
      if (part.plain || (partScan(part).mask & LFI_RULES[0]!.bit) === 0) continue;
      // The whole XML body's text and attribute values are parts of their own: its 4-point notices would count twice.
      const xmlDoc = part.kind === 'xml' && part.name === 'body:xml';
      let fired = false;
      const bits = presentRules(LFI_TABLE, part);
      for (let r = 0; bits >>> r !== 0 && r < LFI_RULES.length; r++) {
        if ((bits & (1 << r)) === 0) continue;
        if (sink.findings.length >= sink.max) return;
        const rule = LFI_RULES[r]!;
        if (!(xmlDoc && rule.score < 5) && runRule(sink, 'lfi', 'path-traversal', rule, part)) { fired = true; break; }
      }
      if (!fired && !xmlDoc && (part.norm.indexOf('\u00e0') >= 0 || part.norm.indexOf('\u00e1') >= 0)) {
        const m = OVERLONG_STEP_RE.exec(part.norm);
        if (m) { emit(sink, 'lfi', 'lfi-020', 'path-traversal', 5, part, m.index, 'traversal with stray overlong lead bytes (%c0%2e%c0%2e%c0%2f, ..%c0%5c)'); fired = true; }
      }

    }
  },
});

/** Remote file inclusion and dangerous URL schemes (`rfi-*`). */
export const rfiDetector: SignatureDetector = tableDetector('rfi', 'rfi', compileRules(withKinds([
  { id: 'rfi-001', score: 5, needles: ['://'], pattern: '^\\s*(?:https?|ftps?)://[^/?#\\s]{0,64}?(?:\\b\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\b|\\[[0-9a-f:.]{2,45}\\])', explanation: 'URL parameter pointing at an IP address' },
  // Not an image, style sheet or script (`…/htw-pixel.gif?`) and no query before the `?` (`…;ord=123?`): ad-tech callbacks end that way.
  { id: 'rfi-002', score: 5, needles: ['?'], pattern: '^\\s*(?:https?|ftps?)://[^\\s?;&]{1,2000}(?<!\\.(?:gif|png|jpe?g|webp|svg|ico|css|js|woff2?))\\?+$', explanation: 'URL with a trailing ? (include-suffix trick)' },
  { id: 'rfi-003', score: 5, needles: ['include', 'require'], pattern: '\\b(?:include|require)(?:_once)?\\s*\\(?\\s*[\'"]?\\s*(?:https?|ftps?|php|data)://', explanation: 'include of a remote URL' },
  { id: 'rfi-004', score: 5, needles: ['php:', 'expect:', 'zip:', 'phar:', 'data:', 'glob:', 'file:', 'compress.', 'jar:', 'netdoc:', 'ssh2.', 'rar:', 'ogg:', 'local_file:'], pattern: '\\b(?:php|expect|zip|phar|glob|file|local_file|jar|netdoc|rar|ogg|ssh2\\.(?:shell|exec|tunnel|sftp|scp)|compress\\.(?:zlib|bzip2))://|\\bjar:(?:https?|file|ftp):|\\bdata:(?://)?(?!(?:image|audio|video|font)/)[a-z]{1,20}/[a-z0-9.+-]{1,40};base64,', explanation: 'stream wrapper or file URL' },
  { id: 'rfi-007', score: 5, needles: ['res://', 'fuzzdb', 'payloadsallthethings', 'seclists'], pattern: String.raw`\bres://[^\n]{1,200}?\.(?:dll|exe|ocx|cpl|mui|sys)\b|^\s?https?://raw\.githubusercontent\.com/[^/\s]{1,40}/(?:fuzzdb|payloadsallthethings|seclists)/[^\s]{1,300}$`, explanation: 'local resource URL into a Windows binary (res://…dll/#2/#210), or a raw payload file of an attack-list repository as the value (remote inclusion probe)' },
  { id: 'rfi-005', score: 5, needles: ['\\\\'], pattern: '^\\s*\\\\\\\\[a-z0-9.\\-]{1,253}\\\\', explanation: 'UNC path to a remote share' },
  { id: 'rfi-006', score: 5, needles: ['ftp://'], pattern: '^\\s*ftps?://', explanation: 'FTP URL parameter' },
])));

/** XML external entities and XInclude (`xxe-*`). Reads the raw XML body too. */
export const xxeDetector: SignatureDetector = tableDetector('xxe', 'xxe', compileRules([
  { id: 'xxe-001', score: 5, needles: ['<!entity'], pattern: '<!entity', explanation: 'XML entity declaration' },
  { id: 'xxe-002', score: 5, needles: ['<!doctype'], pattern: '<!doctype[^>\\[]{0,200}\\[', explanation: 'DOCTYPE with an internal subset' },
  { id: 'xxe-005', score: 5, needles: ['<!doctype'], pattern: '\\b(?:system|public)\\s{0,8}["\']', explanation: 'DOCTYPE with an external identifier' },
  { id: 'xxe-003', score: 5, needles: ['xi:include', 'xinclude'], pattern: 'xi:include|xmlns:xi\\s*=|/xinclude', explanation: 'XInclude' },
  { id: 'xxe-006', score: 5, needles: ['#required', '#implied', '#fixed', '<!attlist'], pattern: String.raw`\b(?:cdata|id|idref|idrefs|nmtoken|nmtokens|entity|entities)\s#(?:required|implied|fixed)\b[^<]{0,40}>\s?\]\s?>|<!attlist\s[a-z_:]`, explanation: 'DTD attribute-list declaration in a value (<!ATTLIST img …), or one closing an internal subset (id ID #REQUIRED>]>): a DOCTYPE fragment injected into XML' },
  { id: 'xxe-007', score: 5, needles: ['arraytype'], pattern: String.raw`arraytype\s?=\s?["'][a-z0-9_:-]{1,40}\[\s?\d{5,}\s?\]`, explanation: 'SOAP array declaring a huge size (arrayType="xsd:string[100000]"): memory exhaustion' },
  { id: 'xxe-004', score: 4, needles: ['<xsl:', 'document('], pattern: 'document\\s*\\(\\s*[\'"](?:file:|https?:|/)|system-property\\s*\\(', explanation: 'XSLT file access' },
]));
