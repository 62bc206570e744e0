// Code and command injection detectors: shell commands, PHP, Java/OGNL, template engines, SSI, JS/Node.

import type { RequestView } from '../../core/index.js';
import type { ParsedRequest } from '../parts.js';
import { addGateNeedles, allocateBit, compileRules, emit, gatedValues, tableDetector, type FindingSink, type SignatureDetector, trackPattern } from '../signature.js';

export { javaDetector } from './java.js';
import { base64Forms } from './java.js';

/** node-serialize's function marker and `require("child_process")` in base64, at any alignment. */
const NODE_B64 = ['_$$ND_FUNC$$_', 'child_process', 'require("child'].flatMap((t) => base64Forms(Buffer.from(t)));

/** A value that is itself a script (starts with `#!`) is content, not an injection. */
const SHEBANG_RE = trackPattern(/^\s*#!\s*\//);

/** Unambiguous command names (no English word among them) that payload lists put after a separator. */
const EXTRA_CMDS = String.raw`lastlog|sysinfo|netsh|visudo|ssh-copy-id|ssh-keygen|ansible(?:-[a-z]{3,12})?|chef-[a-z]{3,8}|cscli|cpulimit|strace|ltrace|base32|rmt(?:-tar|-dump)?|pip[23x]?|gcc|c89|c99|aptitude|apt-get|yum|traceroute|tracert|whois|iptables|getent|tcpdump|smbclient|bcdedit|bcdboot|wevtutil|fsutil|diskpart|takeown|reg\s(?:add|query|delete|save|export|import)|sc\s(?:query|create|config|start|stop|delete)|htop|cp|mv|lastlogin|uconv|irb|zstdcat|zcat|bzcat|xzcat|unxz|gunzip|bsdtar|gdb|regedit|iwr|perf|rmt`;

const SHELL_CMDS = 'pwd|env|uptime|lsof|nmap|whoami|uname|wget|curl|nc|ncat|netcat|bash|sh|zsh|ksh|csh|ping|nslookup|sleep|python[23]?|perl|php|ruby|powershell|pwsh|cmd|ipconfig|ifconfig|systeminfo|tasklist|certutil|bitsadmin|mshta|rundll32|wmic|telnet|id|ls|cat|rm|chmod|echo|dir|nohup|socat|xterm|busybox|tftp|passwd|useradd|crontab|killall|pkill|ps|netstat|printenv|base64|xxd|hostname|grep|awk|sed|mkdir|chown|eval|exec|sudo|tac|ssh|scp|wget|sendmail|schtasks|vssadmin|icacls|net\\s+(?:user|localgroup|view|use)|type\\s+[a-z]:|ifconfig|uname|' + EXTRA_CMDS;

/** Windows batch `FOR %x IN (…)` loops and `IF` conditions (`IF ERRORLEVEL 1`, `IF %X% GTR 2 …`, `IF a==b GOTO`). */
const BATCH = String.raw`\bfor\s+%{1,2}(?:[^\s]{1,2}|[a-z_]{3,20})\s+in\s+\(|\bif\s+(?:/i\s+)?(?:not\s+)?(?:errorlevel\s+\d|cmdextversion\s+\d|defined\s+[a-z_][a-z0-9_]{0,29}\s+(?:\(|(?:echo|goto|call|set|cmd|start|exit)\b)|\(\s?[^()\s]{1,20}\s?\)\s(?:equ|neq|lss|leq|gtr|geq)\s\(\s?[^()\s]{1,20}\s?\)\s+(?:echo|goto|call|set|cmd)\b|exist\s+[^\s]{1,60}\s+(?:echo|goto|call|set|cmd|start|exit|del|copy)\b|"?%[a-z_0-9]{1,30}%"?\s+(?:equ|neq|lss|leq|gtr|geq)\s|(?:"[^"]{0,30}"|\[[^\]\s]{0,20}\])\s?(?:==|\s(?:equ|neq|lss|leq|gtr|geq)\s)\s?(?:"[^"]{0,30}"|\[[^\]\s]{0,20}\])\s+\(?\s?(?:echo|goto|call|set|cmd)\b|[^\s]{1,30}==[^\s]{1,30}\s+(?:goto|echo|call|set|cmd)\b)|\b\d{1,6}\s+(?:equ|neq|lss|leq|gtr|geq)\s+\d{1,6}\s+echo\b`;

/** A command or path whose letters are spelled by shell wildcards (`/bin/ca? /e?c/passwd`, `cat /[?]tc/pa[?]swd`). */
const GLOB_CMD = String.raw`(?:^|[\s;|&])(?:/?(?:usr/)?s?bin/)?(?:[a-z]{0,6}(?:\?|\*|\[[a-z?]{1,4}\])[a-z?*]{0,6}|cat|more|less|head|tail|nl|tac|od|xxd|strings|ls)[\s+]{1,4}/(?=[^\s]{0,40}[?*\[])[a-z?*\[\]]{1,10}/[a-z?*\[\]]{2,14}`;

/**
 * More whole-value commands: downloads (`curl https://…`), shell aliases (`alias a=id`), directory listings
 * of absolute paths, `cd /;…` chains, configuration-management and admin tools, compiler wrappers.
 */
const WHOLE_VALUE_CMDS = String.raw`(?:curl|wget)\s[^\n]{0,120}?(?:https?|ftp)://[^\s]{1,300}|alias\s(?:-[a-z]{1,4}\s)*['"]?[a-z0-9_]{1,20}['"]?=[^\n]{1,200}|(?:ls|ll|dir)\s(?:-[a-z]{1,6}\s)?/[a-z][^\s]{0,200}|;?\s?cd\s/\s?;[^\n]{0,200}|visudo|lastlog\s-u\s[a-z0-9_]{1,32}|cscli\s[a-z]{2,20}[^\n]{0,80}|ansible-(?:playbook|pull|inventory|galaxy|doc|console|config|vault|test|lint|runner|connection)(?:\s[^\n]{0,120})?|ansible\s(?:all|localhost|-[a-z])[^\n]{0,120}|chef-(?:shell|run|client|vault|solo|apply|zero)(?:\s[^\n]{0,120})?|chef\s(?:report|client|run|shell|vault|solo|exec)(?:\s[^\n]{0,120})?|ssh-copy-id\s[^\n]{1,120}|aa-disable\s[^\s]{1,60}|[a-z0-9]{2,10}\s-wrapper\s(?:ba)?sh,-c,[^\n]{1,200}|reg\s(?:add|query|delete|save|export|import)\s"?hk(?:lm|cu|cr|u|cc|ey_)[^\n]{0,200}|/?(?:usr/)?(?:local/)?s?bin/(?:${SHELL_CMDS})|(?:/(?:usr/)?s?bin/)?(?:zstdcat|zcat|bzcat|xzcat|zless|zmore|zgrep|gunzip|unxz|unzstd|bunzip2)\s(?:-[a-z]{1,4}\s)?[^\s]{1,200}|cat\s(?:-[a-z]{1,3}\s)?/[a-z0-9._-]{1,40}(?:/[a-z0-9._-]{1,60}){1,8}|dir\s[a-z]:\\[^\s]{0,200}`;

/** Whole-value commands: letters-and-digits values too (`whoami`, `which wget`), so a table that reads plain values. */
const reconDetector = tableDetector('cmdi', 'cmdi', compileRules([
  { id: 'cmdi-007', score: 5, needles: ['uname', 'whoami', 'ifconfig', 'ipconfig', 'netstat', 'ps ', 'systeminfo', 'tasklist', 'net ', 'netsh', 'which ', 'perl', 'ruby', 'python', 'php', 'sleep', 'cat /', 'curl ', 'wget ', 'alias ', 'ls ', 'll ', 'dir ', 'cd /', 'visudo', 'lastlog', 'cscli', 'ansible', 'chef', 'ssh-copy-id', 'aa-disable', '-wrapper', 'reg ', 'bin/', 'zstdcat', 'zcat', 'bzcat', 'xzcat', 'zless', 'zmore', 'zgrep', 'gunzip', 'unxz', 'unzstd', 'bunzip2', 'dir '],
    pattern: '^\\s?[\'"]?(?:uname\\s-[a-z]{1,4}|whoami(?:\\s?/[a-z]{1,10})?|ifconfig(?:\\s-a)?|ipconfig(?:\\s?/[a-z]{1,10})?|netstat\\s-[a-z]{1,6}|ps\\s-?(?:aux|ef)|systeminfo|tasklist(?:\\s?/[a-z]{1,4})?|net\\s(?:user|view|localgroup|share|session)\\b[^\\n]{0,40}|netsh\\s[a-z]{3,20}\\b[^\\n]{0,60}|which\\s(?:nc|ncat|netcat|wget|curl|perl|python[23]?|bash|sh|gcc|php|ruby|nmap|socat|telnet)|(?:perl|ruby)\\s-e\\s[^\\n]{1,200}|python[23]?\\s-c\\s[^\\n]{1,200}|php\\s-r\\s[^\\n]{1,200}|sleep\\s\\d{1,3}|cat\\s/etc/[a-z0-9._-]{1,30}|' + WHOLE_VALUE_CMDS + ')\\s?[|&;]{0,2}\\s?$', explanation: 'value is a reconnaissance or interpreter command' },
  { id: 'cmdi-013', score: 5, needles: ['for %', 'errorlevel', 'cmdextversion', 'defined ', 'exist ', '==', ' equ ', ' neq ', ' lss ', ' leq ', ' gtr ', ' geq '], pattern: BATCH, explanation: 'Windows batch FOR loop or IF condition' },
  { id: 'cmdi-014', score: 5, needles: ['? /', '?+/', '* /', '*+/', '] /', ']+/', 'cat /', 'cat+/', 'ls /', 'ls+/', 'more /', 'less /', 'head /', 'tail /', 'nl /', 'tac /', 'od /', 'xxd /', 'strings /'], pattern: GLOB_CMD, explanation: 'command with wildcard-spelled names or paths (/bin/ca? /e?c/passwd)' },
]), undefined, false, true);


/** Short English-word commands count only right after a separator that opens the value (`;who`, `|top`); a quote breakout or a literal `\n` before a command (`' whoami`). */
const LEADING_SEP_CMDS = String.raw`^(?:\s?(?:[;|\x60]|&&?|\|\|)\s?(?:who|w|top|date|time|last|trap|fold|column|comm|kill|free|df|du|set|export|alias|history|uptime|users|groups|finger|arch|lscpu|lsblk|mount|dmesg|locale)(?:$|\s)|\s?['"]\s?(?:whoami|uname|ifconfig|ipconfig|netstat|systeminfo|tasklist|nslookup|ping|wget|curl|nc|bash|sh|powershell|cmd|id|sleep)(?:$|\s)|['"]?\\[nr](?:/(?:usr/)?s?bin/)?(?:echo|exit|curl|wget|sleep|id|whoami|uname|cat|ls)\b|\\(?:ls|id|cat|whoami|uname|wget|curl|nc|bash|sh|pwd|ps|env)$)`;

/** Command wrappers (`time`, `nohup`, `strace`, `flock -u /`, `cpulimit -l 100 -f`) opening a value (after a breakout quote too), followed by a command. */
const WRAPPED_CMD = String.raw`^\s?['"]?(?:[;|&]{1,2}\s?)?(?:time|nohup|strace|ltrace|timeout\s\d{1,4}|nice(?:\s-n\s?-?\d{1,2})?|flock\s(?:-[a-z]{1,2}\s)?[^\s]{1,40}|cpulimit\s-l\s\d{1,4}\s-f|setsid|xargs|unbuffer|doas|sudo)\s(?:who|sh\s-c|`;

/**
 * Shell command injection (`cmdi-*`). Rules read normalized values, where whitespace runs are one space (`\s?`).
 * cmdi-001 does not take a command that closes a User-Agent comment before a product token: Opera's
 * `(…; U; id) Presto/2.8` names the Indonesian locale, and a shell would stop at that `)` anyway.
 */
const shellDetector = tableDetector('cmdi', 'cmdi', compileRules([
  { id: 'cmdi-006', score: 5, needles: ['\r', '\n'], raw: true, flags: 'i', pattern: `^['"]?[\\r\\n](?=([\\s+]*))\\1(?:/(?:usr/)?s?bin/)?(?:${SHELL_CMDS})(?:$|[\\s+;|&<>'"])`, explanation: 'newline followed by a command' },
  { id: 'cmdi-024', score: 5, needles: ['\r', '\n'], raw: true, flags: 'i', pattern: `^\\s?['"]?(?:\\d{1,3}(?:\\.\\d{1,3}){3}|\\[?[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}\\]?|localhost)['"]?[\\r\\n](?=([\\s+]*))\\1(?:/(?:usr/)?s?bin/)?(?:${SHELL_CMDS})(?:$|[\\s+;|&<>'"])`, explanation: 'IP address, then a line break and a command (ping 127.0.0.1⏎id)' },
  { id: 'cmdi-008', score: 5, needles: ['\r', '\n'], raw: true, flags: 'i', pattern: '^(?:[^\\s@]{1,64}@[^\\s]{1,255})?[\\r\\n]\\s*(?:ehlo|helo|quit|retr|list|apop|user|pass|mail\\s+from|rcpt\\s+to|data|stat|dele|capa|noop|rset|vrfy|expn|uidl|starttls)\\b|^[\\r\\n]\\s*auth\\s+(?:(?:plain|login|cram-md5|digest-md5|xoauth2|ntlm|gssapi)\\b|[a-z0-9_-]{2,20}\\s+[a-z0-9+/]{8,}={0,2}\\s*$)|^[\\r\\n]+[a-z]\\d{1,4}\\s+(?:login|authenticate|select|examine|create|delete|rename|subscribe|unsubscribe|list|lsub|status|append|check|close|expunge|search|fetch|store|copy|uid|capability|logout|starttls|idle|quit|noop|namespace|enable)\\b', explanation: 'line break followed by a mail protocol command (SMTP/POP3/IMAP injection)' },
  { id: 'cmdi-001', score: 5, needles: [';', '|', '&', '`', '$(', '\n'], pattern: `(?:[;|&\\n]|\\$\\()\\s?(?:\\{\\s?)?['"]?(?:sudo\\s+)?(?:/(?:usr/)?(?:local/)?s?bin/)?(?:${SHELL_CMDS})(?:\\.exe|\\d{1,2}(?:\\.\\d{1,2}){0,2})?(?!\\)\\s[a-z]{2,20}/\\d)(?:$|[\\s;|&<>'"\`)(}+]|\\$\\{?ifs)`, explanation: 'shell separator followed by a command' },
  { id: 'cmdi-002', score: 5, needles: ['$(', '`', '<(', '>('], pattern: '(?:\\$\\(|`)\\s*(?:(?:whoami|id|uname|cat|ls|wget|curl|sleep|ping|nslookup|echo|bash|sh|pwd|hostname)\\b)|\\$\\(\\s?(?:touch|rm|chmod|nc|python[23]?|perl)\\s|[<>]\\(\\s?(?:' + SHELL_CMDS + '|tee)(?:\\s[^()]{0,60})?\\)', explanation: 'command or process substitution' },
  { id: 'cmdi-003', score: 5, needles: ['ifs', '/bin/', '/dev/tcp', '/dev/udp', 'cmd', 'powershell', 'nc ', 'bash -', 'sh -c', '$shell', '${shell', 'busybox', '{cat,', '{ls,', '/usr/bin', '-wrapper', '-exec', '{nc,', '{bash,', '{sh,', '{wget,', '{curl,', '{echo,', '{id,', '/tcp/', '/udp/'], pattern: '\\$\\{?[a-z_]{1,10}\\}?/(?:tcp|udp)/\\d|\\s-wrapper\\s(?:/bin/)?(?:ba)?sh,-c,|\\bfind\\s[^\\n|;&]{0,80}\\s-exec(?:dir)?\\s[^\\n]{1,80}?(?:\\{\\s?\\}|\\\\;)|\\$\\{?ifs|/(?:usr/)?bin/(?:ba|z|k|c|tc|da)?sh\\b|/dev/(?:tcp|udp)/|\\bnc(?:at)?\\s+(?:-[a-z]{1,4}\\s+){0,3}-[el]\\b|\\bbash\\s+-[ci]\\b|(?:\\$\\{?shell\\}?|\\bbusybox|\\b(?:z|k|c|tc|da)?sh)\\s+-c\\s+[\'"]|\\bcmd(?:\\.exe)?\\s*/[ck]\\b|\\bpowershell(?:\\.exe)?\\s+-(?:e|enc|c|command|nop|w|exec)|\\{(?:cat|ls|id|wget|curl|echo|nc|ncat|bash|sh|python[23]?|perl|ping|whoami|uname),|/usr/bin/(?:id|whoami|wget|curl|perl|python|env)\\b', explanation: 'shell-specific construct' },
  { id: 'cmdi-010', score: 5, needles: [';', '|', '&', '`', "'", '"', '\\n', '\\r', '\\'], pattern: LEADING_SEP_CMDS, explanation: 'value opens with a shell separator and a command' },
  { id: 'cmdi-015', score: 5, needles: ['whoami', 'uname -', 'ifconfig', 'ipconfig', 'systeminfo', 'netstat -'], pattern: String.raw`[;|&\x60]\s?[^\s;|&]{0,12}\s(?:whoami|uname\s-[a-z]{1,4}|ifconfig|ipconfig|systeminfo|netstat\s-[a-z]{1,6})(?:$|[\s;|&])`, explanation: 'separator, one word, then a reconnaissance command' },
  { id: 'cmdi-011', score: 5, needles: ['time ', 'nohup', 'strace', 'ltrace', 'timeout ', 'nice ', 'flock ', 'cpulimit', 'setsid', 'xargs', 'unbuffer', 'doas ', 'sudo '], pattern: WRAPPED_CMD + SHELL_CMDS + ')(?:$|[\\s;|&<>])', explanation: 'value is a command run through a wrapper (time, nohup, strace, …)' },
  { id: 'cmdi-012', score: 5, needles: ['invoke-', 'iex', 'iwmi', 'win32_process', 'net.webclient', 'downloadstring', 'downloadfile', 'start-process', 'set-mppreference'], pattern: String.raw`\binvoke-(?:webrequest|expression|restmethod|command|wmimethod)\b|\biwmi\s+-|\bwin32_process\b|\biex\s?\(|new-object\s+(?:system\.)?net\.webclient|\.download(?:string|file)\s?\(|\bstart-process\s|\bset-mppreference\b`, explanation: 'PowerShell download or execution cmdlet' },
  { id: 'cmdi-004', score: 5, needles: ['for', 'if', '%comspec', '%systemroot', 'exist', ' gtr ', ' geq ', ' lss ', ' leq ', ' equ ', ' neq '], pattern: '\\bfor\\s+/[fdlr]\\s|\\bif\\s+(?:/i\\s+)?(?:not\\s+)?exist\\s|%(?:comspec|systemroot|windir|programfiles|userprofile)%', explanation: 'Windows shell construct' },
  { id: 'cmdi-005', score: 5, needles: ['etc/pa', 'etc/sh', 'ping', 'sleep'], pattern: '(?:^|[;|&`\\n]|\\$\\()\\s?(?:cat|more|less|head|tail|nl|tac)\\s+[^;|&]{0,40}/etc/|\\bping\\s+-[nc]\\s*\\d|\\bsleep\\s+\\d{1,3}\\s*(?:$|[;|&`#])', explanation: 'command with attack-typical arguments' },
  { id: 'cmdi-016', score: 5, needles: ['\\!', ':!', 'ex !', "'!", '"!', ' !sh', ' !bash'], pattern: String.raw`\b(?:n?vim|ex|view|gdb|less|more|man|ftp|mysql|sqlite3)\s[^;|&]{0,60}?\\?!\s?(?:${SHELL_CMDS})(?:$|[\s;|&\\'"])`, explanation: 'shell escape from an editor, pager or debugger (vi -c:!id, gdb -ex !whoami)' },
  { id: 'cmdi-017', score: 5, needles: [';$', '&$', '|$', '; $', '& $', '| $'], pattern: String.raw`(?:^|[\s;|&^]|\\[nr])[a-z_][a-z0-9_]{0,20}=(?:\$?\\?'[^'\n]{0,40}'|\$?\\?"[^"\n]{0,40}"|[^\s;|&'"]{0,40})\s?(?:;|&&|\|\|?)\s?(?:[a-z_][a-z0-9_]{0,20}=(?:'[^'\n]{0,40}'|"[^"\n]{0,40}"|[^\s;|&'"]{0,40})\s?(?:;|&&)\s?){0,16}\$\{?[a-z_]`, explanation: 'shell variable assigned and then expanded as a command (CMD=…;$CMD)' },
  { id: 'cmdi-018', score: 5, needles: [';$', '&$', '|$', '; $', '& $', '| $'], pattern: `(?:^|[;|&])\\s?\\$[a-z_][a-z0-9_]{0,15}\\s(?:${SHELL_CMDS})(?:$|\\s)`, explanation: 'unset shell variable in front of a command after a separator (;$u cat …)' },
  { id: 'cmdi-019', score: 5, needles: ['@{[', '@{ '], pattern: '@\\{\\s?\\[', explanation: 'Perl expression interpolation (@{[ … ]}: runs code inside a string)' },
  { id: 'cmdi-021', score: 5, needles: ['{,', ',-', ', -'], pattern: `\\{\\s?,\\s?['"$]{0,2}(?:/(?:usr/)?s?bin/)?(?:${SHELL_CMDS})(?:\\.exe)?['"]?\\s?[,}]|\\{[a-z]{1,6}(?:\\$[a-z_]{1,10}|\\\\)[a-z$_\\\\]{0,24},\\s?-[a-z]{1,10}[,}]`, explanation: 'command spelled by brace expansion with an empty first word ({,ifconfig}, {,echo,#test}) or with a name split by empty variables or backslashes before a flag ({n$u\\c$u,-nlvp,777})' },
  { id: 'cmdi-022', score: 5, needles: ['+++ath'], pattern: String.raw`\+\+\+ath[0h]?\b`, explanation: 'Hayes modem escape and hang-up (+++ATH0) in a value' },
  { id: 'cmdi-023', score: 5, needles: ['/???/', '$[', ';at ', '; at ', '|at ', '| at ', '&at ', '& at '], pattern: String.raw`(?:^|[\s;|&\x60])/\?{3}/[a-z?*]{1,10}|^\s?[;|&]{1,2}\s?at\s(?:\d{1,2}:\d{2}|now|midnight|noon|teatime)\b|\$\[\s?\d{1,10}\s?[-+*/%]\s?\d{1,10}\s?\]`, explanation: 'command path spelled with wildcard directories (/???/?s), a job scheduled with at after a separator (;at 2:00 …), or bash $[…] arithmetic expansion' },
  { id: 'cmdi-020', score: 5, needles: ['nc ', 'ncat ', 'netcat ', 'nc.traditional '], pattern: String.raw`\b(?:nc|ncat|netcat|nc\.traditional)\s(?:-[a-z]{1,4}\s){0,3}[a-z0-9][a-z0-9.:-]{0,252}\s\d{1,5}\s(?:-[a-z]{1,4}\s){0,2}-[ec]\s?\S{0,40}?(?:sh|bash|zsh|dash|cmd(?:\.exe)?|powershell)\b`, explanation: 'netcat reverse shell (nc HOST PORT -e /bin/sh)' },
]), SHEBANG_RE);

/** A command word after removing shell-evasion insertions (`c$_at`, `w\ho\am\i`, `ti''me`, `"w"get`, `c^a^t`). */
const CMD_WORD_RE = trackPattern(new RegExp(`^(?:/(?:usr/)?(?:local/)?s?bin/)?(?:${SHELL_CMDS}|who|time)(?:\\.exe|[\\d.]{0,6})$`));
const TOKEN_SPLIT_RE = trackPattern(/[\s;|&()<>+,=]+/);
const OBF_BIT = allocateBit();
addGateNeedles(['$@', '$*', '$_', '$#', '$?', '$!', '$$', '${', "''", '""', '``', '\\', '^', '$()', '<()', '>()', '$[]'], OBF_BIT);
/** Empty command, process or arithmetic substitutions (`pi$()ng`, `pi<()ng`, `ping$[]`, ping``); each becomes one marker character before splitting. */
const EMPTY_SUBST_RE = trackPattern(/\$\(\)|[<>]\(\)|\$\[\]|``/g);
const SUBST_MARK = '\u0001';

function isAlnum(c: string | undefined): boolean {
  return c !== undefined && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
}

/** Length of the evasion insertion starting at `i` of `tok` (0 when none): quotes, `\x`/`^x` escapes, `$@ $* $_ $# $? $! $$`, `${name}`. */
function insertionAt(tok: string, i: number): number {
  const c = tok[i];
  if (c === '"' || c === "'" || c === '`' || c === SUBST_MARK) return 1;
  if ((c === '\\' || c === '^') && isAlnum(tok[i + 1])) return 1;
  if (c !== '$') return 0;
  const n = tok[i + 1];
  if (n !== undefined && '@*_#?!$'.includes(n)) return 2;
  if (n !== '{') return 0;
  const close = tok.indexOf('}', i);
  return close > i && close - i <= 10 && /^[a-z_]*$/.test(tok.slice(i + 2, close)) ? close - i + 1 : 0;
}

/** True when the token's single quotes pair up (`ca't'`), unlike an English apostrophe (`I'd`). */
function pairedQuotes(tok: string): boolean {
  let n = 0;
  for (let i = 0; i < tok.length; i++) if (tok[i] === "'") n++;
  return n >= 2 && n % 2 === 0;
}

/**
 * The token without evasion insertions, when one sits between two letters or digits (a lone `'`
 * does not count: English apostrophes, `I'd`) or an empty substitution follows one (`ping$()`); undefined otherwise. Pure, linear.
 */
export function stripShellEvasion(tok: string): string | undefined {
  let out = '';
  let inside = false;
  let i = 0;
  while (i < tok.length) {
    const start = i;
    for (let n = insertionAt(tok, i); n > 0; n = insertionAt(tok, i)) i += n;
    if (i === start) { out += tok[i]; i++; continue; }
    if (start > 0 && isAlnum(tok[start - 1]) && ((i < tok.length && isAlnum(tok[i]) && (tok.slice(start, i) !== "'" || pairedQuotes(tok))) || tok.slice(start, i).includes(SUBST_MARK))) inside = true;
  }
  return inside ? out : undefined;
}

/** Obfuscated command words (`cmdi-009`): a command name split by quotes, escapes or empty shell variables. */
const obfuscationDetector: SignatureDetector = Object.freeze({
  id: 'cmdi',
  classes: ['cmdi'] as const,
  inspectParsed(parsed: ParsedRequest, _view: RequestView, sink: FindingSink): void {
    for (const [part, v0] of gatedValues(parsed, OBF_BIT)) {
      const v = v0.includes('()') || v0.includes('$[]') || v0.includes('``') ? v0.replace(EMPTY_SUBST_RE, SUBST_MARK) : v0;
      for (const tok of v.split(TOKEN_SPLIT_RE)) {
        if (tok.length < 3 || tok.length > 80) continue;
        const w = stripShellEvasion(tok);
        if (w !== undefined && CMD_WORD_RE.test(w)) {
          emit(sink, 'cmdi', 'cmdi-009', 'cmdi', 5, part, v.indexOf(tok), `command name ${w} hidden by shell quoting or empty variables`);
          break;
        }
      }
    }
  },
});

/** Shell command injection (`cmdi-*`): separators and substitutions, shell constructs, whole-value commands. */
export const cmdiDetector: SignatureDetector = Object.freeze({
  id: 'cmdi',
  classes: ['cmdi'] as const,
  inspectParsed(parsed: ParsedRequest, view: RequestView, sink: FindingSink): void {
    shellDetector.inspectParsed(parsed, view, sink);
    reconDetector.inspectParsed(parsed, view, sink);
    obfuscationDetector.inspectParsed(parsed, view, sink);
  },
});

export { phpDetector } from './php.js';

/** Server-side template injection (`ssti-*`). */
export const sstiDetector: SignatureDetector = tableDetector('ssti', 'ssti', compileRules([
  { id: 'ssti-001', score: 5, needles: ['{{', '${', '#{', '<%', '@(', '*{', '{%'], pattern: '(?:\\{\\{|\\$\\{|#\\{|<%=?|@\\(|\\*\\{|\\{%)\\s*[\'"]?\\d{1,8}[\'"]?\\s*[*+/-]\\s*[\'"]?\\d{1,8}', explanation: 'template expression with arithmetic' },
  { id: 'ssti-002', score: 5, needles: ['__'], pattern: '__\\s?(?:class|mro|subclasses|globals|builtins|init|import|base|bases|dict|getattribute|reduce)\\s?__', explanation: 'Python dunder chain' },
  { id: 'ssti-003', score: 5, needles: ['{{', '{%'], pattern: '(?:\\{\\{|\\{%)[^}]{0,120}(?:popen|os\\.|subprocess|system\\s*\\(|exec\\s*\\(|eval\\s*\\(|import\\s*\\(|getattr|\\|attr\\s*\\(|\\bconfig\\b|self\\._|request\\.application|lipsum|cycler|joiner|url_for\\.|get_flashed_messages|range\\.constructor)', explanation: 'template expression reaching code execution' },
  { id: 'ssti-004', score: 5, needles: ['${', '*{', '#{'], pattern: '[$*#]\\{[^}]{0,120}(?:runtime|exec\\s*\\(|getclass|classloader|freemarker|new\\s*\\(\\s*\\)|\\bt\\s*\\(\\s*java|product\\.|request\\.|session\\.|application\\.|\\.forname)', explanation: 'EL/Spring/Freemarker expression' },
  { id: 'ssti-005', score: 5, needles: ['<#assign', '#set', '{php}', '$smarty', '{{=', '#foreach', '$class.', '{system', '{exec'], pattern: '<#assign|#set\\s*\\(\\s*\\$|\\{/?php\\}|\\{\\$smarty|\\{\\{=|#foreach\\s*\\(|\\$class\\.inspect|\\{(?:system|exec|passthru)\\s*\\(', explanation: 'template engine directive' },
  { id: 'ssti-006', score: 5, needles: ['{{', 'freemarker.template', '?new'], pattern: String.raw`\{\{[^}]{0,80}?(?:\.class\s?\.\s?(?:mro|base|bases|subclasses|forname|classloader)\b|\|\s?(?:filter|map|sort|reduce)\s?\(\s?['"](?:system|exec|passthru|shell_exec|popen|proc_open|assert)['"]|\bdump\s?\(\s?app\b|\bapp\.request\.|_self\.env\b)|\bfreemarker\.template\.utility\.(?:execute|objectconstructor|jythonruntime)\b|['"]\s?\?\s?new\s?\(\s?\)`, explanation: 'template expression reaching classes, commands or the framework (Jinja .class.mro, Twig |filter(\'system\'), {{dump(app)}}, FreeMarker ?new())' },
]));

/** Server-side includes (`ssi-*`); reported as class cmdi. */
export const ssiDetector: SignatureDetector = tableDetector('ssi', 'cmdi', compileRules([
  { id: 'ssi-001', score: 5, needles: ['<!--'], pattern: '<!--\\s*#\\s*(?:exec|include|echo|config|printenv|set|fsize|flastmod|if|elif|else|endif)\\b', explanation: 'server-side include directive' },
  { id: 'ssi-002', score: 5, needles: ['<esi:'], pattern: String.raw`<esi:(?:include|inline|debug|assign|vars|eval|choose|when|otherwise|try|attempt|except|comment|remove)\b`, explanation: 'Edge Side Includes tag (ESI injection into a caching proxy)' },
]));

/** JavaScript/Node.js code injection (`code-*`); reported as class cmdi. Reads plain values too (base64 forms of serialized functions). */
export const codeDetector: SignatureDetector = tableDetector('code', 'cmdi', compileRules([
  { id: 'code-001', score: 5, needles: ['child_process', 'mainmodule', 'process.', 'require'], pattern: 'child_process|process\\s*\\.\\s*(?:mainmodule|binding|dlopen|kill|exit)|require\\s*\\(\\s*[\'"](?:child_process|fs|net|vm|os)[\'"]', explanation: 'Node.js module or process access' },
  { id: 'code-004', score: 5, needles: ['_$$nd_func$$_', '__js_function', 'constructor.constructor', 'process[', 'process.env', 'module.exports', 'require['].concat(NODE_B64), pattern: String.raw`_\$\$nd_func\$\$_|^\s*__js_function\b|\bthis\.constructor\.constructor\b|\bprocess\s*\[\s*['"]?(?:env|mainmodule|binding|dlopen)|^\s*process\s*\.\s*env\s*$|^\s*module\.exports\s*=|\brequire\s*\[|` + NODE_B64.map((b) => b.replace(/\+/g, '\\+')).join('|'), explanation: 'Node.js serialized function, sandbox escape or process access' },
  { id: 'code-002', score: 5, needles: ['while', 'for', 'function', 'eval'], pattern: '\\bwhile\\s*\\(\\s*(?:true|1|infinity|!0|!-0|!false|!!1|this|new\\s+date|string|!null|!nan|!undefined|!!\\[\\]|!!\\{\\}|!\\x27\\x27|!""|!``|[+-](?:1|infinity)|\\(true\\))\\s*\\)|\\bfor\\s*\\(\\s*;\\s*;\\s*\\)|\\beval\\s*\\(\\s*(?:string\\.fromcharcode|atob|unescape|decodeuricomponent|function|["\'])', explanation: 'JS infinite loop or eval of constructed code' },
  { id: 'code-003', score: 3, needles: ['eval', 'function'], pattern: '\\beval\\s*\\(|\\bnew\\s+function\\s*\\(', explanation: 'JS eval or Function constructor' },
]), undefined, false, true);
