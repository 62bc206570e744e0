// Code and command injection detectors: shell commands, PHP, Java/OGNL, template engines, SSI, JS/Node.

import type { RequestView } from '../../core/index.js';
import type { ParsedRequest } from '../parts.js';
import { compileRules, tableDetector, type FindingSink, type SignatureDetector, trackPattern } from '../signature.js';

export { javaDetector } from './java.js';

/** A value that is itself a script (starts with `#!`) is content, not an injection. */
const SHEBANG_RE = trackPattern(/^\s*#!\s*\//);

const SHELL_CMDS = 'pwd|env|uptime|lsof|nmap|whoami|uname|wget|curl|nc|ncat|netcat|bash|sh|zsh|ksh|csh|ping|nslookup|sleep|python[23]?|perl|php|ruby|powershell|pwsh|cmd|ipconfig|ifconfig|systeminfo|tasklist|certutil|bitsadmin|mshta|rundll32|wmic|telnet|id|ls|cat|rm|chmod|echo|dir|nohup|socat|xterm|busybox|tftp|passwd|useradd|crontab|killall|pkill|ps|netstat|printenv|base64|xxd|hostname|grep|awk|sed|mkdir|chown|eval|exec|sudo|tac|ssh|scp|wget|sendmail|schtasks|vssadmin|icacls|net\\s+(?:user|localgroup|view|use)|type\\s+[a-z]:|ifconfig|uname';

/** Whole-value commands: letters-and-digits values too (`whoami`, `which wget`), so a table that reads plain values. */
const reconDetector = tableDetector('cmdi', 'cmdi', compileRules([
  { id: 'cmdi-007', score: 5, needles: ['uname', 'whoami', 'ifconfig', 'ipconfig', 'netstat', 'ps ', 'systeminfo', 'tasklist', 'net ', 'netsh', 'which ', 'perl', 'ruby', 'python', 'php', 'sleep', 'cat /'],
    pattern: '^\\s?(?:uname\\s-[a-z]{1,4}|whoami(?:\\s?/[a-z]{1,10})?|ifconfig(?:\\s-a)?|ipconfig(?:\\s?/[a-z]{1,10})?|netstat\\s-[a-z]{1,6}|ps\\s-?(?:aux|ef)|systeminfo|tasklist(?:\\s?/[a-z]{1,4})?|net\\s(?:user|view|localgroup|share|session)\\b[^\\n]{0,40}|netsh\\s[a-z]{3,20}\\b[^\\n]{0,60}|which\\s(?:nc|ncat|netcat|wget|curl|perl|python[23]?|bash|sh|gcc|php|ruby|nmap|socat|telnet)|(?:perl|ruby)\\s-e\\s[^\\n]{1,200}|python[23]?\\s-c\\s[^\\n]{1,200}|php\\s-r\\s[^\\n]{1,200}|sleep\\s\\d{1,3}|cat\\s/etc/[a-z0-9._-]{1,30})\\s?$', explanation: 'value is a reconnaissance or interpreter command' },
]), undefined, false, true);

/** Shell command injection (`cmdi-*`). Rules read normalized values, where whitespace runs are one space (`\s?`). */
const shellDetector = tableDetector('cmdi', 'cmdi', compileRules([
  { id: 'cmdi-006', score: 5, needles: ['\r', '\n'], raw: true, flags: 'i', pattern: `^[\\r\\n]\\s*(?:${SHELL_CMDS})(?:$|[\\s;|&<>])`, explanation: 'newline followed by a command' },
  { id: 'cmdi-008', score: 5, needles: ['\r', '\n'], raw: true, flags: 'i', pattern: '^(?:[^\\s@]{1,64}@[^\\s]{1,255})?[\\r\\n]\\s*(?:ehlo|helo|quit|retr|list|apop|user|pass|mail\\s+from|rcpt\\s+to|data|stat|dele|capa|noop|rset|vrfy|expn|uidl|starttls)\\b', explanation: 'line break followed by a mail protocol command (SMTP/POP3 injection)' },
  { id: 'cmdi-001', score: 5, needles: [';', '|', '&', '`', '$(', '\n'], pattern: `(?:[;|&\\n]|\\$\\()\\s?(?:\\{\\s?)?(?:sudo\\s+)?(?:/(?:usr/)?(?:local/)?s?bin/)?(?:${SHELL_CMDS})(?:\\.exe)?(?:$|[\\s;|&<>'"\`)(}]|\\$\\{?ifs)`, explanation: 'shell separator followed by a command' },
  { id: 'cmdi-002', score: 5, needles: ['$(', '`'], pattern: '(?:\\$\\(|`)\\s*(?:(?:whoami|id|uname|cat|ls|wget|curl|sleep|ping|nslookup|echo|bash|sh|pwd|hostname)\\b)', explanation: 'command substitution' },
  { id: 'cmdi-003', score: 5, needles: ['ifs', '/bin/', '/dev/tcp', '/dev/udp', 'cmd', 'powershell', 'nc ', 'bash -', '{cat,', '{ls,', '/usr/bin'], pattern: '\\$\\{?ifs|/(?:usr/)?bin/(?:ba|z|k|c|tc|da)?sh\\b|/dev/(?:tcp|udp)/|\\bnc(?:at)?\\s+(?:-[a-z]{1,4}\\s+){0,3}-[el]\\b|\\bbash\\s+-[ci]\\b|\\bcmd(?:\\.exe)?\\s*/[ck]\\b|\\bpowershell(?:\\.exe)?\\s+-(?:e|enc|c|command|nop|w|exec)|\\{(?:cat|ls|id|wget|curl|echo),|/usr/bin/(?:id|whoami|wget|curl|perl|python|env)\\b', explanation: 'shell-specific construct' },
  { id: 'cmdi-004', score: 5, needles: ['for', 'if', '%comspec', '%systemroot', 'exist'], pattern: '\\bfor\\s+/[fdlr]\\s|\\bif\\s+(?:/i\\s+)?(?:not\\s+)?exist\\s|%(?:comspec|systemroot|windir|programfiles|userprofile)%', explanation: 'Windows shell construct' },
  { id: 'cmdi-005', score: 5, needles: ['etc/pa', 'etc/sh', 'ping', 'sleep'], pattern: '(?:^|[;|&`\\n]|\\$\\()\\s?(?:cat|more|less|head|tail|nl|tac)\\s+[^;|&]{0,40}/etc/|\\bping\\s+-[nc]\\s*\\d|\\bsleep\\s+\\d{1,3}\\s*(?:$|[;|&`#])', explanation: 'command with attack-typical arguments' },
]), SHEBANG_RE);

/** Shell command injection (`cmdi-*`): separators and substitutions, shell constructs, whole-value commands. */
export const cmdiDetector: SignatureDetector = Object.freeze({
  id: 'cmdi',
  classes: ['cmdi'] as const,
  inspectParsed(parsed: ParsedRequest, view: RequestView, sink: FindingSink): void {
    shellDetector.inspectParsed(parsed, view, sink);
    reconDetector.inspectParsed(parsed, view, sink);
  },
});

/** PHP code injection (`php-*`); reported as class cmdi. */
export const phpDetector: SignatureDetector = tableDetector('php', 'cmdi', compileRules([
  { id: 'php-001', score: 5, needles: ['<?'], pattern: '<\\?(?:php\\b|=)', explanation: 'PHP open tag' },
  { id: 'php-002', score: 5, needles: ['exec', 'passthru', 'popen', 'proc_open', 'phpinfo', 'system', 'assert', 'create_function', 'gzinflate', 'str_rot13', 'base64_decode', 'call_user_func', 'file_put_contents', 'file_get_contents', 'fopen', 'readfile', 'show_source', 'highlight_file', 'move_uploaded', 'unserialize', 'include', 'require', 'preg_replace'], pattern: '\\b(?:shell_exec|passthru|popen|proc_open|pcntl_exec|phpinfo|system|assert|create_function|gzinflate|gzuncompress|str_rot13|base64_decode|call_user_func(?:_array)?|file_put_contents|file_get_contents|fopen|readfile|show_source|highlight_file|move_uploaded_file|unserialize|(?:include|require)(?:_once)?|preg_replace|exec)\\s*\\(', explanation: 'PHP function call' },
  { id: 'php-003', score: 5, needles: ['$_'], pattern: '\\$_(?:get|post|request|cookie|server|files|env|session)\\b', explanation: 'PHP superglobal' },
  { id: 'php-004', score: 5, needles: ['o:', 'a:'], pattern: '\\bo:\\d{1,4}:"[a-z0-9_\\\\]{1,100}":\\d{1,4}:\\{', explanation: 'PHP serialized object' },
  { id: 'php-005', score: 4, needles: ['[php]', '[/php]', '(string)', '"."', "'.'"], pattern: '\\[/?php\\]|\\(\\s*string\\s*\\)\\s*["\']|["\']\\s*\\.\\s*["\'][a-z]{1,8}["\']\\s*\\.\\s*["\']', explanation: 'PHP obfuscation' },
]));

/** Server-side template injection (`ssti-*`). */
export const sstiDetector: SignatureDetector = tableDetector('ssti', 'ssti', compileRules([
  { id: 'ssti-001', score: 5, needles: ['{{', '${', '#{', '<%', '@(', '*{', '{%'], pattern: '(?:\\{\\{|\\$\\{|#\\{|<%=?|@\\(|\\*\\{|\\{%)\\s*[\'"]?\\d{1,8}[\'"]?\\s*[*+/-]\\s*[\'"]?\\d{1,8}', explanation: 'template expression with arithmetic' },
  { id: 'ssti-002', score: 5, needles: ['__'], pattern: '__(?:class|mro|subclasses|globals|builtins|init|import|base|bases|dict|getattribute|reduce)__', explanation: 'Python dunder chain' },
  { id: 'ssti-003', score: 5, needles: ['{{', '{%'], pattern: '(?:\\{\\{|\\{%)[^}]{0,120}(?:popen|os\\.|subprocess|system\\s*\\(|exec\\s*\\(|eval\\s*\\(|import\\s*\\(|getattr|\\|attr\\s*\\(|config\\.items|self\\._|request\\.application|lipsum|cycler|joiner|url_for\\.|get_flashed_messages|range\\.constructor)', explanation: 'template expression reaching code execution' },
  { id: 'ssti-004', score: 5, needles: ['${', '*{', '#{'], pattern: '[$*#]\\{[^}]{0,120}(?:runtime|exec\\s*\\(|getclass|classloader|freemarker|new\\s*\\(\\s*\\)|\\bt\\s*\\(\\s*java|product\\.|request\\.|session\\.|application\\.|\\.forname)', explanation: 'EL/Spring/Freemarker expression' },
  { id: 'ssti-005', score: 5, needles: ['<#assign', '#set', '{php}', '$smarty', '{{=', '#foreach', '$class.', '{system', '{exec'], pattern: '<#assign|#set\\s*\\(\\s*\\$|\\{/?php\\}|\\{\\$smarty|\\{\\{=|#foreach\\s*\\(|\\$class\\.inspect|\\{(?:system|exec|passthru)\\s*\\(', explanation: 'template engine directive' },
]));

/** Server-side includes (`ssi-*`); reported as class cmdi. */
export const ssiDetector: SignatureDetector = tableDetector('ssi', 'cmdi', compileRules([
  { id: 'ssi-001', score: 5, needles: ['<!--'], pattern: '<!--\\s*#\\s*(?:exec|include|echo|config|printenv|set|fsize|flastmod|if|elif|else|endif)\\b', explanation: 'server-side include directive' },
]));

/** JavaScript/Node.js code injection (`code-*`); reported as class cmdi. */
export const codeDetector: SignatureDetector = tableDetector('code', 'cmdi', compileRules([
  { id: 'code-001', score: 5, needles: ['child_process', 'mainmodule', 'process.', 'require'], pattern: 'child_process|process\\s*\\.\\s*(?:mainmodule|binding|dlopen|kill|exit)|require\\s*\\(\\s*[\'"](?:child_process|fs|net|vm|os)[\'"]', explanation: 'Node.js module or process access' },
  { id: 'code-002', score: 5, needles: ['while', 'for', 'function', 'eval'], pattern: '\\bwhile\\s*\\(\\s*(?:true|1|infinity|!0)\\s*\\)|\\bfor\\s*\\(\\s*;\\s*;\\s*\\)|\\beval\\s*\\(\\s*(?:string\\.fromcharcode|atob|unescape|decodeuricomponent|function|["\'])', explanation: 'JS infinite loop or eval of constructed code' },
  { id: 'code-003', score: 3, needles: ['eval', 'function'], pattern: '\\beval\\s*\\(|\\bnew\\s+function\\s*\\(', explanation: 'JS eval or Function constructor' },
]));
