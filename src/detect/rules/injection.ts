// Code and command injection detectors: shell commands, PHP, Java/OGNL, template engines, SSI, JS/Node.

import { compileRules, tableDetector, type SignatureDetector, trackPattern } from '../signature.js';

/** A value that is itself a script (starts with `#!`) is content, not an injection. */
const SHEBANG_RE = trackPattern(/^\s*#!\s*\//);

const SHELL_CMDS = 'whoami|uname|wget|curl|nc|ncat|netcat|bash|sh|zsh|ksh|csh|ping|nslookup|sleep|python[23]?|perl|php|ruby|powershell|pwsh|cmd|ipconfig|ifconfig|systeminfo|tasklist|certutil|bitsadmin|mshta|rundll32|wmic|telnet|id|ls|cat|rm|chmod|echo|dir|nohup|socat|xterm|busybox|tftp|passwd|useradd|crontab|killall|pkill|ps|netstat|printenv|base64|xxd|hostname|grep|awk|sed|mkdir|chown|eval|exec|sudo|tac|ssh|scp|wget|sendmail|schtasks|vssadmin|icacls|net\\s+(?:user|localgroup|view|use)|type\\s+[a-z]:|ifconfig|uname';

/** Shell command injection (`cmdi-*`). Rules read normalized values, where whitespace runs are one space (`\s?`). */
export const cmdiDetector: SignatureDetector = tableDetector('cmdi', 'cmdi', compileRules([
  { id: 'cmdi-006', score: 5, needles: ['\r', '\n'], raw: true, flags: 'i', pattern: `^[\\r\\n]\\s*(?:${SHELL_CMDS})(?:$|[\\s;|&<>])`, explanation: 'newline followed by a command' },
  { id: 'cmdi-001', score: 5, needles: [';', '|', '&', '`', '$(', '\n'], pattern: `(?:[;|&\\n]|\\$\\()\\s?(?:\\{\\s?)?(?:sudo\\s+)?(?:/(?:usr/)?(?:local/)?s?bin/)?(?:${SHELL_CMDS})(?:\\.exe)?(?:$|[\\s;|&<>'"\`)(}]|\\$\\{?ifs)`, explanation: 'shell separator followed by a command' },
  { id: 'cmdi-002', score: 5, needles: ['$(', '`'], pattern: '(?:\\$\\(|`)\\s*(?:(?:whoami|id|uname|cat|ls|wget|curl|sleep|ping|nslookup|echo|bash|sh|pwd|hostname)\\b)', explanation: 'command substitution' },
  { id: 'cmdi-003', score: 5, needles: ['ifs', '/bin/', '/dev/tcp', '/dev/udp', 'cmd', 'powershell', 'nc ', 'bash -', '{cat,', '{ls,', '/usr/bin'], pattern: '\\$\\{?ifs|/(?:usr/)?bin/(?:ba|z|k|c|tc|da)?sh\\b|/dev/(?:tcp|udp)/|\\bnc(?:at)?\\s+(?:-[a-z]{1,4}\\s+){0,3}-[el]\\b|\\bbash\\s+-[ci]\\b|\\bcmd(?:\\.exe)?\\s*/[ck]\\b|\\bpowershell(?:\\.exe)?\\s+-(?:e|enc|c|command|nop|w|exec)|\\{(?:cat|ls|id|wget|curl|echo),|/usr/bin/(?:id|whoami|wget|curl|perl|python|env)\\b', explanation: 'shell-specific construct' },
  { id: 'cmdi-004', score: 5, needles: ['for', 'if', '%comspec', '%systemroot', 'exist'], pattern: '\\bfor\\s+/[fdlr]\\s|\\bif\\s+(?:/i\\s+)?(?:not\\s+)?exist\\s|%(?:comspec|systemroot|windir|programfiles|userprofile)%', explanation: 'Windows shell construct' },
  { id: 'cmdi-005', score: 5, needles: ['etc/pa', 'etc/sh', 'ping', 'sleep'], pattern: '(?:^|[;|&`\\n]|\\$\\()\\s?(?:cat|more|less|head|tail|nl|tac)\\s+[^;|&]{0,40}/etc/|\\bping\\s+-[nc]\\s*\\d|\\bsleep\\s+\\d{1,3}\\s*(?:$|[;|&`#])', explanation: 'command with attack-typical arguments' },
]), SHEBANG_RE);

/** PHP code injection (`php-*`); reported as class cmdi. */
export const phpDetector: SignatureDetector = tableDetector('php', 'cmdi', compileRules([
  { id: 'php-001', score: 5, needles: ['<?'], pattern: '<\\?(?:php\\b|=)', explanation: 'PHP open tag' },
  { id: 'php-002', score: 5, needles: ['exec', 'passthru', 'popen', 'proc_open', 'phpinfo', 'system', 'assert', 'create_function', 'gzinflate', 'str_rot13', 'base64_decode', 'call_user_func', 'file_put_contents', 'file_get_contents', 'fopen', 'readfile', 'show_source', 'highlight_file', 'move_uploaded', 'unserialize', 'include', 'require', 'preg_replace'], pattern: '\\b(?:shell_exec|passthru|popen|proc_open|pcntl_exec|phpinfo|system|assert|create_function|gzinflate|gzuncompress|str_rot13|base64_decode|call_user_func(?:_array)?|file_put_contents|file_get_contents|fopen|readfile|show_source|highlight_file|move_uploaded_file|unserialize|(?:include|require)(?:_once)?|preg_replace|exec)\\s*\\(', explanation: 'PHP function call' },
  { id: 'php-003', score: 5, needles: ['$_'], pattern: '\\$_(?:get|post|request|cookie|server|files|env|session)\\b', explanation: 'PHP superglobal' },
  { id: 'php-004', score: 5, needles: ['o:', 'a:'], pattern: '\\bo:\\d{1,4}:"[a-z0-9_\\\\]{1,100}":\\d{1,4}:\\{', explanation: 'PHP serialized object' },
  { id: 'php-005', score: 4, needles: ['[php]', '[/php]', '(string)', '"."', "'.'"], pattern: '\\[/?php\\]|\\(\\s*string\\s*\\)\\s*["\']|["\']\\s*\\.\\s*["\'][a-z]{1,8}["\']\\s*\\.\\s*["\']', explanation: 'PHP obfuscation' },
]));

/** Java, OGNL, EL and deserialization injection (`java-*`); reported as class cmdi. */
export const javaDetector: SignatureDetector = tableDetector('java', 'cmdi', compileRules([
  { id: 'java-001', score: 5, needles: ['java.', 'javax.', 'getruntime', 'processbuilder', 'classloader', 'forname', 'com.sun.', 'org.apache.commons', 'jshell', 'scriptengine', 'objectinputstream', 'getclass'], pattern: '\\bjava\\.(?:lang|io|net|nio|util\\.(?:scanner|zip)|beans|rmi)\\.|\\bjavax\\.(?:script|naming|management)|getruntime\\s*\\(|processbuilder|classloader|class\\s*\\.\\s*forname|com\\.sun\\.|org\\.apache\\.(?:commons\\.collections|xalan|bcel)|jdk\\.jshell|scriptenginemanager|objectinputstream|\\.getclass\\s*\\(', explanation: 'Java class or reflection reference' },
  { id: 'java-002', score: 5, needles: ['ro0ab', 'aced0005', 'h4siaaaaaaaaak'], pattern: 'ro0ab|aced0005', explanation: 'serialized Java object' },
  { id: 'java-004', score: 5, needles: ['chjvy2vzc2j1awxk', 'byb2nlc3nidwls', 'wcm9jzxnzynvpbgrl', 'aw52b2tlcnryyw5zzm9y', 'ludm9rzxj0cmfuc2zvcm1l', 'pbnzva2vydhjhbnnmb3jt', 'aw5zdgfudglhdgv0cmfuc2zvcm1l', 'luc3rhbnrpyxrldhjhbnnmb3jt', 'pbnn0yw50awf0zxryyw5zzm9y', 'chjvdg90exbly2xvbmvmywn0', 'byb3rvdhlwzwnsb25lzmfjdg9y', 'wcm90b3r5cgvjbg9uzwzhy3rv', 'chjvdg90exblc2vyawfsaxphdglvbmzhy3rv', 'byb3rvdhlwzxnlcmlhbgl6yxrpb25mywn0', 'wcm90b3r5cgvzzxjpywxpemf0aw9uzmfjdg9y', 'aw5zdgfudglhdgvmywn0', 'luc3rhbnrpyxrlzmfjdg9y', 'pbnn0yw50awf0zwzhy3rv', 'y29uc3rhbnr0cmfuc2zvcm1l', 'nvbnn0yw50dhjhbnnmb3jt', 'jb25zdgfudhryyw5zzm9y', 'y2hhaw5lzhryyw5zzm9y', 'noywluzwr0cmfuc2zvcm1l', 'jagfpbmvkdhjhbnnmb3jt', 'dgvtcgxhdgvzaw1w', 'rlbxbsyxrlc2lt', '0zw1wbgf0zxnp', 'zm9yy2xvc3vy', 'zvcmnsb3n1', 'cnvudgltzs5l', 'j1bnrpbwuuzxhl', 'ydw50aw1llmv4'], pattern: 'chjvy2vzc2j1awxk|byb2nlc3nidwls|wcm9jzxnzynvpbgrl|aw52b2tlcnryyw5zzm9y|ludm9rzxj0cmfuc2zvcm1l|pbnzva2vydhjhbnnmb3jt|aw5zdgfudglhdgv0cmfuc2zvcm1l|luc3rhbnrpyxrldhjhbnnmb3jt|pbnn0yw50awf0zxryyw5zzm9y|chjvdg90exbly2xvbmvmywn0|byb3rvdhlwzwnsb25lzmfjdg9y|wcm90b3r5cgvjbg9uzwzhy3rv|chjvdg90exblc2vyawfsaxphdglvbmzhy3rv|byb3rvdhlwzxnlcmlhbgl6yxrpb25mywn0|wcm90b3r5cgvzzxjpywxpemf0aw9uzmfjdg9y|aw5zdgfudglhdgvmywn0|luc3rhbnrpyxrlzmfjdg9y|pbnn0yw50awf0zwzhy3rv|y29uc3rhbnr0cmfuc2zvcm1l|nvbnn0yw50dhjhbnnmb3jt|jb25zdgfudhryyw5zzm9y|y2hhaw5lzhryyw5zzm9y|noywluzwr0cmfuc2zvcm1l|jagfpbmvkdhjhbnnmb3jt|dgvtcgxhdgvzaw1w|rlbxbsyxrlc2lt|0zw1wbgf0zxnp|zm9yy2xvc3vy|zvcmnsb3n1|cnvudgltzs5l|j1bnrpbwuuzxhl|ydw50aw1llmv4', explanation: 'base64 of a Java gadget class name (processbuilder, invokertransformer, …)' },
  { id: 'java-003', score: 5, needles: ['#_memberaccess', '@java', '#context', '#request', '#parameters', 'ognl', '%{', '#{'], pattern: '#_memberaccess|@java\\.lang|#context\\[|#(?:request|parameters|application|session)\\b|ognlutil|[%#]\\{\\s*[(#@]', explanation: 'OGNL or EL expression' },
]), undefined, true, true);

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
