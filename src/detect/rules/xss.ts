// XSS detector: HTML lexer over each value for tags, handlers and script URLs, plus JS sink shapes.

import type { RequestView } from '../../core/index.js';
import { htmlTags } from '../htmllex.js';
import { base64Forms } from './java.js';
import { presenceTable, presentRules } from './present.js';
import type { ParsedRequest, Part } from '../parts.js';
import { activeParts, addGateNeedles, allocateBit, compileRules, emit, partScan, ruleReads, runRule, type FindingSink, type SignatureDetector, trackPattern } from '../signature.js';

const SCRIPT_TAGS = new Set(['script']);
const STRONG_TAGS = new Set(['iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'base', 'isindex', 'xss', 'import', 'handler', 'listener', 'vmlframe']);
const WEAK_TAGS = new Set(['svg', 'math', 'style', 'link', 'meta', 'form', 'xml', 'img', 'image', 'video', 'audio',
  'body', 'input', 'button', 'details', 'marquee', 'animate', 'set', 'a', 'div', 'source', 'textarea', 'select',
  'keygen', 'bgsound', 'layer', 'ilayer', 'template', 'table', 'td', 'object', 'title', 'html', 'head', 'plaintext', 'xmp', 'noscript']);
const URL_ATTRS = /^(?:href|src|action|formaction|data|xlink:href|from|to|values|background|poster|srcdoc|dynsrc|lowsrc|code|codebase|content|by|style|onload|value|http-equiv)$/;
const SCRIPT_URL = trackPattern(/^(?:javascript|vbscript|livescript|mocha)\s*:|^data\s*:\s*(?:text\/html|image\/svg|application\/(?:x-)?(?:javascript|ecmascript|xhtml))/);
const STYLE_SCRIPT = trackPattern(/expression\(|url\(['"]?javascript/);
const HANDLER = /^on[a-z]{3,}$/;
// eslint-disable-next-line no-control-regex
const CTRL_WS = /[\u0000-\u0020]+/g;

/** DOM event-handler names after `on` (a group), for the bare-name probe (xss-019) and unquoted handler attributes (xss-045). */
const HANDLER_NAMES = '(?:abort|activate|after[a-z]{3,20}|animation(?:start|end|iteration)|before[a-z]{3,20}|begin|blur|bounce|canplay(?:through)?|change|click|contextmenu|copy|cut|dblclick|drag(?:start|end|enter|leave|over|drop)?|drop|durationchange|end|ended|error|finish|focus(?:in|out)?|hashchange|input|invalid|key(?:down|press|up)|layoutcomplete|load(?:start|end|eddata|edmetadata)?|losecapture|message|mouse(?:down|enter|leave|move|out|over|up|wheel)|move(?:start|end)?|offline|pagehide|pageshow|paste|pause|play(?:ing)?|popstate|progress|propertychange|readystatechange|repeat|reset|resize(?:start|end)?|resume|reverse|scroll|seek(?:ed|ing)?|select(?:start|ionchange)?|show|start|stop|storage|submit|suspend|timeupdate|toggle|touch(?:start|end|move|cancel)|transition(?:start|end|run|cancel)|unload|volumechange|waiting|wheel|animationcancel|auxclick|cancel|close|cuechange|deactivate|formdata|gotpointercapture|lostpointercapture|pointer(?:down|up|move|over|out|enter|leave|cancel|rawupdate)|rowexit|rowenter|rowsdelete|rowsinserted|rowdelete|rowinserted|search|securitypolicyviolation|slotchange|webkit[a-z]{6,40}|fullscreen(?:change|error)|message(?:error)?|datasetchanged|dataavailable|datasetcomplete|errorupdate|filterchange|help|mediacomplete|mediaerror|outofsync|syncrestored|trackchange|urlflip|controlselect|lose(?:capture)?|scrollend|beforetoggle|contentvisibilityautostatechange|pagereveal|pageswap|emptied|loadedmetadata|ratechange|stalled|visibilitychange)';

/** JS and CSS rules, in order: the first that matches a value is its one JS finding (so 5-point rules come before the 4-point ones they overlap). */
const JS_RULES = compileRules([
  { id: 'xss-020', score: 5, needles: ['+adw-', '+ad4-', '+adw', '+ad4'], pattern: String.raw`\+ad[w4]-|\+adw[a-z0-9+/]{0,8}-`, explanation: 'UTF-7 encoded angle bracket (+ADw-)' },
  { id: 'xss-021', score: 5, needles: ['phnjcmlwd', 'pglmcmftz', 'pgltzybzcm', 'phn2zybvbm', 'pgjvzhkgb25', 'pg9iamvjd', 'pgvtymvk', 'pgegahjlzj0iamf2yxnjcmlwd'], pattern: String.raw`(?:^\s*|base64[^,\s]{0,12},\s*)(?:phnjcmlwd|pglmcmftz|pgltzybzcm|phn2zybvbm|pgjvzhkgb25|pg9iamvjd|pgvtymvk|pgegahjlzj0iamf2yxnjcmlwd)`, explanation: 'base64-encoded script, frame or handler markup' },
  { id: 'xss-010', score: 5, needles: ['javascript', 'vbscript', 'livescript', 'script:', 'script :', 'j a v a', 'v b s c'], pattern: '^[\\s"\'(]{0,4}(?:j\\s?a\\s?v\\s?a\\s?s\\s?c\\s?r\\s?i\\s?p\\s?t|v\\s?b\\s?s\\s?c\\s?r\\s?i\\s?p\\s?t|livescript)\\s*:', explanation: 'value is a script URL' },
  { id: 'xss-011', score: 5, needles: ['on'], pattern: '["\'`][\\s/]*on[a-z]{3,24}\\s*=', explanation: 'attribute breakout into an event handler' },
  { id: 'xss-012', score: 5, needles: ['alert', 'prompt', 'confirm', 'eval', 'print'], pattern: '["\'`;)][\\s+\\-*/%|&,;)(]{0,6}(?:top|self|window|parent|frames)?(?:\\[[^\\]]{1,30}\\]|\\.)?(?:alert|prompt|confirm|eval|print)\\s*[(`]', explanation: 'string breakout into a JS call' },
  { id: 'xss-022', score: 5, needles: ['.call', '.apply', '.bind', "'+'", '"+"', '](javascript', '](vbscript', 'alert', 'confirm', 'prompt', 'eval', '.source', '. source', 'function`', 'function `'], pattern: String.raw`\b(?:eval|alert|prompt|confirm|unescape|settimeout|function)\s*\.\s*(?:call|apply|bind)\s*\(|\b(?:function|eval|settimeout|setinterval)\s?\x60|\bon[a-z]{3,24}\s*=\s*(?:alert|confirm|prompt|eval)\b|['"]ev['"]\s*\+\s*['"]al['"]|['"]al['"]\s*\+\s*['"]ert['"]|\]\(\s*(?:javascript|vbscript)\s*:|\.[a-z]{2,20}\]?\s*\((?:[^()]{0,60}?,)?\s*(?:alert|confirm|prompt|eval)\s*\)|/[a-z]{1,10}/\s*\.\s*source\s*\+|/[a-z]{1,10}/{1,3}\s?\.\s?source\b`, explanation: 'JS dialog or eval reached indirectly (.call, handler assignment, split names, markdown link)' },
  { id: 'xss-023', score: 5, needles: ['javascript:', 'vbscript:', 'livescript:'], pattern: String.raw`(?:^|[^a-z0-9_.-])(?:javascript|vbscript|livescript):(?:(?:javascript|vbscript):){0,4}[;!+~(\['"\x60]{0,4}(?:top|self|window|parent|this|document|location|alert|confirm|prompt|eval|msgbox|settimeout|setinterval|fetch|import|history|constructor)\b`, explanation: 'script URL running code, anywhere in a value (?cb=javascript:alert(1))' },
  { id: 'xss-024', score: 5, needles: ['-->]]>'], pattern: String.raw`["'\x60]{1,3}\s?-->\s?\]\]>`, explanation: 'context-breaking polyglot (quotes, comment and CDATA closers)' },
  { id: 'xss-025', score: 5, needles: ['alert', 'prompt', 'confirm', 'tostring', 'valueof', 'http-equiv'], pattern: String.raw`\b(?:alert|prompt|confirm)\(\s?(?:document|location|window|top|self|parent)\b|\{\s?(?:tostring|valueof)\s?:\s?(?:alert|prompt|confirm|eval)\b|<meta[^>]{0,80}http-equiv\s?=\s?["']?(?:set-cookie|refresh)`, explanation: 'dialog call leaking page state, implicit-conversion call ({toString:alert}), or meta tag setting cookies or redirecting' },
  { id: 'xss-026', score: 5, raw: true, flags: 'i', needles: ['\u3c00', '\u00bc', '\\xbc'], pattern: String.raw`(?:[\u3c00\u00bc]|(?<!\\x[c-f][0-9a-f])\\x(?:c2\\x)?bc)\/?(?:script|img|svg|iframe|body|a|div|style|object|embed)(?:[\s\u3e00\u00be/]|\\x(?:c2\\x)?be)`, explanation: 'markup in mis-decoded encodings (UTF-16 \u3c00script\u3e00, high-bit ASCII \u00bcscript\u00be, also written as \\xbc escapes)' },
  { id: 'xss-027', score: 5, needles: ['call`', 'call `', 'apply`', 'apply `', 'bind`', 'bind `', '${alert', '${ alert', '${confirm', '${ confirm', '${prompt', '${ prompt', '${eval', '${ eval'], pattern: String.raw`\.\s?(?:call|apply|bind)\s?\x60|\$\{\s?(?:alert|confirm|prompt|eval)\s?\}`, explanation: 'function called through a tagged template (no parentheses: [].sort.call\x60${alert}\x60)' },
  { id: 'xss-028', score: 5, needles: ['![]', '! []'], pattern: String.raw`\(\s?!!?\s?\[\s?\]\s?[+\s]\s?\[\s?\]\s?\)\s?\[[^]{0,300}?\(\s?!!?\s?\[\s?\]\s?[+\s]\s?\[\s?\]\s?\)\s?\[`, explanation: 'JSFuck: code spelled from (![]+[])[…] and (!![]+[])[…] strings' },
  { id: 'xss-029', score: 5, needles: ["['", '["', '[`', '[ ', '[/*'], pattern: String.raw`\[(?<=\b(?:top|self|window|parent|frames|globalthis|this|document|content)\s?\)?\s?(?:/\*[^*]{0,40}\*/\s?)?\[)\s?(?:/\*[^*]{0,40}\*/\s?)?['"\x60](?:(?:alert|prompt|confirm|eval|document|cookie|location|domain|settimeout|setinterval|function|constructor|atob|\$|\\x[0-9a-f]{2}|\\u[0-9a-f]{4})['"\x60]|[a-z]{1,20}['"]\s?\+\s?['"])`, explanation: 'dialog, eval, jQuery\'s $ or page secrets reached by a bracketed string name, an escaped one, or a name built by concatenation (top[\'alert\'](1), self["document"]["cookie"], self["\\x24"], this["ownerDocu"+"ment"])' },
  { id: 'xss-030', score: 5, needles: ['/*'], pattern: String.raw`\b(?:document|window|self|top)\s?(?:/\*[^*]{0,40}\*/\s?\.|\.\s?/\*[^*]{0,40}\*/)\s?(?:/\*[^*]{0,40}\*/\s?)?(?:cookie|domain|location|write|body|createelement)\b`, explanation: 'DOM property reached with comments inside the access (document/**/.cookie)' },
  { id: 'xss-031', score: 5, needles: ['activexobject', 'parentwindow', 'import', 'dataformatas', 'datasrc', '&{'], pattern: String.raw`\bnew\s+activexobject\s?\(|\.parentwindow\s?\.|<\??import\s?(?:\s[^>]{0,80})?implementation\s?=|\bdataformatas\s?=\s?["']?html|\bdatasrc\s?=\s?["']?#|&\{\s?(?:alert|prompt|confirm|eval|document|window|location)\b`, explanation: 'legacy browser script execution (ActiveX, HTC behaviours, data binding, Netscape &{…} JS entities)' },
  { id: 'xss-033', score: 5, needles: ['\\'], pattern: String.raw`(?:\\(?:152|j)|j(?=[a-z:\\0-7]{0,43}\\))(?:\\141|\\?a)(?:\\166|\\?v)(?:\\141|\\?a)(?:\\163|\\?s)(?:\\143|\\?c)(?:\\162|\\?r)(?:\\151|\\?i)(?:\\160|\\?p)(?:\\164|\\?t)(?:\\072|\\?:)`, explanation: 'javascript: spelled with JS escapes (\\152\\141… octal or \\j\\a… identity escapes)' },
  { id: 'xss-035', score: 5, needles: ['\\'], pattern: String.raw`(?:\\0{0,4}[2-7][0-9a-f]\s?){6}`, explanation: 'text spelled with CSS hex escapes (width:\\0065\\0078… spells expression)' },
  { id: 'xss-036', score: 5, needles: ['eval', 'alert', 'prompt', 'confirm'], pattern: String.raw`=\s?(?:eval|alert|prompt|confirm)\s?[,;]\s?[$\w]{1,10}(?:\.[$\w]{1,12})?\s?(?:=\s?(?:eval|alert|prompt|confirm|unescape)\b|\()`, explanation: 'eval or a dialog function aliased to a variable or property, then something called (a=eval;b=alert;a(b(1)), toJSON=alert;JSON.stringify(window))' },
  { id: 'xss-037', score: 5, needles: ['location'], pattern: String.raw`(?:^|[;"'])\s?(?:window\.|document\.|top\.)?location\s?=\s?(?:name|window\.name|top\.name|location\.hash(?:\.(?:slice|substr|substring)\(\s?\d{1,2}\s?\))?|document\.url)\s?(?:;|$|//)|^\s?(?:window\.|document\.|top\.)?location(?:\.href)?\s?=\s?["'](?:https?:)?//[^"'\s]{1,200}["']\s?;?\s?$`, explanation: 'page location set from attacker-controlled text (location=name, location=location.hash, location=location.hash.slice(1)), or a whole value that is a JS redirect statement (location="//evil";)' },
  { id: 'xss-039', score: 5, needles: ['script', 's c r i p t', 'f o r m', 'd i a l o g', 'i f r a m e', 'o b j e c t', 'e m b e d', 's v g', 'i m g', 'b o d y'], pattern: String.raw`(?:^|[^a-z])(?<![\u00c0-\u00ff][13]\u2044[34])script[^\s<>]{1,8}?(?:alert|prompt|confirm|eval)\([^]{0,80}?/script|<\s?(?:s\sc\sr\si\sp\st|f\so\sr\sm|d\si\sa\sl\so\sg|i\sf\sr\sa\sm\se|o\sb\sj\se\sc\st|e\sm\sb\se\sd|s\sv\sg|i\sm\sg|b\so\sd\sy)(?:\s?>|\s(?:[a-z]\s?){1,12}=|$)`, explanation: 'script markup whose angle brackets were mis-decoded (\u00fbscriptualert(1)\u00fb/scriptu; not after a UTF-8 lead byte, where \\xd0\\xbc is a letter) or spaced out (< s c r i p t >, <f o r m)' },
  { id: 'xss-040', score: 5, needles: ['0||', '0 ||', "0?'", '0?"', '0 ?', "0? '", '0? "'], pattern: String.raw`\b0\s?(?:\|\||\?\s?(?:'[^']{1,8}'|"[^"]{1,8}")\s?:)\s?['"][^'"\n]{0,10}['"][^'"\n]{0,24}['"]?[^'"\n]{0,24}?\b0\s?(?:\|\||\?\s?(?:'[^']{1,8}'|"[^"]{1,8}")\s?:)\s?['"]`, explanation: 'string pieces chosen through dead branches of JS conditions (x=0||\'al\', s=0?\'1\':\'fr\'): names assembled past a filter' },
  { id: 'xss-044', score: 5, needles: ['">', "'>", '" >', "' >", '"/>', "'/>", '`>'], pattern: String.raw`^[^<>]{0,80}?["'\x60]\s?/?>\s?</?[a-z][a-z0-9]{0,10}[\s/>]`, explanation: 'attribute breakout into a new tag: the value closes a quote and the tag it sits in before any tag of its own ("><img …, \'></title><a …)' },
  { id: 'xss-045', score: 5, needles: ['on'], pattern: String.raw`(?:^|[\s/;,(])on` + HANDLER_NAMES + String.raw`\s?=\s?[^\s=>]`, explanation: 'unquoted event-handler attribute with code (x onfocus=alert(1) breaks out of an unquoted attribute value)' },
  { id: 'xss-042', score: 5, needles: ['\'">', '"\'>'], pattern: String.raw`^[&\s]?(?:'"|"')\s?>\s?[a-z]`, explanation: 'value opens with the quote-quote-angle breakout probe (\'">text): both attribute quotes and the tag closed' },
  { id: 'xss-041', score: 5, needles: ['"+document', "'+document", '"+ document', "'+ document", '" +document', "' +document", '" + document', "' + document", '114,105,112,116', '114, 105, 112, 116', '114,116,40', '114, 116, 40'], pattern: String.raw`^\s?["'\x60]\s?\+\s?document\s?\.\s?(?:cookie|domain|location)\b|\b\d{2,3},\s?(?:99,\s?114,\s?105,\s?112,\s?116|114,\s?116,\s?40),\s?\d{2,3}\b`, explanation: 'string breakout concatenating document.cookie ("+document.cookie+"), or a character-code list spelling script or a call (fromCharCode arguments: 115,99,114,105,112,116)' },
  { id: 'xss-014', score: 5, needles: ['document', 'window', 'location', 'cookie', 'innerhtml', 'outerhtml'], pattern: '(?:document\\s*\\.\\s*(?:cookie|write(?:ln)?|domain|location)|window\\s*\\.\\s*(?:location|open|name)|location\\s*\\.\\s*(?:href|replace|assign)|\\.innerhtml)\\s*[=(]|^\\s?(?:inner|outer)html\\s?=\\s?(?:document|location|window|top|self|name\\b)', explanation: 'DOM sink assignment or call' },
  { id: 'xss-016', score: 5, needles: ['expression', 'binding', 'behavior', '@import', 'url(', 'url ('], pattern: '(?:expression\\s*(?:\\(|\\\\0{0,4}28)|-moz-binding\\s*:|behavior\\s*:\\s*url|@import\\s|\\burl\\s?\\(\\s?[\'"]?\\s?(?:javascript|vbscript)\\s?(?::|$))', explanation: 'CSS script execution' },
  { id: 'xss-018', score: 5, needles: ['{{', 'constructor'], pattern: '\\{\\{[^}]{0,80}constructor', explanation: 'AngularJS sandbox escape' },
  { id: 'xss-013', score: 4, needles: ['alert', 'prompt', 'confirm'], pattern: '(?:^|[^a-z0-9_$.])(?:alert|prompt|confirm)(?:\\(|`|\\s{1,4}(?:`|\\(\\s?[\'"`\\d)]))', explanation: 'JS dialog call (a space before the parenthesis only with a literal argument: prose says "confirm (the time)")' },
  { id: 'xss-015', score: 4, needles: ['fromcharcode', 'atob', 'constructor', 'settimeout', 'setinterval', 'eval('], pattern: '(?:string\\s*\\.\\s*fromcharcode|\\batob|\\.constructor|\\bsettimeout|\\bsetinterval|\\beval)\\s*[(`]', explanation: 'JS code construction call' },
  { id: 'xss-017', score: 4, needles: ['</script', '</title', '</textarea', '</style', '</noscript', '</xmp', '</iframe'], pattern: '</(?:script|title|textarea|style|noscript|xmp|iframe)', explanation: 'closing tag that breaks out of a raw-text context' },
]);

const JS_TABLE = presenceTable(JS_RULES);

/** `<script`, `javascript:` and load/error handlers in base64 at any alignment, anywhere in a value (`data=PHN2ZyB4bWxucz0i…PjxzY3JpcHQ+…`). */
const MARKUP_B64 = ['<script', 'javascript:', ' onerror=', ' onload='].flatMap((t) => base64Forms(Buffer.from(t)));
/** Base64 markup (letters and digits only at some alignments) and escape-only values: checked on plain values too. */
const B64_RULES = compileRules([
  { id: 'xss-034', score: 5, needles: MARKUP_B64.map((f) => f.slice(0, 8)), pattern: MARKUP_B64.join('|'), explanation: 'base64 of a script tag, script URL or event handler inside a value' },
  // xss-043: a whole value spelled only with JS escapes of printable ASCII (`\u0061\u006c\u0065\u0072\u0074` is `alert`): no
  // client escapes plain letters. Raw, since the normalized value is plain text.
  { id: 'xss-043', score: 5, raw: true, flags: 'i', needles: ['\\u00', '\\x'], pattern: String.raw`^\s?(?:\\(?:u00[2-7][0-9a-f]|x[2-7][0-9a-f])){4,}\s?$`, explanation: 'value spelled only with JS escapes of plain ASCII (\\u0061\\u006c…)' },
]);
const ESCAPED_RULE = B64_RULES[1]!;

/** xss-046: JSFuck atoms, JavaScript spelled with `[]()!+` only (`(![]+[])[+!+[]]` is "a"); beside the JS table, which is full. */
const JSFUCK_RULE = compileRules([
  { id: 'xss-046', score: 5, needles: ['!!', '!+', '![', '! '], pattern: String.raw`(?:[+ ]\s?!\s?!\s?\[\s?\]|[+ ]\s?!\s?[+ ]\s?\[\s?\]|!\s?\[\s?\]\s?[+ ]\s?\[\s?\])(?=\s?(?:[\[\]()!+]|$))`, explanation: 'JSFuck atoms (+!![], +!+[], ![]+[], spaced, or with the + of a form body read as a space) followed by more of []()!+ or the end: JavaScript spelled with []()!+ only' },
])[0]!;

/** Bare event-handler names: letters only, so they are checked on plain values too. */
const HANDLER_NAME_RULES = compileRules([
  { id: 'xss-019', score: 3, needles: ['on'], pattern: `^\\s*on${HANDLER_NAMES}\\s*=?\\s*$`, explanation: 'value is a DOM event-handler name (XSS probe)' },
]);

/**
 * xss-032: a JS call whose parenthesis is an HTML entity (`alert&#40;1&#41;`): written to get past a filter. The
 * entity is gone from the normalized value, so the raw one is read, only when it holds a `&`.
 */
const ENTITY_CALL_RE = trackPattern(/\b(?:alert|prompt|confirm|eval|settimeout|setinterval)\s?(?:&#0{0,6}40;?|&#x0{0,6}28;?|&lpar;)/i);

/** Short quoted string literals (≤ 8 characters) and the names their concatenation must not spell. */
const SHORT_LITERAL_RE = trackPattern(/'([^'\n]{0,8})'|"([^"\n]{0,8})"/g);
const ASSEMBLED_RE = trackPattern(/javascript:|alert\(|prompt\(|confirm\(|eval\(|iframe|document\.cookie|location\.hash/);
/** Operators that glue literals in JS (`'jav'+'ascript'`, `!''&&'jav'`, `0?'':'i'`, `['java'||''+'']`). */
const GLUE = ["'+'", '"+"', "+'", "'+", "&&'", "||'", "?'':'", '?"":"'];

/**
 * xss-038: code spelled from short string literals glued by JS operators (`s1=''+'java'+''+'scr'+'';s2=''+'ipt'+':'…`):
 * the literals, joined in order, spell a script URL, a dialog or eval call, an iframe or a page secret.
 */
function assembledScript(v: string): number {
  let joined = '';
  let n = 0;
  let first = -1;
  for (const m of v.matchAll(SHORT_LITERAL_RE)) {
    joined += m[1] ?? m[2] ?? '';
    if (first < 0) first = m.index;
    if (++n >= 64) break;
  }
  return n >= 4 && ASSEMBLED_RE.test(joined) ? first : -1;
}

/** Gate of the HTML lexer: a value without `<` has no tag. */
const TAG_BIT = allocateBit();
addGateNeedles(['<'], TAG_BIT);
/** Gate of xss-038: a JS operator gluing string literals. */
const GLUE_BIT = allocateBit();
addGateNeedles(GLUE, GLUE_BIT);
const XSS_BITS = TAG_BIT | JS_RULES[0]!.bit | HANDLER_NAME_RULES[0]!.bit | B64_RULES[0]!.bit | JSFUCK_RULE.bit | GLUE_BIT;

/** The whole XML body: its own elements are not injected markup (its text nodes and attribute values are parts of their own). */
function wholeXml(part: Part): boolean {
  return part.kind === 'xml' && part.name === 'body:xml';
}

/** The local part of a prefixed tag name (`x:script` → `script`); '' when the name has no prefix. */
function localName(name: string): string {
  const i = name.indexOf(':');
  return i > 0 ? name.slice(i + 1) : '';
}

function inspectTags(part: Part, sink: FindingSink): boolean {
  const v = part.norm;
  if (v.indexOf('<') < 0) return false;
  let weak = 0;
  const xmlDoc = wholeXml(part);
  for (const tag of htmlTags(v)) {
    if (tag.closing) continue;
    if (SCRIPT_TAGS.has(tag.name)) return emit(sink, 'xss', 'xss-001', 'xss', 5, part, tag.at, 'script tag');
    // A namespace prefix does not disarm an element in an XHTML or VML namespace (`<x:script xmlns:x=…>`, `<v:vmlframe>`).
    const local = xmlDoc ? '' : localName(tag.name);
    if (SCRIPT_TAGS.has(local)) return emit(sink, 'xss', 'xss-001', 'xss', 5, part, tag.at, 'namespaced script tag');
    if (STRONG_TAGS.has(local)) return emit(sink, 'xss', 'xss-004', 'xss', 5, part, tag.at, `dangerous namespaced tag <${tag.name.slice(0, 24)}>`);
    for (const [name, value] of tag.attrs) {
      if (HANDLER.test(name)) return emit(sink, 'xss', 'xss-002', 'xss', 5, part, tag.at, `event handler attribute ${name.slice(0, 24)} in <${tag.name.slice(0, 16)}>`);
      const cleaned = value.replace(CTRL_WS, '');
      if (URL_ATTRS.test(name) && SCRIPT_URL.test(cleaned)) return emit(sink, 'xss', 'xss-003', 'xss', 5, part, tag.at, `script URL in ${name.slice(0, 16)} attribute`);
      if (name === 'style' && STYLE_SCRIPT.test(cleaned)) return emit(sink, 'xss', 'xss-003', 'xss', 5, part, tag.at, 'script in style attribute');
    }
    if (STRONG_TAGS.has(tag.name)) return emit(sink, 'xss', 'xss-004', 'xss', 5, part, tag.at, `dangerous tag <${tag.name.slice(0, 16)}>`);
    if (tag.name === '!--' || tag.name.startsWith('!')) continue;
    if (WEAK_TAGS.has(tag.name)) weak++;
  }
  // Weak markup alone is a notice; the JS rules still read the value (a script URL in an attribute the lexer does not treat as one).
  if (weak > 0 && !xmlDoc) emit(sink, 'xss', 'xss-005', 'xss', 3, part, v.indexOf('<'), 'active HTML markup in a value');
  return false;
}

/** The XSS detector (`xss-*`). Reads parameters, cookies, path and the content headers. */
export const xssDetector: SignatureDetector = Object.freeze({
  id: 'xss',
  classes: ['xss'] as const,
  inspectParsed(parsed: ParsedRequest, _view: RequestView, sink: FindingSink): void {
    for (const part of activeParts(parsed)) {
      if (sink.findings.length >= sink.max) return;
      if ((partScan(part).mask & XSS_BITS) === 0 || !ruleReads(undefined, part)) continue;
      if (part.plain) {
        if (runRule(sink, 'xss', 'xss', B64_RULES[0]!, part)) continue;
        if (part.norm.startsWith('on') && runRule(sink, 'xss', 'xss', HANDLER_NAME_RULES[0]!, part)) continue;
        if (part.value.indexOf('\\') >= 0) runRule(sink, 'xss', 'xss', ESCAPED_RULE, part);
        continue;
      }
      if (inspectTags(part, sink)) continue;
      if (part.value.indexOf('&') >= 0) {
        const m = ENTITY_CALL_RE.exec(part.value);
        if (m) { emit(sink, 'xss', 'xss-032', 'xss', 5, part, m.index, 'JS call whose parenthesis is an HTML entity (alert&#40;1&#41;)'); continue; }
      }
      if (part.value.indexOf('\\') >= 0 && runRule(sink, 'xss', 'xss', ESCAPED_RULE, part)) continue;
      const xmlDoc = wholeXml(part);
      let js = false;
      const bits = presentRules(JS_TABLE, part);
      for (let r = 0; bits >>> r !== 0 && r < JS_RULES.length; r++) {
        const rule = JS_RULES[r]!;
        if ((bits & (1 << r)) !== 0 && !(xmlDoc && rule.id === 'xss-017') && runRule(sink, 'xss', 'xss', rule, part)) { js = true; break; }
      }
      if (js || runRule(sink, 'xss', 'xss', B64_RULES[0]!, part) || runRule(sink, 'xss', 'xss', JSFUCK_RULE, part)) continue;
      const at = (partScan(part).mask & GLUE_BIT) !== 0 ? assembledScript(part.norm.length > 4096 ? part.norm.slice(0, 4096) : part.norm) : -1;
      if (at >= 0) emit(sink, 'xss', 'xss-038', 'xss', 5, part, at, 'code spelled from short string literals glued by JS operators (\'jav\'+\'ascript:\')');
    }
  },
});
