// SQL injection detector: lexes each value in three contexts and matches token fingerprints.

import type { RequestView } from '../../core/index.js';
import { partSqlLex, type ParsedRequest, type Part } from '../parts.js';
import { lexSql, tokenText, type SqlLex } from '../sqllex.js';
import { normalizeValueLines } from '../normalize.js';
import { activeParts, addGateNeedles, allocateBit, compileRules, emit, partScan, ruleReads, runRule, type FindingSink, type RegexRule, type SignatureDetector, trackPattern } from '../signature.js';
import { inspectOrmNames } from './query.js';
import { base64Forms } from './java.js';

/** Functions that only attacks call from a request value. */
const STRONG_FUNCS = new Set(['sleep', 'benchmark', 'pg_sleep', 'load_file', 'extractvalue', 'updatexml',
  'xp_cmdshell', 'sys_eval', 'sys_exec', 'name_const', 'group_concat', 'randomblob', 'utl_inaddr',
  'get_host_address', 'receive_message', 'make_set', 'elt', 'gtid_subset', 'json_keys', 'exp',
  'polygon', 'multipoint', 'geometrycollection', 'linestring', 'multilinestring', 'multipolygon', 'st_latfromgeohash',
  'pg_read_file', 'lo_import', 'dbms_xmlgen', 'ctxsys', 'xmltype', 'sqlite_version', 'load_extension', 'openrowset', 'opendatasource',
  'db_name', 'sqlite_compileoption_used', 'sqlite_compileoption_get']);
/** Functions common in attacks but also in code snippets: weak alone. */
const WEAK_FUNCS = new Set(['char', 'chr', 'concat', 'concat_ws', 'version', 'database', 'user', 'substring',
  'substr', 'ascii', 'ord', 'mid', 'hex', 'unhex', 'cast', 'convert', 'if', 'iif', 'count', 'length', 'schema',
  'md5', 'sha1', 'isnull', 'ifnull', 'coalesce', 'nvl', 'instr', 'left', 'right', 'reverse', 'rand', 'floor']);
/** sqli-021 as a needle-prefiltered rule: database metadata and command objects. */
const META_RULE = compileRules([{ id: 'sqli-021', score: 5, needles: ['information_schema', 'master', 'identified', 'declare', 'pg_tables', 'all_tab_columns', 'syslogins', 'sysdatabases', '@@servername', 'sysusers', 'rdb$', 'infile', 'sysobjects', 'syscolumns', 'mysql.user', 'pg_shadow', 'pg_catalog', 'sqlite_master', 'all_tables', 'user_tables', '@@version', '@@datadir', 'xp_cmdshell', 'sp_executesql', 'sp_oacreate', 'into ', 'waitfor delay', 'waitfor+delay', 'all_users', 'dba_users', 'analyse', 'immediate', 'pg_sleep', 'dbms_pipe', 'dbms_lock', 'utl_http', 'utl_inaddr', 'utl_smtp', 'utl_tcp', 'xp_', 'sp_', 'openrowset', 'opendatasource', 'openquery', 'pg_read_file', 'pg_ls_dir', 'lo_import', 'lo_export', 'lo_get', 'dbms_java', 'dbms_xmlgen', 'v$', 'sys.user$', 'dual'],
  pattern: 'information_schema|;\\s?use\\s+master\\b|\\bcreate\\s+user\\s+[^\\s]{1,40}\\s+identified\\s+by\\b|\\bdeclare\\s+@[a-z_]{1,30}\\s+(?:n?varchar|int|sysname|table)\\b|\\bpg_tables\\b|\\ball_tab_columns\\b|\\bsyslogins\\b|\\bsysdatabases\\b|@@servername|\\bsysusers\\b|\\brdb\\$[a-z_]{3,30}|\\bload\\s+(?:data|xml)\\s+(?:(?:local|low_priority|concurrent)\\s+)*infile\\b|sysobjects|syscolumns|mysql\\.user|pg_shadow|pg_catalog|sqlite_master|all_tables|user_tables|msysobjects|@@version|@@datadir|xp_cmdshell|sp_executesql|sp_oacreate|into (?:out|dump)file|waitfor[\\s+]delay|\\bprocedure\\s+analyse\\s?\\(|\\bexecute\\s+immediate\\s?[\'"]|\\bpg_sleep\\b|\\bfrom\\s+(?:sys\\.)?(?:all|dba)_users\\b|dbms_pipe|dbms_lock|utl_(?:http|inaddr|smtp|tcp)\\b|\\bxp_(?:dirtree|regread|regwrite|regdeletekey|regenumvalues|fileexist|servicecontrol|availablemedia|subdirs|loginconfig|enumgroups|ntsec_enumdomains|terminate_process|makecab|cmdshell)\\b|\\bsp_(?:password|addlogin|addsrvrolemember|addrolemember|configure|makewebtask|addextendedproc|oamethod|execute_external_script|droplogin)\\b|\\bopen(?:rowset|datasource|query)\\b|\\bpg_(?:read_file|ls_dir|read_binary_file)\\s*\\(|\\blo_(?:import|export|get)\\s*\\(|\\bdbms_(?:java|xmlgen)\\b|\\bv\\$(?:version|instance|database)\\b|\\bsys\\.user\\$|\\bselect\\s[^;]{1,80}?\\sfrom\\s+(?:sys\\.)?dual\\b',
  explanation: 'database metadata or command object referenced' }])[0]!;
/**
 * sqli-031: data-extraction idioms of automated injection: a hex marker string concatenated into the result
 * (`concat(0x7176…,`), the duplicate-key error (`floor(rand(0)*2)`), strings spelled by chained `char()` calls,
 * and `case when (n=n)` oracles. None occurs in hand-written application input.
 */
const EXTRACT_RULE = compileRules([{ id: 'sqli-031', score: 5, needles: ['concat', 'rand(0', 'rand (0', 'char(', 'chr(', 'char (', 'chr (', 'case when'],
  pattern: String.raw`\bconcat(?:_ws)?\s?\(\s?0x[0-9a-f]{4,}|\bfloor\s?\(\s?rand\s?\(\s?0\s?\)\s?\*\s?2\s?\)|\bch(?:a)?r\s?\(\s?\d{1,3}\s?\)\s?(?:\|\||\+|,)?\s?ch(?:a)?r\s?\(\s?\d{1,3}\s?\)\s?(?:\|\||\+|,)?\s?ch(?:a)?r\s?\(|\bcase\s(?:when\s)?\(?\s?\d{1,6}\s?=\s?\d{1,6}\s?\)?\s?then\b`,
  explanation: 'automated SQL injection extraction idiom (hex marker concat, floor(rand(0)*2), chained char(), case-when oracle)' }])[0]!;
/** sqli-038: a column compared with a long hex string after AND/OR/WHEN (`and name=0x5265696e657273`), or charset-introduced bit/hex literals (`_latin1 b'0101…'`): quote-free string literals of automated injection. */
const HEX_LITERAL_RULE = compileRules([{ id: 'sqli-038', score: 5, needles: ['=0x', '= 0x', '_latin1', '_utf8', '_binary', '_ascii'],
  pattern: String.raw`\b(?:and|or|when)\s+\(?[a-z_][a-z0-9_.]{0,30}\s?=\s?0x[0-9a-f]{8,}\b|\b_(?:latin1|utf8mb4|utf8|binary|ascii)\s?[bx]'[0-9a-f]`,
  explanation: 'quote-free string literal of automated injection (hex string compared after AND/OR/WHEN, charset-introduced literal)' }])[0]!;

/**
 * sqli-032: a whole value that is a word glued to a closing quote, an SQL operator and an opening quote glued
 * to a word (`a' and 'b`, `x' like 'y`, `1" || "2`): the breakout-operator-string shape of injected
 * conditions. Prose quotes a word with spaces outside the quotes (`the 'and' operator`).
 */
const STRING_OP_RULE = compileRules([{ id: 'sqli-032', score: 5, needles: ["'", '"'],
  pattern: String.raw`^[^'"\s]{1,40}['"](?:\s(?:and|or|xor|not\s(?:like|regexp|rlike|between)|like|rlike|regexp|sounds\slike|mod|div|is(?:\snot)?)\s|\s?(?:&&|\|\||[-&|^*/%+<>=!]{1,3})\s?)['"][^'"\s]{1,40}$`,
  explanation: 'string breakout, SQL operator and a new string (a\' and \'b)' }])[0]!;

/** UNION [ALL] SELECT in base64 (either case), at any alignment: an encoded injection in a value (`MTIzJyBMSU1JVCAxLDEgVU5JT04gQUxMIFNFTEVDVC…`). */
const UNION_B64 = [' UNION ALL SELECT ', ' UNION SELECT ', ' union all select ', ' union select '].flatMap((t) => base64Forms(Buffer.from(t)));
/** sqli-035: base64 of a UNION SELECT (letters and digits only at some alignments, so plain values are read too). */
const B64_RULE = compileRules([{ id: 'sqli-035', score: 5, needles: UNION_B64.map((f) => f.slice(0, 10)), pattern: UNION_B64.join('|'), explanation: 'base64 of UNION SELECT inside a value' }])[0]!;
/** sqli-037: XPath injection: a quote closing a predicate, then a union with a new path (`"]|//*|/a["a`). */
const XPATH_RULE = compileRules([{ id: 'sqli-037', score: 5, needles: [']|', '] |'], pattern: String.raw`['"]\s?\)?\s?\]\s?\|\s?/{1,2}[a-z*@]`, explanation: 'XPath predicate breakout (also from inside a function call: ")]|//*) into a union with a new path' }])[0]!;
/**
 * sqli-048: JSON in SQL (PostgreSQL, MySQL, SQLite JSON operators), the WAF bypass of 2022: a quoted
 * JSON literal cast to json/jsonb (`'{"b":2}'::jsonb`) or compared by a JSON operator (`->>`, `#>`,
 * `@>`, `<@`, `?`, `?|`, `?&`) or against a JSON path (`'{"a":2}' < '$.c'`).
 */
const JSON_SQL_RULE = compileRules([{ id: 'sqli-048', score: 5, needles: ["'[", "'{", "' [", "' {"],
  pattern: String.raw`'\s?[\[{][^']{0,400}[\]}]\s?'\s?(?:::\s?jsonb?\b|(?:->>?|#>>?|#-|@>|<@|@\?|@@|\?\||\?&|\?|[<>]=?)\s?['\d$])`,
  explanation: 'JSON in SQL: a quoted JSON literal cast to json/jsonb or compared by a JSON operator' }])[0]!;

/** sqli-036: a tautology comparing a name with itself after OR/AND (`or a=a`, `and user=user`). */
const SELF_EQ_RULE = compileRules([{ id: 'sqli-036', score: 5, needles: ['or ', 'and '], pattern: String.raw`(?:^|\s)(?:or|and)\s+([a-z_][a-z0-9_]{0,20})\s?=\s?\1(?:\s|$|--|#|;)`, explanation: 'OR/AND tautology comparing a name with itself (or a=a)' }])[0]!;

/**
 * Three quote-free probe shapes in one rule table (one needle-mask bit; needles that are not common words, such as
 * `or true` rather than `true`, so JSON booleans do not wake the SQLi detector):
 * sqli-040: SQL keywords with a `%` before every letter (`%U%N%I%O%N %S%E%L%E%C%T`): classic ASP drops a `%` that
 * starts no valid escape, so the database reads the keyword while a filter does not.
 * sqli-041: a whole value that is a logic operator and a boolean literal or 0/1 (` or true`, `AND false--`, `and 0`): the
 * boolean probe of blind injection.
 * sqli-043: MySQL and SQL syntax no application value holds: a whole value that is a CASE expression over numbers
 * (`case when 2 then 3 end`; help text with words stays prose), a versioned executable comment (`/*!1111'` or
 * `/*!50000union`, closed later), COLLATE right after a quote (`user'collate"utf8mb4_general_ci"--`), and the `1.e(`
 * float-dot evasion (`1.e(ascii …`).
 * sqli-042: a whole value that is a LIMIT clause ended by a comment (`limit 0,1--`).
 */
const [PERCENT_KEYWORD_RULE, BOOL_PROBE_RULE, SYNTAX_RULE, LIMIT_RULE] = compileRules([
  { id: 'sqli-040', score: 5, needles: ['%u%n%i%o%n', '%s%e%l%e%c%t', '%i%n%s%e%r%t', '%u%p%d%a%t%e', '%d%e%l%e%t%e', '%d%r%o%p'],
  pattern: String.raw`%u%n%i%o%n|%s%e%l%e%c%t|%i%n%s%e%r%t|%u%p%d%a%t%e|%d%e%l%e%t%e|%d%r%o%p%\s?%t%a%b%l%e`,
  explanation: 'SQL keyword with a percent sign before every letter (ASP strips them: %S%E%L%E%C%T)' },
  { id: 'sqli-041', score: 5, needles: ['or', 'and', 'xor', '||', '&&'].flatMap((op) => ['0', '1', 'true', 'false', 'not'].map((b) => `${op} ${b}`)),
  pattern: String.raw`^\s?(?:or|and|xor|\|\||&&)\s(?:not\s)?(?:true|false|[01])\s?(?:--\s?|#|;)?$`,
  explanation: 'value is a logic operator and a boolean literal (or true): blind injection probe' },
  { id: 'sqli-043', score: 5, needles: ['case when', '/*!', 'collate', '.e('],
  pattern: String.raw`^\s?\(?\s?case\swhen\s\d{1,10}\s(?:when\s\d{1,10}\s)?then\s\d{1,10}\s(?:else\s\d{1,10}\s)?end\s?\)?\s?(?:--|#|;)?$|/\*!\d{4,6}|['"\x60]\s?collate\s?["'\x60\\]{0,2}[a-z0-9]{2,20}_[a-z0-9_]{2,30}|\b\d{1,10}\.e\s?\(`,
  explanation: 'SQL syntax no application value holds (a bare CASE expression, a versioned /*!NNNN comment, COLLATE after a quote, 1.e( )' },
  { id: 'sqli-042', score: 5, needles: ['limit '], pattern: String.raw`^\s?limit\s\d{1,10}(?:\s?,\s?\d{1,10})?\s?(?:--|#|/\*)`, explanation: 'value is a LIMIT clause ended by a comment (limit 0,1--)' },
]) as [RegexRule, RegexRule, RegexRule, RegexRule];

/**
 * The SQL gate: a value none of whose gate needles occurs cannot match a fingerprint rule. It has no
 * quote (no breakout contexts), no parenthesis (no function call, no `1)`), no `&`/`|`, no MySQL
 * `/*!` comment (the lexer drops it and its version digits, joining words), and none of the words
 * that lex to U, E, & or ORDER/GROUP BY, which every bare-context rule needs. Such values skip
 * lexing (the metadata rule still runs). One needle scan per part decides it.
 */
const SQL_BIT = allocateBit();
addGateNeedles(["'", '"', '(', ')', '&', '|', '/*!'], SQL_BIT);
addGateNeedles(['and', 'or', 'xor', 'union', 'order', 'group', 'select', 'insert', 'update', 'delete', 'drop', 'create', 'alter',
  'exec', 'execute', 'declare', 'truncate', 'shutdown', 'waitfor', 'grant', 'revoke'], SQL_BIT, true);

/** True when the lexer-based SQLi rules cannot fire on a part (see SQL_BIT). */
export function sqlInert(part: Part): boolean {
  return (partScan(part).mask & SQL_BIT) === 0;
}

/** Secrets are random text: a trailing quote-comment in them is not evidence. */
const SECRET_PARAM_RE = trackPattern(/pass|pwd|secret|token|key/i);
const ALPHA_RE = trackPattern(/^[a-z]/);
/** A short value that ends the query itself: trailing `--`, `#` or `;` (prose keeps going after a dash). */
const SQL_END_RE = trackPattern(/(?:--[\s+-]{0,3}|#|;)\s*$/);
const ORDER_BY = new Set(['order by', 'group by']);
/** Logic operators spelled as symbols: `345||1` is a MySQL tautology, where `1 or 2` is mostly prose. */
const SYMBOL_LOGIC = new Set(['||', '&&']);
/** Boolean literals: `9999 or true` is a tautology whichever word joins it, where `1 or 2` may be prose (and `true or false` is a quiz). */
const BOOLEAN_LITERAL = new Set(['true', 'false']);

/** Index of the first token after the leading value (and its sign), a number list it starts (`17,23`) and its closing parentheses. */
function firstAfter(fp: string): number {
  let i = fp[0] === 'a' ? 2 : 1;
  while (fp[i] === ',' && fp[i + 1] === '1') i += 2;
  while (fp[i] === ')') i++;
  return i;
}

interface SqlRule { readonly id: string; readonly re: RegExp; readonly score: number; readonly quoted: boolean; readonly bare: boolean; readonly explanation: string }

/** Fingerprint rules. `quoted`: applies in the quote-breakout contexts; `bare`: in the as-is context. */
const FP_RULES: readonly SqlRule[] = Object.freeze([
  { id: 'sqli-001', re: /^s\)*&\(*(?:[1v]\)*(?:[oa&c;)]|$)|f\(|\(|[sn]\)*(?:o|&|c|;|\)|a[s1])|a[1sv]\)*(?:[oa&c;]|$))/, score: 5, quoted: true, bare: false, explanation: 'string breakout followed by a boolean condition (tautology)' },
  { id: 'sqli-002', re: /^[oa]?1\)*&\(*(?:[1sv]|f\([1sv]?\))\)*o\(*(?:[1sv]|f\(|E)/, score: 5, quoted: false, bare: true, explanation: 'numeric value followed by a boolean comparison (tautology, or against a subquery)' },
  { id: 'sqli-003', re: /U[(c]*(?:k|f\()?[(c]*Ec*(?:[1svf(oa]|k[1svf(]|n[,k.c]|n$|kn|\(|$)/, score: 5, quoted: true, bare: true, explanation: 'UNION SELECT' },
  { id: 'sqli-004', re: /^(?:s|1)\)*;\(*E(?:[kvf1s(oac]|n[,(;.sc]|nk|$)/, score: 5, quoted: true, bare: true, explanation: 'stacked query after a value' },
  { id: 'sqli-005', re: /^s\)*c$/, score: 5, quoted: true, bare: false, explanation: 'string breakout followed by a comment (query truncation)' },
  { id: 'sqli-006', re: /^1\)+(?:c|&|;|U)/, score: 5, quoted: false, bare: true, explanation: 'numeric value closing parentheses then SQL' },
  { id: 'sqli-007', re: /^so\(*(?:s|[1vf(]\)*(?:[o&c;]|$))/, score: 5, quoted: true, bare: false, explanation: 'string breakout into a comparison or concatenation' },
  { id: 'sqli-008', re: /^s\)*(?:Uk?E|;\(*[E&c]|E(?:[oa1vf(]|s[^an&]|n[,k]|k))/, score: 5, quoted: true, bare: false, explanation: 'string breakout into a new statement or UNION' },
  { id: 'sqli-009', re: /^&\(*[1sv]\)*o\(*[1sv]/, score: 5, quoted: false, bare: true, explanation: 'leading boolean comparison (OR 1=1)' },
  { id: 'sqli-010', re: /E(?:[oa]|1|v|f|n,)[^;]{0,12}k/, score: 4, quoted: false, bare: true, explanation: 'SELECT column list FROM ...' },
  { id: 'sqli-011', re: /^s\)*&\(*E/, score: 5, quoted: true, bare: false, explanation: 'string breakout into a subquery condition' },
  { id: 'sqli-013', re: /^a?(?:s|1)(?:,1){0,8}\)*kk\(*(?:[1nv]|f\()/, score: 5, quoted: true, bare: true, explanation: 'ORDER/GROUP BY column probe after a value' },
  { id: 'sqli-014', re: /^s\)*n?[&oa]\(*(?:n[^;c]{0,8}|[1v]\)*)[;c]$/, score: 5, quoted: true, bare: false, explanation: 'string breakout into an operator expression ended by a comment or semicolon' },
  { id: 'sqli-015', re: /^a1(?:a1)?c*U(?:c|$|1(?:,1){2,})/, score: 5, quoted: false, bare: true, explanation: 'negative number followed by UNION (column-count probe)' },
  { id: 'sqli-044', re: /^\(+E[1vfs(][^;]{0,40}\)+;\(*E/, score: 5, quoted: false, bare: true, explanation: 'parenthesized subquery followed by a stacked statement ((select 1); update …)' },
  { id: 'sqli-045', re: /^1&1c?$/, score: 5, quoted: false, bare: true, explanation: 'number OR-ed with a number by || or && (345||1: true in MySQL), or with a boolean literal (9999 or true)' },
  { id: 'sqli-046', re: /^[oa]?1\)*&\(*f\([^;]{0,80}?\)o\(*(?:a?[1svn]|f\()/, score: 5, quoted: false, bare: true, explanation: 'number, AND/OR, then an SQL function\'s result compared (boolean-blind probe: 9 and mid(version(),1,1)=3)' },
  { id: 'sqli-047', re: /^s(?=[^s]*[o&])(?:[oa&]+\(*(?:[1vn]|f\(\)?)\)*)+[oa&]+s$/, score: 5, quoted: true, bare: false, explanation: 'string breakout, operator arithmetic, and a comparison with a new string that the query\'s own quote closes (aa\'|3!=\'4)' },
  { id: 'sqli-016', re: /^;\(*E(?:k|n[kf(o])/, score: 5, quoted: false, bare: true, explanation: 'value opening with a semicolon and a new statement (; insert into …, ; drop table …)' },
  { id: 'sqli-034', re: /^\(+[^c;]{0,40}?(?:E|v\)*[&oa]|[&oa]\(*v|k+f\(|f\(+f\(|f\([^)c;]{0,20}&)[^c;]{0,40}\)c$/, score: 5, quoted: false, bare: true, explanation: 'parenthesized subquery or variable expression closed by a comment (( (select @a) ) --)' },
  { id: 'sqli-039', re: /^n\)*&\(*a?1\)*o\(*a?1(?:$|c|\)*[&;])/, score: 5, quoted: false, bare: true, explanation: 'name followed by a boolean number comparison (facilityid and 1=0)' },
  { id: 'sqli-012', re: /^[1n]\)*&\(*(?:E|f\(E)|^1\)*a\(+E(?:f|\()/, score: 5, quoted: false, bare: true, explanation: 'boolean subquery after a value' },
]);

function metaRule(part: Part, sink: FindingSink): boolean {
  return runRule(sink, 'sqli', 'sqli', META_RULE, part);
}

function strongFunction(lex: SqlLex): number {
  const fp = lex.fp;
  for (let i = fp.indexOf('f'); i >= 0; i = fp.indexOf('f', i + 1)) {
    if (STRONG_FUNCS.has(tokenText(lex, i)) && (i === 0 || fp[i - 1] !== '.' || tokenText(lex, i - 2).startsWith('dbms_'))) return i;
  }
  return -1;
}

/** How many function tokens of the value are named in `names` or `more`. */
function countCalls(lex: SqlLex, names: ReadonlySet<string>, more?: ReadonlySet<string>): number {
  let n = 0;
  const fp = lex.fp;
  for (let i = fp.indexOf('f'); i >= 0; i = fp.indexOf('f', i + 1)) {
    const name = tokenText(lex, i);
    if (names.has(name) || more?.has(name) === true) n++;
  }
  return n;
}

/** True when the value calls a function of WEAK_FUNCS or STRONG_FUNCS (`ascii(`, `substring(`, `version(`): `5 and f(x)=2` alone is algebra. */
function sqlFunctionCalled(lex: SqlLex): boolean {
  return countCalls(lex, WEAK_FUNCS, STRONG_FUNCS) > 0;
}

function weakEvidence(lex: SqlLex): boolean {
  return countCalls(lex, WEAK_FUNCS) >= 2;
}

/** The contexts a value is lexed in: as it stands, and inside each kind of quote it holds (a breakout). */
function quoteContexts(v: string): Array<0 | 1 | 2> {
  const contexts: Array<0 | 1 | 2> = [0];
  if (v.includes("'")) contexts.push(1);
  if (v.includes('"')) contexts.push(2);
  return contexts;
}

/** SQLi findings of one part; `fast` skips lexing for SQL-inert values (same findings). Exported for the equivalence test. */
export function inspectSqlPart(part: Part, sink: FindingSink, fast = true): void {
  const v = part.norm;
  if (v.length < 2) return;
  if (fast && sqlInert(part)) {
    if (!metaRule(part, sink) && !runRule(sink, 'sqli', 'sqli', B64_RULE, part) && !runRule(sink, 'sqli', 'sqli', HEX_LITERAL_RULE, part)
      && !runRule(sink, 'sqli', 'sqli', PERCENT_KEYWORD_RULE, part) && !runRule(sink, 'sqli', 'sqli', SYNTAX_RULE, part)) runRule(sink, 'sqli', 'sqli', LIMIT_RULE, part);
    return;
  }
  const contexts = quoteContexts(v);
  for (const q of contexts) {
    const lex = partSqlLex(part, q);
    if (fingerprintRule(lex, q, part, v, sink)) return;
    const fi = strongFunction(lex);
    if (fi >= 0) { const name = tokenText(lex, fi); emit(sink, 'sqli', 'sqli-020', 'sqli', 5, part, v.indexOf(name), `attack-only SQL function ${name}()`); return; }
  }
  if (backslashQuoteRule(part, v, sink)) return;
  if (linesRule(part, v, contexts, sink)) return;
  if (metaRule(part, sink) || runRule(sink, 'sqli', 'sqli', EXTRACT_RULE, part) || runRule(sink, 'sqli', 'sqli', STRING_OP_RULE, part)
    || (v.indexOf('=') >= 0 && runRule(sink, 'sqli', 'sqli', SELF_EQ_RULE, part)) || runRule(sink, 'sqli', 'sqli', B64_RULE, part)
    || runRule(sink, 'sqli', 'sqli', XPATH_RULE, part) || runRule(sink, 'sqli', 'sqli', HEX_LITERAL_RULE, part)
    || runRule(sink, 'sqli', 'sqli', PERCENT_KEYWORD_RULE, part) || runRule(sink, 'sqli', 'sqli', BOOL_PROBE_RULE, part)
    || runRule(sink, 'sqli', 'sqli', SYNTAX_RULE, part) || runRule(sink, 'sqli', 'sqli', LIMIT_RULE, part)
    || runRule(sink, 'sqli', 'sqli', JSON_SQL_RULE, part)) return;
  if (plusRule(part, v, sink)) return;
  if (weakEvidence(partSqlLex(part, 0))) emit(sink, 'sqli', 'sqli-022', 'sqli', 3, part, 0, 'several SQL functions in one value');
}

/** Emits the first fingerprint rule of context `q` that matches `lex` (with its extra conditions); true when one did. */
function fingerprintRule(lex: SqlLex, q: 0 | 1 | 2, part: Part, v: string, sink: FindingSink, note = ''): boolean {
  const fp = lex.fp;
  let weak: SqlRule | undefined;
  for (const r of FP_RULES) {
    if ((q === 0 ? !r.bare : !r.quoted)) continue;
    if (!r.re.test(fp)) continue;
    if (r.id === 'sqli-005' && (tokenText(lex, fp.length - 1).length > 4 || SECRET_PARAM_RE.test(part.param ?? ''))) continue;
    if (r.id === 'sqli-007' && ALPHA_RE.test(tokenText(lex, 1))) continue;
    if (r.id === 'sqli-014' && (v.length > 100 || !SQL_END_RE.test(v))) continue;
    if (r.id === 'sqli-045' && !SYMBOL_LOGIC.has(tokenText(lex, 1)) && (!BOOLEAN_LITERAL.has(tokenText(lex, 2)) || BOOLEAN_LITERAL.has(tokenText(lex, 0)))) continue;
    if (r.id === 'sqli-046' && !sqlFunctionCalled(lex)) continue;
    if (r.id === 'sqli-013' && !ORDER_BY.has(`${tokenText(lex, firstAfter(fp))} ${tokenText(lex, firstAfter(fp) + 1)}`)) continue;
    // A weak shape (SELECT … FROM, 4 points) yields to any blocking rule after it (`7 and ascii(substring((select …`).
    if (r.score < 5) { weak ??= r; continue; }
    emit(sink, 'sqli', r.id, 'sqli', r.score, part, 0, `${r.explanation}${note} [${fp.slice(0, 16)}]`);
    return true;
  }
  if (weak === undefined) return false;
  // A weak shape over a metadata object is the stronger finding (from rdb$fields).
  if (!metaRule(part, sink)) emit(sink, 'sqli', weak.id, 'sqli', weak.score, part, 0, `${weak.explanation}${note} [${fp.slice(0, 16)}]`);
  return true;
}

const BACKSLASH_SQ_RE = trackPattern(/\\'/g);
const BACKSLASH_DQ_RE = trackPattern(/\\"/g);

/**
 * The fingerprint rules once more for a value that breaks out with a backslash before its quote
 * (`x\' or 1=1--`): MySQL reads `\'` as an escaped quote, but PostgreSQL (standard strings), SQL Server,
 * SQLite and Oracle read a backslash as a plain character, so the quote closes the string. Only values
 * holding `\'` or `\"` are lexed again, with the backslashes before those quotes dropped.
 */
function backslashQuoteRule(part: Part, v: string, sink: FindingSink): boolean {
  if (v.indexOf("\\'") >= 0 && fingerprintRule(lexSql(v.replace(BACKSLASH_SQ_RE, "'"), "'"), 1, part, v, sink, ' (backslash before the quote)')) return true;
  return v.indexOf('\\"') >= 0 && fingerprintRule(lexSql(v.replace(BACKSLASH_DQ_RE, '"'), '"'), 2, part, v, sink, ' (backslash before the quote)');
}

const LINE_RE = trackPattern(/[\r\n]/);
const QUOTE_OF = [undefined, "'", '"'] as const;

/**
 * The fingerprint rules once more over the value with its line breaks kept, when a `#` or `--` comment
 * is followed by a line break: the database resumes the query on the next line (`-1#x⏎union select …`),
 * which the one-line normalized value hides inside the comment. Only values holding a comment marker, a line
 * break and UNION or SELECT are lexed again (prose with `--` attributions is not).
 */
function linesRule(part: Part, v: string, contexts: ReadonlyArray<0 | 1 | 2>, sink: FindingSink): boolean {
  if ((v.indexOf('union') < 0 && v.indexOf('select') < 0) || (v.indexOf('#') < 0 && v.indexOf('--') < 0) || !LINE_RE.test(part.value)) return false;
  const lined = normalizeValueLines(part.value, false);
  if (lined.indexOf('\n') < 0) return false;
  return textRule(part, lined, sink, ' (comment ended by a line break)', contexts);
}

/**
 * The fingerprint rules once more with `+` read as a space, for a value that holds `+` and no space
 * (`1+union+select+1,2,3#`, `1'+and+(select+pass+from+users+limit+1)='pass--`): a payload encoded as
 * `%2B` reaches an application that URL-decodes its parameters a second time (`urldecode()` on a
 * `$_GET` value) as spaces. Values with spaces use `+` as a character (`C++`, `a + b`) and are not
 * read again.
 */
function plusRule(part: Part, v: string, sink: FindingSink): boolean {
  return v.indexOf('+') >= 0 && v.indexOf(' ') < 0 && textRule(part, v.replace(PLUS_RE, ' '), sink, ' (+ read as a space)');
}

/** A path segment worth lexing on its own: it holds a space, a quote, a semicolon or a parenthesis. */
const SEGMENT_SQL_RE = trackPattern(/[\s'";(]/);
/** An inline SQL comment (slash-star, up to 64 characters, star-slash), which would otherwise split one segment at its slashes. */
const INLINE_COMMENT_RE = trackPattern(/\/\*[^/]{0,64}?\*\//g);
const SEGMENT_LEX_CHARS = 512;
const PLUS_RE = trackPattern(/\+/g);

/**
 * SQL injected into one path segment, as REST routes take ids from the path (`/users/1 or 1=1`,
 * `/items/1; drop table users`): the fingerprint rules read a value from its start, and the whole
 * path's leading `/api/users/` hides a bare-context injection in its last segment. Inline comments
 * become spaces first (`1%2F**%2For%2F**%2F1=1` decodes to an inline-comment-split `1 or 1=1`), then every segment holding a
 * space, quote, `;` or `(` is lexed on its own (its first 512 characters), in the bare context and
 * the quote contexts its quotes open, and once more with `+` read as a space when it holds one. Linear
 * in the path (itself bounded); at most one finding.
 */
function inspectPathSegments(part: Part, sink: FindingSink): void {
  let v = part.norm;
  if (v.indexOf('/*') >= 0) v = v.replace(INLINE_COMMENT_RE, ' ');
  if (!SEGMENT_SQL_RE.test(v)) return;
  for (let from = 0; from < v.length;) {
    let to = v.indexOf('/', from);
    if (to < 0) to = v.length;
    const seg = v.slice(from, Math.min(to, from + SEGMENT_LEX_CHARS));
    from = to + 1;
    if (seg.length < 3 || !SEGMENT_SQL_RE.test(seg)) continue;
    if (textRule(part, seg, sink, ' (in a path segment)')) return;
    // Routers that decode path parameters with urldecode() read `+` as a space (`24'union+all+select+1,2`).
    if (seg.indexOf('+') >= 0 && textRule(part, seg.replace(PLUS_RE, ' '), sink, ' (in a path segment, + read as a space)')) return;
  }
}

/**
 * The fingerprint rules over a text read once more (a path segment, the value with `+` as spaces or
 * with its line breaks kept), in the bare context and each quote context (by default those the text
 * opens); true when one fired.
 */
function textRule(part: Part, text: string, sink: FindingSink, note: string, contexts: ReadonlyArray<0 | 1 | 2> = quoteContexts(text)): boolean {
  for (const q of contexts) if (fingerprintRule(lexSql(text, QUOTE_OF[q]), q, part, text, sink, note)) return true;
  return false;
}

const SQLI_BITS = SQL_BIT | META_RULE.bit | EXTRACT_RULE.bit | B64_RULE.bit | HEX_LITERAL_RULE.bit | PERCENT_KEYWORD_RULE.bit | SYNTAX_RULE.bit;

/** The SQLi detector (`sqli-*`). Reads parameters, cookies, path and the content headers. */
export const sqliDetector: SignatureDetector = Object.freeze({
  id: 'sqli',
  classes: ['sqli'] as const,
  inspectParsed(parsed: ParsedRequest, _view: RequestView, sink: FindingSink): void {
    for (const part of activeParts(parsed)) {
      if (sink.findings.length >= sink.max) return;
      if ((partScan(part).mask & SQLI_BITS) === 0 || (part.kind === 'xml' && part.name === 'body:xml')) continue;
      if (!ruleReads(undefined, part)) continue;
      const before = sink.findings.length;
      inspectSqlPart(part, sink);
      if (part.kind === 'path' && sink.findings.length === before) inspectPathSegments(part, sink);
    }
    inspectOrmNames(parsed, sink);
  },
});
