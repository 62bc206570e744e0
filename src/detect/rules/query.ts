// Query-language detectors: NoSQL operators, LDAP filter injection, prototype pollution.

import type { ParsedRequest } from '../parts.js';
import { compileRules, emit, tableDetector, trackPattern, type FindingSink, type SignatureDetector } from '../signature.js';

const MONGO_OPS = 'ne|eq|gt|gte|lt|lte|in|nin|regex|where|exists|expr|or|and|not|nor|elemmatch|size|all|type|mod|text|function|accumulator|lookup|jsonschema';

/** NoSQL (MongoDB-style) operator injection (`nosqli-*`). */
export const nosqliDetector: SignatureDetector = tableDetector('nosqli', 'nosqli', compileRules([
  { id: 'nosqli-001', score: 5, needles: ['[$'], kinds: ['name'], pattern: `\\[\\s*\\$(?:${MONGO_OPS})\\s*\\]`, explanation: 'operator in a parameter name (param[$ne]=)' },
  { id: 'nosqli-002', score: 5, needles: ['$'], kinds: ['name'], pattern: `^\\$(?:${MONGO_OPS})$`, explanation: 'operator as a JSON key' },
  { id: 'nosqli-003', score: 5, needles: ['$'], pattern: `\\$where\\s*:|\\{\\s*['"]?\\$(?:${MONGO_OPS})['"]?\\s*:|^\\s?\\[\\s?\\$(?:${MONGO_OPS})\\s?\\]\\s?=`, explanation: 'operator object inside a value' },
  { id: 'nosqli-004', score: 5, needles: ['return', 'this.', 'db.', '||', 'sleep'], pattern: '[\'"]\\s*;\\s*return\\s?(?:\\(?\\s?(?:true|1|this|!0)\\b|[\'"][^\'"]{0,20}[\'"]\\s?===?)|\\bthis\\.[a-z_]{1,30}\\s*(?:===?|!=|\\.match\\s*\\()|\\bdb\\.[a-z_]{1,40}\\.(?:find|insert|drop|remove|update|count)\\s*\\(|[\'"]\\s*\\|\\|\\s*[\'"]?(?:1|true|[a-z])[\'"]?\\s*===?\\s*[\'"]?(?:1|true|[a-z])|;\\s*sleep\\s*\\(\\s*\\d', explanation: 'server-side JavaScript in a NoSQL query' },
]));

/** LDAP filter injection (`ldapi-*`). */
export const ldapiDetector: SignatureDetector = tableDetector('ldapi', 'ldapi', compileRules([
  { id: 'ldapi-001', score: 5, needles: [')(', ')', '(|', '(&', '(!'], pattern: '\\*\\s*\\)\\s*\\(\\s*(?:[|&!]|[a-z]{1,30}\\s*[~<>]?=)|\\)\\s*\\(\\s*[|&!]\\s*\\(|\\)\\s*\\(\\s*[a-z]{1,30}\\s*[~<>]?=|^\\s*\\*\\s*\\)\\s*[|&(]|\\)\\s*\\(\\s*[|&!]\\s*$', explanation: 'LDAP filter metacharacters closing and opening filters' },
  { id: 'ldapi-002', score: 5, needles: ['objectclass', 'userpassword', 'samaccountname', 'uid=*', 'cn=*'], pattern: '\\(\\s*(?:objectclass|userpassword|samaccountname|uid|cn|mail)\\s*=\\s*\\*|(?:uid|cn)=\\*\\)', explanation: 'LDAP wildcard filter on an identity attribute' },
]));

/** Prototype pollution in parameter names, JSON keys or values (`proto-*`); class anomaly. */
export const prototypeDetector: SignatureDetector = tableDetector('prototype', 'anomaly', compileRules([
  { id: 'proto-001', score: 5, needles: ['__proto__', 'prototype'], pattern: '__proto__|constructor[\'"]?\\s*(?:\\.|(?:\\]\\s*)?\\[)\\s*(?:[\'"]\\s*)?prototype', explanation: 'prototype pollution key (`__proto__`, `constructor.prototype`, `a[constructor][prototype]`, `o["constructor"]["prototype"]`)' },
]));

const ORM_LOOKUP = String.raw`(?:i?startswith|i?endswith|i?contains|i?regex|i?exact|isnull|gte?|lte?|in|range)`;
/** Django/ORM filter lookups on secret or privilege fields, or through a long relation chain (ORM leak). */
const ORM_LEAK_RE = trackPattern(new RegExp(String.raw`(?:^|__|\.)(?:password|passwd|pwd|username|user_name|email|token|secret|api_key|apikey|otp|reset_token|is_staff|is_superuser|is_admin)__${ORM_LOOKUP}$|(?:^|\.)(?:[a-z0-9]{1,40}(?:_[a-z0-9]{1,40}){0,5}__){3,12}${ORM_LOOKUP}$`));
const ORM_HAS_KEY_RE = trackPattern(/__has_(?:any_)?keys?$/);
const PRIV_KEY_RE = trackPattern(/^\s*is_(?:admin|staff|superuser)\s*$/);
const ORM_NAME_GATE = '__';

/** ORM filter injection (`sqli-030`): lookups on secrets or privileges in parameter or JSON key names. Run by the SQLi detector. */
export function inspectOrmNames(parsed: ParsedRequest, sink: FindingSink): void {
  for (const part of parsed.parts) {
    const name = part.param;
    if (name === undefined || (part.kind !== 'query' && part.kind !== 'body' && part.kind !== 'json') || !name.includes(ORM_NAME_GATE)) continue;
    const key = (name.length > 200 ? name.slice(0, 200) : name).toLowerCase();
    if (ORM_LEAK_RE.test(key) || (ORM_HAS_KEY_RE.test(key) && PRIV_KEY_RE.test(part.norm))) {
      emit(sink, 'sqli', 'sqli-030', 'sqli', 5, part, 0, `ORM filter lookup on a secret or privilege field (${key.slice(0, 60)})`);
      return;
    }
  }
}
