// Realistic benign traffic generator (seeded): the hard negatives real users send.

import { makeRequestView } from '../core/index.js';
import type { CorpusRecord } from './corpus.js';
import { Rng } from './ml/rng.js';
import { I18N_NAMES, I18N_PLACES, I18N_TEXT, I18N_URLS, I18N_WORDS, LEGACY_CP1251_TEXT, LEGACY_LATIN1_TEXT, legacyPercentEncode, productSearch, randomUrl } from './benign-i18n.js';

const FIRST = ["Sinéad", "Patrick", "Mary-Kate", "José", "Zoë", "Nguyễn", "Ola", "Aoife", "Jean-Luc", "Amélie", "D'Andre", "Renée", "Łukasz", "Søren", "Mei", "Yusuf", "Dmitri", "Chloë"];
const LAST = ["O'Brien", "O'Connor", "D'Angelo", "McDonald", "van der Berg", "Smith-Jones", "Müller", "García Márquez", "L'Estrange", "Ní Bhriain", "de la Cruz", "Østergård", "Dell'Acqua", "N'Diaye", "St. John"];
const STREETS = ["12 Queen's Road", "221B Baker St. Apt #4", "1600 Pennsylvania Ave NW", "Flat 3, 7 St. Mary's Lane", "Rue de l'Église 5", "Calle O'Donnell 24, 3º-B", "PO Box 1234; Dock 5", "1 Infinite Loop (Bldg 2)"];
const SEARCH = ["select a union rep", "union station parking", "how to select the best laptop", "drop shipping from china", "delete my account", "insert coin arcade", "update on the order status", "where is my order?", "select * in vs code shortcut", "java vs python for beginners", "rock 'n' roll", "or 1 thing and another", "1 or 2 bedrooms", "what's 5 + 5 = ?", "C# & .NET jobs", "AT&T store near me", "50% off shoes", "Tom & Jerry; the movie", "alert dog breeds", "script writing course", "sleep apnea treatment", "cat /etc/hosts explained", "exec chair leather", "table for 2 tonight", "drop table legs ikea", "javascript tutorial pdf", "best <b>bold</b> fonts", "\"quoted phrase\" search", "select all (ctrl+a); then copy", "Delete (optional); keep the rest", "(Update) new address; the old one is wrong", "Insert > Table (Word); then select rows", "drop-down (select one); required", "order by price desc", "group by age", "Schrödinger's cat", "mañana café", "Fußball Ergebnisse", "日本語 検索", "привет мир", "مرحبا بالعالم", "ціна квитка", "email me @ 5pm", "100% cotton t-shirt (xl)", "it's a-ok!!", "don't stop; believing", "where to buy 1/2\" pipe"];
const COMMENTS = [
  "Great article! I've been using `SELECT id, name FROM users WHERE active = 1` for years — never knew about indexes.",
  "Here's my fix:\n```js\nconst x = document.getElementById('app');\nif (x) { x.textContent = 'hi'; }\n```\nHope it helps.",
  "**Update:** the bug is in `parse()` - see [the docs](https://example.com/docs?page=2&lang=en).",
  "I'd say it's 50/50... O'Reilly's book is better than the one from Packt; pages 10-20 -- especially.",
  "> quote from above\n\nI disagree: the union of two sets A ∪ B is not the same as A ∩ B.",
  "Try `rm -rf node_modules && npm install`, it worked for me (macOS 14).",
  "Use <code>&lt;div&gt;</code> elements; not tables (please!).",
  "The formula =SUM(A1:A10) gives me #VALUE! — any idea?",
  "Price: $1,299.99 (incl. 20% VAT) -> order #A-1234-XY",
  "Meeting @ 10:30; bring the Q3 report + the 'final' deck v2.",
  "Ich würde sagen: das ist \"nicht schlecht\" – aber teuer.",
  "C'est l'été ! Les prix sont à 30 % de réduction jusqu'à dimanche.",
  "1) preheat oven 2) mix flour & sugar 3) bake for 25-30 min",
  "grep -r \"TODO\" src/ | wc -l  # counts TODOs",
  "SELECT the items you want, then click Update cart.",
  "Run INSERT INTO audit (user_id, action) VALUES (42, 'login'); then COMMIT; it worked.",
  "-- Best regards,\nJohn",
];
const JSON_KEYS = ['name', 'title', 'description', 'note', 'comment', 'address', 'query', 'message', 'bio', 'tags'];
const UAS = ['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', 'okhttp/4.12.0', 'python-requests/2.31.0', 'curl/8.5.0'];

function b64(r: Rng, n: number): string {
  const al = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let s = ''; for (let i = 0; i < n; i++) s += al[r.int(64)]; return s + (n % 4 === 2 ? '==' : n % 4 === 3 ? '=' : '');
}
function hex(r: Rng, n: number): string { let s = ''; for (let i = 0; i < n; i++) s += '0123456789abcdef'[r.int(16)]; return s; }
function enc(s: string): string { return encodeURIComponent(s); }
function form(fields: Record<string, string>, plus: boolean): string {
  return Object.entries(fields).map(([k, v]) => `${enc(k)}=${plus ? enc(v).replace(/%20/g, '+') : enc(v)}`).join('&');
}

function cookie(r: Rng): string {
  return `session=${hex(r, 32)}; _ga=GA1.2.${r.int(1e9)}.${1.7e9 + r.int(1e7)}; prefs=${enc(JSON.stringify({ theme: 'dark', lang: r.pick(['en', 'fr', 'de']) }))}; jwt=${b64(r, 36)}.${b64(r, 120)}.${b64(r, 43)}`;
}

function headers(r: Rng, extra: Record<string, string> = {}): Record<string, string> {
  const h: Record<string, string> = { Host: 'shop.example.com', 'User-Agent': r.pick(UAS), Accept: '*/*', 'Accept-Language': r.pick(['en-US,en;q=0.9', 'fr-FR,fr;q=0.8', 'de-DE']), ...extra };
  if (r.next() < 0.6) h['Cookie'] = cookie(r);
  return h;
}

/** A small JSON document the way API clients embed it in a form field or query value (Slack `payload=`, Reddit `json=`). */
function smallJson(r: Rng): unknown {
  const text = r.pick([...SEARCH, ...COMMENTS.slice(0, 6)]);
  const shapes: (() => unknown)[] = [
    () => ({ type: 'block_actions', user: { id: `U${hex(r, 8).toUpperCase()}`, name: r.pick(FIRST).toLowerCase() }, actions: [{ action_id: r.pick(['approve', 'select_plan', 'open_modal']), value: text, type: 'button' }], trigger_id: `${r.int(1e9)}.${r.int(1e9)}.${hex(r, 32)}` }),
    () => ({ ids: [r.int(999), r.int(999), r.int(999)], q: text, limit: 10 + r.int(90), include_archived: r.next() < 0.5 }),
    () => ({ id: `widget_${hex(r, 12)}`, kind: r.pick(['button', 'textarea', 'community-list']), styles: { headerColor: `#${hex(r, 6)}`, backgroundColor: `#${hex(r, 6)}` }, description: text, shortName: r.pick(SEARCH).slice(0, 20) }),
    () => [{ type: 'section', text: { type: 'mrkdwn', text: `*${r.pick(FIRST)}* said: ${text}` } }, { type: 'divider' }],
    () => ({ name: r.pick(SEARCH), visibility: r.pick(['private', 'public']), description_md: null, subreddits: [{ name: 'learnpython' }, { name: 'redditdev' }] }),
    () => ({ filter: { status: r.pick(['open', 'closed']), tags: [r.pick(SEARCH), 'sale'] }, sort: r.pick(['-created', 'name']), page: { size: 25, number: 1 + r.int(9) } }),
    () => ({}),
  ];
  return r.pick(shapes)();
}
/** JSON text as Python's json.dumps writes it by default: ", " and ": " separators, non-ASCII as `\uXXXX` (ensure_ascii). */
function pyJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyJson).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${pyJson(k)}: ${pyJson(x)}`).join(', ')}}`;
  return JSON.stringify(v).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
function jsonText(r: Rng, v: unknown): string { return r.next() < 0.5 ? JSON.stringify(v) : pyJson(v); }

/** XML documents that APIs exchange: SOAP calls, XML-RPC, orders with attributes, RSS items (text escaped as XML requires). */
function xmlDoc(r: Rng): string {
  const x = (t: string): string => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const text = x(r.pick([...SEARCH, ...COMMENTS.slice(0, 8)]));
  const name = x(`${r.pick(FIRST)} ${r.pick(LAST)}`);
  const docs: (() => string)[] = [
    () => `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetPrice xmlns="http://example.com/stock"><Item>${text}</Item><Qty>${1 + r.int(9)}</Qty></GetPrice></soap:Body></soap:Envelope>`,
    () => `<?xml version="1.0"?><methodCall><methodName>blog.${r.pick(['getPosts', 'newPost', 'editComment'])}</methodName><params><param><value><int>${r.int(999)}</int></value></param><param><value><string>${text}</string></value></param></params></methodCall>`,
    () => `<?xml version="1.0"?><order id="A-${r.int(99999)}" currency="${r.pick(['EUR', 'USD'])}"><customer name="${name}" email="${r.pick(['o.brien', 'zoe'])}@example.org"/><address>${x(r.pick(STREETS))}</address><item sku="SKU-${hex(r, 6)}" qty="${1 + r.int(5)}" note="${text}"/></order>`,
    () => `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>${text}</title><item><title>${x(r.pick(SEARCH))}</title><link>https://blog.example.com/p/${r.int(9999)}</link><description>${text}</description><pubDate>Tue, 0${1 + r.int(8)} Oct 2024 10:00:00 GMT</pubDate></item></channel></rss>`,
  ];
  return r.pick(docs)();
}

/** Bodies of 1–3 characters that clients really send: acknowledgements, counters, a stray key press, an empty JSON value. */
const TINY = ['1', '0', '42', '7', '-1', 'ok', 'OK', 'yes', 'no', 'y', 'n', 'hi', '?', '!', '.', '...', '-', '--', '+1', ':)', ':-)', '<3', '=)', ';)', '(', ')', '()', '=', '==', '<', '>', '*', '**', '#', '%', '&', '|', '/', '\\', '~', '^', '@', '$', ',', ';', ':', '[', ']', '{}', '[]', '""', 'null', '{', '}', '_', '`'];
const TINY_CHARS = '()=<>*#%&|/~^@$,;:[]{}!?.-+_01234567890123456789abcxyz ';
/** Comparison signs and arrows: a lone `<` or `>` is the tiny value payload lists share most with real input. */
const ANGLES = ['<', '>', '<', '>', '<=', '>=', '<>', '->', '=>', '<3', '>_<', '<<', '>>', '<-', '>.<', '^_^'];
const PUNCT = '()=<>*#%&|/\\~^@$,;:[]{}!?.-+_`';
function tiny(r: Rng): string {
  const u = r.next();
  if (u < 0.15) return r.pick(ANGLES);
  if (u < 0.6) return PUNCT[r.int(PUNCT.length)]!;
  if (u < 0.8) return r.pick(TINY);
  let s = ''; const n = 1 + r.int(3);
  for (let i = 0; i < n; i++) s += TINY_CHARS[r.int(TINY_CHARS.length)];
  return s;
}
/**
 * Ordinary application paths and parameter names for the shapes that are not tied to one endpoint.
 * They include every path and parameter name the corpora wrap their payloads in (`/page.jsp`,
 * `/cart/add`, `redirect=`, `lang=`, ...): real applications use them for benign values too, and a
 * generator that left some out taught the model that those words mean "attack" (a held-out model
 * scored `q="keys"` 0.67 at /page.jsp and 0.39 at /search).
 */
const PATHS = ['/search', '/api/ack', '/api/v1/items', '/chat/typing', '/notes/7', '/api/reactions', '/view', '/login', '/products', '/news/article', '/index.php', '/account/profile', '/comments/new', '/feedback',
  '/page.jsp', '/comments', '/api/search', '/cart/add', '/download', '/'];
const PARAMS = ['q', 'v', 'item', 'p', 'id', 'query', 'name', 'ref', 'category', 'url', 'op', 'sort', 'filter', 'reply', 'emoji', 'sep',
  'user', 'search', 'comment', 'file', 'page', 'redirect', 'lang', 'data', 'value'];
/** Short bodies: a form with one or two small fields, a tiny JSON value, a word or two of text. */
function shortBody(r: Rng): { ct: string; body: string } {
  const v = r.next() < 0.4 ? tiny(r).trim() || '1' : r.pick(['blue', 'Zoë', 'on', 'true', '12.50', '2024-05-01', 'a+b', 'x (2)', 'n/a', 'test', 'hello world', '#42', 'C++', '50%', '$5']);
  switch (r.int(3)) {
    case 0: return { ct: 'application/x-www-form-urlencoded', body: form(r.next() < 0.5 ? { [r.pick(['q', 'v', 'op', 'sort', 'filter', 'reply', 'emoji', 'note'])]: v } : { id: String(r.int(9999)), [r.pick(['value', 'answer', 'rating'])]: v }, r.next() < 0.5) };
    case 1: return { ct: 'application/json', body: r.pick([JSON.stringify(v), JSON.stringify({ [r.pick(['v', 'q', 'text', 'reaction'])]: v }), `[${r.int(99)},${r.int(99)}]`, 'true', 'null', JSON.stringify([v])]) };
    default: return { ct: r.pick(['text/plain', 'text/plain; charset=utf-8']), body: r.pick([v, `${v} ${r.pick(['thanks', 'lol', 'ok'])}`, `${r.pick(['re', 'fwd', 'ping'])}: ${v}`]) };
  }
}
/** Prose about prices and percentages: `$`, parentheses, `%`, signs, which payload shapes use too. */
function priceProse(r: Rng): string {
  const d = (): string => `$${1 + r.int(999)}${r.next() < 0.4 ? `.${10 + r.int(89)}` : ''}`;
  const pc = (): string => `${5 + r.int(90)}%`;
  return r.pick([
    () => `Price ${d()} (incl. VAT)`, () => `I paid ${d()} (approx) and $${r.pick(['fifty', 'twenty', 'ten'])} (later)`,
    () => `Save ${pc()} (${d()} off) today only`, () => `Total: ${d()} (${1 + r.int(9)} items, shipping included)`,
    () => `(was ${d()}) now ${d()} — ${pc()} cheaper`, () => `${d()}/month (billed annually) or ${d()} monthly`,
    () => `Up to ${pc()} (or ${d()}) off selected items*`, () => `Refund of ${d()} (order #${r.int(99999)}) is pending`,
    () => `€${1 + r.int(500)} (≈ ${d()}) per night, taxes (${pc()}) extra`, () => `budget: ${d()}-${d()} (negotiable); deposit = ${pc()}`,
    () => `Tip ${pc()} (${d()}) + tax (${d()}) = ${d()}`, () => `USD ${d()} (${r.pick(['net 30', 'due on receipt', 'paid'])})`,
    () => `Growth of ${pc()} (from ${d()}M to ${d()}M) in Q${1 + r.int(4)}`, () => `${r.pick(FIRST)} owes ${d()} (${r.pick(['pizza', 'tickets', 'taxi'])}) & I owe ${d()}`,
  ])();
}
// Not generated: help text and questions about SQL, HTML and JavaScript ("case when 1=1 then … end
// syntax", "Type <b>bold</b> and use javascript:void(0) links", "if (![] == false) why"). Session 6
// tried it (docs/DETECTION.md, "the docs-prose trade-off"): trained on, it cost 0.4–0.9 points of
// held-out TPR on real payloads that share its words; not trained on, the model blocks ~40% of it.
// Such text on a help or Q&A route belongs in a per-route exclusion.

type Gen = (r: Rng) => { method: string; path: string; query: string; body: string; headers: Record<string, string>; kind: string };

/** Non-English text as browsers and apps send it: searches, profile forms, JSON documents and path segments. */
const i18nRequest: Gen = (r) => {
  const text = r.pick([...I18N_TEXT, ...I18N_TEXT, ...I18N_PLACES]);
  const lang = r.pick(['fr', 'de', 'es', 'pl', 'tr', 'vi', 'ru', 'ja', 'zh', 'ko', 'ar', 'he', 'hi', 'th']);
  switch (r.int(4)) {
    case 0: return { kind: 'i18n', method: 'GET', path: r.pick(['/search', `/${lang}/recherche`, '/api/v1/search']), query: form({ q: text, ...(r.next() < 0.5 ? { page: String(1 + r.int(9)) } : {}), ...(r.next() < 0.3 ? { hl: lang } : {}) }, r.next() < 0.6), body: '', headers: headers(r) };
    case 1: return { kind: 'i18n', method: 'POST', path: r.pick(['/account/profile', '/account/signup', '/checkout/address']), query: '', headers: headers(r, { 'Content-Type': 'application/x-www-form-urlencoded' }),
      body: form({ name: r.pick(I18N_NAMES), city: r.pick(I18N_PLACES), street: r.pick(I18N_PLACES), ...(r.next() < 0.5 ? { website: r.next() < 0.5 ? r.pick(I18N_URLS) : randomUrl(r) } : {}), bio: text, lang }, r.next() < 0.5) };
    case 2: return { kind: 'i18n', method: r.pick(['POST', 'PUT', 'PATCH']), path: `/api/v2/users/${r.int(99999)}`, query: '', headers: headers(r, { 'Content-Type': 'application/json' }),
      body: jsonText(r, { name: r.pick(I18N_NAMES), address: { city: r.pick(I18N_PLACES), street: r.pick(I18N_PLACES) }, bio: text, website: r.next() < 0.5 ? r.pick(I18N_URLS) : null, locale: lang }) };
    default: return { kind: 'i18n', method: 'GET', path: `/${r.pick(['wiki', 'city', 'tag', 'artist'])}/${enc(r.pick([...I18N_PLACES, ...I18N_NAMES, ...I18N_TEXT]).replace(/ /g, '_'))}`, query: r.next() < 0.3 ? `lang=${lang}` : '', body: '', headers: headers(r) };
  }
};

/** One non-English word, name or place, or a pasted web address, as the only value of a form field or query parameter. */
const i18nValueRequest: Gen = (r) => {
  const u = r.next();
  const value = u < 0.4 ? r.pick(I18N_WORDS) : u < 0.75 ? r.pick([...I18N_NAMES, ...I18N_PLACES, ...I18N_TEXT]) : r.next() < 0.3 ? r.pick(I18N_URLS) : randomUrl(r);
  const name = u < 0.75 ? r.pick(PARAMS) : r.pick(['url', 'website', 'homepage', 'link', 'ref', 'share', 'u']);
  // Most clients encode a pasted address; some forms and scripts send it as typed.
  const v = u >= 0.75 && r.next() < 0.3 ? value : enc(value);
  if (r.next() < 0.6) return { kind: 'i18n-value', method: 'GET', path: r.pick(PATHS), query: `${name}=${v}`, body: '', headers: headers(r) };
  return { kind: 'i18n-value', method: 'POST', path: r.pick(PATHS), query: '', headers: headers(r, { 'Content-Type': 'application/x-www-form-urlencoded' }), body: `${name}=${v}` };
};

/**
 * Text percent-encoded in a legacy single-byte charset (ISO-8859-1, Windows-1251), as old pages, feeds and
 * crawlers still send it: path segments (`/wiki/M%FCnchen`, `/stra%DFe/k%F6ln`), search values and forms.
 * Such bytes are not valid UTF-8, which overlong-encoding payloads also produce.
 */
const legacyCharsetRequest: Gen = (r) => {
  const lower = r.next() < 0.3;
  // One site, one charset: a Western European page sends ISO-8859-1, a Cyrillic one Windows-1251.
  const cyrillic = r.next() < 0.4;
  const vocabulary = cyrillic ? LEGACY_CP1251_TEXT : LEGACY_LATIN1_TEXT;
  const word = (): string => legacyPercentEncode(r.pick(vocabulary).replace(/ /g, r.pick(['_', '-', ' '])), lower)!;
  switch (r.int(4)) {
    case 0: return { kind: 'legacy-charset', method: 'GET', path: `/${r.pick(['wiki', 'stadt', 'news', 'tag', 'forum', 'katalog', 'city', 'artist'])}/${word()}`, query: '', body: '', headers: headers(r) };
    case 1: return { kind: 'legacy-charset', method: 'GET', path: `/${word()}/${word()}${r.next() < 0.3 ? r.pick(['.html', '.htm', '.php', '/']) : ''}`, query: r.next() < 0.3 ? `page=${1 + r.int(9)}` : '', body: '', headers: headers(r) };
    case 2: return { kind: 'legacy-charset', method: 'GET', path: r.pick(['/search', '/forum/search.php', '/cgi-bin/suche.pl', '/index.php']), query: `${r.pick(['q', 'query', 'highlight', 'suche', 'name'])}=${word().replace(/%20/g, '+')}${r.next() < 0.4 ? `&page=${1 + r.int(9)}` : ''}`, body: '', headers: headers(r) };
    default: return { kind: 'legacy-charset', method: 'POST', path: r.pick(['/guestbook.php', '/contact', '/account/profile']), query: '',
      headers: headers(r, { 'Content-Type': `application/x-www-form-urlencoded${r.next() < 0.5 ? '' : `; charset=${cyrillic ? 'windows-1251' : 'ISO-8859-1'}`}` }),
      body: `name=${word()}&city=${word()}&message=${word().replace(/%20/g, '+')}` };
  }
};

/** A body, form field or query value of 1–3 characters (the model notices such values but does not block them alone: `inertForModel`). */
const tinyRequest: Gen = (r) => {
  const value = tiny(r);
  const path = r.pick(PATHS);
  // The same few characters as a whole body, or as the one value of a form field or query parameter.
  if (r.next() < 0.35) return { kind: 'tiny-value', method: 'GET', path, query: `${r.pick(PARAMS)}=${enc(value)}`, body: '', headers: headers(r) };
  return { kind: 'tiny-body', method: r.pick(['POST', 'PUT', 'PATCH']), path, query: '',
    headers: headers(r, { 'Content-Type': r.pick(['text/plain', 'application/x-www-form-urlencoded', 'application/octet-stream', 'application/json', 'text/plain; charset=utf-8']) }), body: value };
};

const GENS: readonly Gen[] = [
  (r) => ({ kind: 'search', method: 'GET', path: '/search', query: form({ q: r.pick(SEARCH), page: String(1 + r.int(9)) }, true), body: '', headers: headers(r) }),
  (r) => {
    const q = productSearch(r);
    const u = r.next();
    if (u < 0.6) return { kind: 'product-search', method: 'GET', path: r.pick(['/search', '/search/handmade', '/s', '/catalog']), query: form({ q, ...(r.next() < 0.5 ? { ref: 'related', page: String(1 + r.int(9)) } : {}) }, r.next() < 0.6), body: '', headers: headers(r) };
    // Search forms that post (method="post"), under any path and field name a site uses.
    if (u < 0.8) return { kind: 'product-search', method: 'POST', path: r.pick(PATHS), query: '', headers: headers(r, { 'Content-Type': 'application/x-www-form-urlencoded' }), body: form({ [r.pick(PARAMS)]: q }, r.next() < 0.6) };
    return { kind: 'product-search', method: 'POST', path: '/api/search', query: '', headers: headers(r, { 'Content-Type': 'application/json' }), body: JSON.stringify({ query: q, filters: { ship_to: r.pick(['US', 'FR', 'DE']) }, limit: 24 }) };
  },
  (r) => ({ kind: 'signup-form', method: 'POST', path: '/account/signup', query: '', headers: headers(r, { 'Content-Type': 'application/x-www-form-urlencoded' }),
    body: form({ first: r.pick(FIRST), last: r.pick(LAST), email: `${r.pick(['o.brien', 'jl', 'zoe+shop', 'mary_kate'])}@example.org`, address: r.pick(STREETS), password: b64(r, 12) + "!'#" }, r.next() < 0.5) }),
  (r) => ({ kind: 'json-api', method: r.pick(['POST', 'PUT', 'PATCH']), path: `/api/v2/items/${r.int(99999)}`, query: '', headers: headers(r, { 'Content-Type': 'application/json' }),
    body: JSON.stringify({ [r.pick(JSON_KEYS)]: r.pick(COMMENTS), owner: { name: `${r.pick(FIRST)} ${r.pick(LAST)}`, address: r.pick(STREETS) }, tags: [r.pick(SEARCH), 'sale'], qty: r.int(10), price: r.int(10000) / 100, active: true }) }),
  (r) => ({ kind: 'comment', method: 'POST', path: '/blog/42/comments', query: '', headers: headers(r, { 'Content-Type': 'application/x-www-form-urlencoded' }),
    body: form({ author: `${r.pick(FIRST)} ${r.pick(LAST)}`, body: r.pick(COMMENTS), subscribe: 'on' }, true) }),
  (r) => ({ kind: 'markdown-json', method: 'POST', path: '/api/posts', query: '', headers: headers(r, { 'Content-Type': 'application/json' }),
    body: JSON.stringify({ title: r.pick(SEARCH), markdown: `# ${r.pick(SEARCH)}\n\n${r.pick(COMMENTS)}\n\n- item one\n- item *two*\n\n[link](https://example.com/a?b=c&d=e)` }) }),
  (r) => ({ kind: 'upload', method: 'POST', path: '/upload', query: '', headers: headers(r, { 'Content-Type': 'multipart/form-data; boundary=----WebKitFormBoundary7MA4YWxk' }),
    body: `------WebKitFormBoundary7MA4YWxk\r\nContent-Disposition: form-data; name="caption"\r\n\r\n${r.pick(COMMENTS)}\r\n------WebKitFormBoundary7MA4YWxk\r\nContent-Disposition: form-data; name="file"; filename="${r.pick(["photo (1).jpg", "Q3 report - final.pdf", "l'été.png"])}"\r\nContent-Type: application/octet-stream\r\n\r\n${b64(r, 200)}\r\n------WebKitFormBoundary7MA4YWxk--\r\n` }),
  (r) => ({ kind: 'tracking', method: 'GET', path: '/collect', query: `v=1&tid=UA-${r.int(99999)}-1&cid=${r.int(1e9)}.${r.int(1e9)}&dl=${enc(`https://shop.example.com/p/${r.int(999)}?utm_source=news&utm_campaign=spring sale`)}&dt=${enc(r.pick(SEARCH))}&ua=${enc(r.pick(UAS))}&z=${r.int(1e9)}`, body: '', headers: headers(r) }),
  (r) => ({ kind: 'redirect-login', method: 'GET', path: '/login', query: form({ next: r.pick(['/account/orders?page=2', '/cart', 'https://shop.example.com/checkout']), lang: 'en' }, false), body: '', headers: headers(r) }),
  (r) => ({ kind: 'token', method: 'POST', path: '/oauth/token', query: '', headers: headers(r, { 'Content-Type': 'application/x-www-form-urlencoded', Authorization: `Basic ${b64(r, 40)}` }),
    body: form({ grant_type: 'authorization_code', code: b64(r, 43), redirect_uri: 'https://app.example.com/callback', code_verifier: b64(r, 64) }, false) }),
  (r) => ({ kind: 'graphql', method: 'POST', path: '/graphql', query: '', headers: headers(r, { 'Content-Type': 'application/json' }),
    body: JSON.stringify({ query: 'query Orders($first: Int!, $after: String) { orders(first: $first, after: $after) { edges { node { id total status } } pageInfo { hasNextPage } } }', variables: { first: 20, after: b64(r, 16) } }) }),
  (r) => ({ kind: 'filter-api', method: 'GET', path: '/api/v1/products', query: `filter[name][like]=${enc(r.pick(SEARCH))}&sort=-price,name&fields=id,name,price&page[size]=25&include=author.profile`, body: '', headers: headers(r) }),
  (r) => ({ kind: 'code-snippet', method: 'POST', path: '/api/snippets', query: '', headers: headers(r, { 'Content-Type': 'application/json' }),
    body: JSON.stringify({ language: r.pick(['python', 'sql', 'shell', 'typescript']), code: r.pick(["def add(a, b):\n    return a + b  # simple\n", "SELECT name, COUNT(*) FROM orders GROUP BY name ORDER BY 2 DESC;", "INSERT INTO users (name, email) VALUES ('Zoë', 'z@example.org');", "for f in *.txt; do wc -l \"$f\"; done", "const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);", "const greeting = `Hello ${name}, you have ${count} new messages`;", "echo \"${HOME}/bin:${PATH}\""]), public: r.next() < 0.5 }) }),
  i18nRequest,
  i18nValueRequest,
  legacyCharsetRequest,
  (r) => ({ kind: 'json-in-form', method: r.pick(['POST', 'PUT']), path: r.pick(['/api/interactions', '/api/widget', '/api/chat.postMessage', '/api/multi/']), query: r.next() < 0.5 ? 'raw_json=1' : '',
    headers: headers(r, { 'Content-Type': 'application/x-www-form-urlencoded' }),
    body: form({ ...(r.next() < 0.5 ? { api_type: 'json' } : { channel: `C${hex(r, 8).toUpperCase()}` }), [r.pick(['payload', 'json', 'model', 'blocks', 'data'])]: jsonText(r, smallJson(r)) }, r.next() < 0.6) }),
  (r) => {
    const doc = jsonText(r, smallJson(r));
    // Some clients leave the braces and quotes of a JSON query value unescaped.
    const value = r.next() < 0.7 ? enc(doc) : doc.replace(/ /g, '%20');
    return { kind: 'json-in-query', method: 'GET', path: r.pick(['/api/v1/search', '/classes/Order', '/api/items']), query: `${r.pick(['data', 'where', 'filter', 'q'])}=${value}&v=${1 + r.int(3)}`, body: '', headers: headers(r) };
  },
  (r) => ({ kind: 'xml-api', method: 'POST', path: r.pick(['/soap/OrderService', '/xmlrpc', '/api/orders.xml', '/feeds/import']), query: '', headers: headers(r, { 'Content-Type': r.pick(['text/xml; charset=utf-8', 'application/xml', 'application/soap+xml']) }),
    body: xmlDoc(r) }),
  tinyRequest,
  (r) => {
    const { ct, body } = shortBody(r);
    return { kind: 'short-body', method: r.pick(['POST', 'PUT']), path: r.pick(['/api/vote', '/api/v1/settings', '/messages', '/form/submit', '/api/items/3/rate']), query: '', headers: headers(r, { 'Content-Type': ct }), body };
  },
  (r) => {
    const text = priceProse(r);
    const where = r.int(3);
    if (where === 0) return { kind: 'price-prose', method: 'GET', path: '/search', query: form({ q: text }, r.next() < 0.5), body: '', headers: headers(r) };
    if (where === 1) return { kind: 'price-prose', method: 'POST', path: '/api/expenses', query: '', headers: headers(r, { 'Content-Type': 'application/json' }), body: JSON.stringify({ [r.pick(['note', 'description', 'memo', 'comment'])]: text, amount: r.int(100000) / 100 }) };
    return { kind: 'price-prose', method: 'POST', path: r.pick(['/orders/notes', '/listing/edit', '/reviews']), query: '', headers: headers(r, { 'Content-Type': 'application/x-www-form-urlencoded' }), body: form({ [r.pick(['note', 'description', 'body', 'text'])]: text, id: String(r.int(9999)) }, r.next() < 0.5) };
  },
  (r) => ({ kind: 'static', method: 'GET', path: r.pick(['/static/js/app.3f9a1c.js', '/images/products/shoe-42_large.webp', '/fonts/Inter-Var.woff2', '/favicon.ico', '/robots.txt']), query: r.next() < 0.5 ? `v=${hex(r, 8)}` : '', body: '', headers: headers(r) }),
];

/**
 * Generates `n` benign requests (label benign, class benign, source `generated-benign`), cycling
 * through realistic shapes: names with apostrophes, addresses, JSON APIs, SQL words in searches, shop
 * searches with inch and foot marks and quoted titles,
 * code snippets, markdown, multipart uploads, base64, long cookies, non-English text in ~25 languages
 * (percent-encoded as browsers send it, in searches, forms, JSON and paths; also in the legacy single-byte
 * charsets ISO-8859-1 and Windows-1251) and pasted web addresses, bodies of 1–3 characters and
 * short bodies, price prose with `$` and parentheses. Deterministic per seed.
 */
export function generateBenign(n: number, seed: number): CorpusRecord[] {
  const r = new Rng(seed);
  const out: CorpusRecord[] = [];
  for (let i = 0; i < n; i++) {
    const g = GENS[i % GENS.length]!(r);
    out.push({ view: makeRequestView(g), label: 0, klass: 'benign', source: `generated-${g.kind}`, key: Math.imul(i + 1, 2654435761) >>> 0 });
  }
  return out;
}
