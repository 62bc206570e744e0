// SQL injection detector: lexes each value in three contexts and matches token fingerprints.

import type { RequestView } from '../../core/index.js';
import { partSqlTokens, type ParsedRequest, type Part } from '../parts.js';
import { fingerprint, type SqlToken } from '../sqllex.js';
import { emit, ruleReads, type FindingSink, type SignatureDetector, trackPattern } from '../signature.js';

/** Functions that only attacks call from a request value. */
const STRONG_FUNCS = new Set(['sleep', 'benchmark', 'pg_sleep', 'load_file', 'extractvalue', 'updatexml',
  'xp_cmdshell', 'sys_eval', 'sys_exec', 'name_const', 'group_concat', 'randomblob', 'utl_inaddr',
  'get_host_address', 'receive_message', 'make_set', 'elt', 'gtid_subset', 'json_keys', 'exp',
  'polygon', 'multipoint', 'geometrycollection', 'linestring', 'multilinestring', 'multipolygon', 'st_latfromgeohash',
  'pg_read_file', 'lo_import', 'dbms_xmlgen', 'ctxsys', 'xmltype', 'sqlite_version', 'load_extension', 'openrowset', 'opendatasource']);
/** Functions common in attacks but also in code snippets: weak alone. */
const WEAK_FUNCS = new Set(['char', 'chr', 'concat', 'concat_ws', 'version', 'database', 'user', 'substring',
  'substr', 'ascii', 'ord', 'mid', 'hex', 'unhex', 'cast', 'convert', 'if', 'iif', 'count', 'length', 'schema',
  'md5', 'sha1', 'isnull', 'ifnull', 'coalesce', 'nvl', 'instr', 'left', 'right', 'reverse', 'rand', 'floor']);
const META_NAMES = /information_schema|sysobjects|syscolumns|mysql\.user|pg_shadow|pg_catalog|sqlite_master|all_tables|user_tables|msysobjects|@@version|@@datadir|xp_cmdshell|sp_executesql|sp_oacreate|into (?:out|dump)file|waitfor delay|dbms_pipe|dbms_lock|utl_http/;

/** Secrets are random text: a trailing quote-comment in them is not evidence. */
const SECRET_PARAM_RE = trackPattern(/pass|pwd|secret|token|key/i);
const ALPHA_RE = trackPattern(/^[a-z]/);
const ORDER_BY = new Set(['order by', 'group by']);

/** Index of the first token after the leading value and its closing parentheses. */
function firstAfter(tokens: readonly SqlToken[]): number {
  let i = 1;
  while (tokens[i]?.kind === ')') i++;
  return i;
}

interface SqlRule { readonly id: string; readonly re: RegExp; readonly score: number; readonly quoted: boolean; readonly bare: boolean; readonly explanation: string }

/** Fingerprint rules. `quoted`: applies in the quote-breakout contexts; `bare`: in the as-is context. */
const FP_RULES: readonly SqlRule[] = Object.freeze([
  { id: 'sqli-001', re: /^s\)*&\(*(?:[1v]\)*(?:[oa&c;)]|$)|f\(|\(|[sn]\)*(?:o|&|c|;|\)))/, score: 5, quoted: true, bare: false, explanation: 'string breakout followed by a boolean condition (tautology)' },
  { id: 'sqli-002', re: /^[oa]?1\)*&\(*[1sv]\)*o\(*[1sv]/, score: 5, quoted: false, bare: true, explanation: 'numeric value followed by a boolean comparison (tautology)' },
  { id: 'sqli-003', re: /Uk?E(?:[1svf(oa]|n[,k.]|n$|kn|\(|$)/, score: 5, quoted: true, bare: true, explanation: 'UNION SELECT' },
  { id: 'sqli-004', re: /^(?:s|1)\)*;\(*E(?:[kvf1s(oac]|n[,(;.sc]|nk|$)/, score: 5, quoted: true, bare: true, explanation: 'stacked query after a value' },
  { id: 'sqli-005', re: /^s\)*c$/, score: 5, quoted: true, bare: false, explanation: 'string breakout followed by a comment (query truncation)' },
  { id: 'sqli-006', re: /^1\)+(?:c|&|;|U)/, score: 5, quoted: false, bare: true, explanation: 'numeric value closing parentheses then SQL' },
  { id: 'sqli-007', re: /^so\(*(?:s|[1vf(]\)*(?:[o&c;]|$))/, score: 5, quoted: true, bare: false, explanation: 'string breakout into a comparison or concatenation' },
  { id: 'sqli-008', re: /^s\)*(?:Uk?E|;\(*[E&c]|E(?:[oa1vf(s]|n[,k]|k))/, score: 5, quoted: true, bare: false, explanation: 'string breakout into a new statement or UNION' },
  { id: 'sqli-009', re: /^&\(*[1sv]\)*o\(*[1sv]/, score: 5, quoted: false, bare: true, explanation: 'leading boolean comparison (OR 1=1)' },
  { id: 'sqli-010', re: /E(?:[oa]|1|v|f|n,)[^;]{0,12}k/, score: 4, quoted: false, bare: true, explanation: 'SELECT column list FROM ...' },
  { id: 'sqli-011', re: /^s\)*&\(*E/, score: 5, quoted: true, bare: false, explanation: 'string breakout into a subquery condition' },
  { id: 'sqli-013', re: /^(?:s|1)\)*kk\(*[1nv]/, score: 5, quoted: true, bare: true, explanation: 'ORDER/GROUP BY column probe after a value' },
  { id: 'sqli-012', re: /^[1n]\)*&\(*(?:E|f\(E)/, score: 5, quoted: false, bare: true, explanation: 'boolean subquery after a value' },
]);

function strongFunction(tokens: readonly SqlToken[]): number {
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind !== 'f') continue;
    const prev = tokens[i - 1];
    if (STRONG_FUNCS.has(t.text) && (prev === undefined || prev.kind !== '.' || (tokens[i - 2]?.text ?? '').startsWith('dbms_'))) return i;
  }
  return -1;
}

function weakEvidence(tokens: readonly SqlToken[]): boolean {
  let weak = 0;
  for (const t of tokens) if (t.kind === 'f' && WEAK_FUNCS.has(t.text)) weak++;
  return weak >= 2;
}

function inspectPart(part: Part, sink: FindingSink): void {
  const v = part.norm;
  if (v.length < 2) return;
  const contexts: Array<0 | 1 | 2> = [0];
  if (v.includes("'")) contexts.push(1);
  if (v.includes('"')) contexts.push(2);
  let fired = false;
  for (const q of contexts) {
    const tokens = partSqlTokens(part, q);
    const fp = fingerprint(tokens);
    for (const r of FP_RULES) {
      if ((q === 0 ? !r.bare : !r.quoted)) continue;
      if (r.re.test(fp)) {
        if (r.id === 'sqli-005' && ((tokens[tokens.length - 1]?.text.length ?? 0) > 4 || SECRET_PARAM_RE.test(part.param ?? ''))) continue;
        if (r.id === 'sqli-007' && ALPHA_RE.test(tokens[1]?.text ?? '')) continue;
        if (r.id === 'sqli-013' && !ORDER_BY.has(`${tokens[firstAfter(tokens)]?.text ?? ''} ${tokens[firstAfter(tokens) + 1]?.text ?? ''}`)) continue;
        emit(sink, 'sqli', r.id, 'sqli', r.score, part, 0, `${r.explanation} [${fp.slice(0, 16)}]`);
        return;
      }
    }
    if (!fired) {
      const fi = strongFunction(tokens);
      if (fi >= 0) { emit(sink, 'sqli', 'sqli-020', 'sqli', 5, part, v.indexOf(tokens[fi]!.text), `attack-only SQL function ${tokens[fi]!.text}()`); fired = true; return; }
    }
  }
  const m = META_NAMES.exec(v);
  if (m) { emit(sink, 'sqli', 'sqli-021', 'sqli', 5, part, m.index, 'database metadata or command object referenced'); return; }
  const tokens = partSqlTokens(part, 0);
  if (weakEvidence(tokens)) emit(sink, 'sqli', 'sqli-022', 'sqli', 3, part, 0, 'several SQL functions in one value');
}

/** The SQLi detector (`sqli-*`). Reads parameters, cookies, path and the content headers. */
export const sqliDetector: SignatureDetector = Object.freeze({
  id: 'sqli',
  classes: ['sqli'] as const,
  inspectParsed(parsed: ParsedRequest, _view: RequestView, sink: FindingSink): void {
    for (const part of parsed.parts) {
      if (sink.findings.length >= sink.max) return;
      if (part.kind === 'xml' && part.name === 'body:xml') continue;
      if (!ruleReads(undefined, part)) continue;
      inspectPart(part, sink);
    }
  },
});
