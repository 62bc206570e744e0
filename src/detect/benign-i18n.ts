// Multilingual vocabulary for the benign generator: what users outside the ASCII world type into
// forms and search boxes (names, places, words and phrases in ~25 languages and scripts, symbols,
// emoji), and the web addresses they paste into profile and share fields. Browsers send the text
// percent-encoded as UTF-8 (`%C3%BC`, `%E6%9D%B1`), which payload lists also use for overlong and
// double encodings: without this traffic in training, a model learns "percent-encoded non-ASCII
// bytes" as an attack sign (the leave-grananqvist-out model blocked 129 Spanish words and names).

import type { Rng } from './ml/rng.js';

/** Given names and family names (Latin with diacritics, Cyrillic, Greek, CJK, Arabic, Hebrew, Devanagari, Thai). */
export const I18N_NAMES: readonly string[] = [
  'Łukasz Wiśniewski', 'Małgorzata Żak', 'Antonín Dvořák', 'Jiří Šťastný', 'Zoltán Kovács', 'Ştefan Ionescu', 'Çağrı Öztürk',
  'Nguyễn Thị Hương', 'Trần Văn Đức', 'Jürgen Müller', 'Björn Ødegård', 'Ólafur Þórsson', 'Søren Åberg', 'François Lefèvre',
  'Anaïs Bérénice', 'João Gonçalves', 'Iñaki Etxeberria', 'Núria Puigdomènech', 'Ñuño Pérez', 'Ģirts Kalniņš', 'Jūratė Žukauskienė',
  'Mārtiņš Bērziņš', 'Hồ Ngọc Hà', 'Αλέξανδρος Παπαδόπουλος', 'Μαρία Κωνσταντίνου', 'Дмитрий Иванов', 'Ольга Петренко',
  'Јелена Јовановић', 'Стоян Георгиев', '王小明', '李娜', '佐藤 健', '山田 花子', '김민준', '이서연', 'محمد عبد الله', 'فاطمة الزهراء',
  'דוד כהן', 'שרה לוי', 'अमित शर्मा', 'प्रिया पटेल', 'สมชาย ใจดี', 'Ngāti Whātua', 'Kalaniʻōpuʻu', 'Chloë Brontë',
];

/** Cities, regions and streets. */
export const I18N_PLACES: readonly string[] = [
  'Kraków', 'Gdańsk', 'Łódź', 'Brno-Královo Pole', 'České Budějovice', 'Székesfehérvár', 'Timișoara', 'İstanbul', 'Şanlıurfa',
  'Hà Nội', 'Đà Nẵng', 'Zürich', 'Düsseldorf', 'Göteborg', 'Århus', 'Tromsø', 'Reykjavík', 'Île-de-France', 'Besançon',
  'São Paulo', 'Maceió', 'A Coruña', 'Logroño', 'Girona i Besalú', 'Ciudad de México', 'Bogotá', 'Москва', 'Санкт-Петербург',
  'Київ', 'Львів', 'Београд', 'София', 'Αθήνα', 'Θεσσαλονίκη', '東京都', '大阪市', '北京市', '上海', '서울특별시', '부산',
  'القاهرة', 'الرياض', 'دبي', 'תל אביב-יפו', 'ירושלים', 'नई दिल्ली', 'मुंबई', 'กรุงเทพมหานคร', 'Tāmaki Makaurau', 'Hawaiʻi',
  'Straße des 17. Juni 135', 'Bahnhofstraße 5a', 'ul. Świętokrzyska 12/4', 'Rua Augusta, 1º Esq.', 'Calle Mayor, 3º 2ª',
  'Vesterbrogade 2, 2. sal', 'Улица Ленина, д. 7, кв. 12', '〒100-0001 東京都千代田区千代田1-1',
];

/** Words and phrases: searches, comments, product names, with the punctuation each language uses. */
export const I18N_TEXT: readonly string[] = [
  'Größe 42 Schuhe', 'Fußball Ergebnisse heute', 'Bücher über Ökologie', "l'hôtel près de la gare", 'crème brûlée recette',
  'où acheter des œufs bio ?', '¿Dónde está la estación?', 'año nuevo en España', 'piñata para niños', 'coração de galinha',
  'promoção até 50%', 'ação judicial', 'smørrebrød opskrift', 'Ærø færge', 'kärlek och ångest', 'Ökumenik ve şükür',
  'çiğ köfte tarifi', 'żółta łódź', 'zażółć gęślą jaźń', 'příliš žluťoučký kůň', 'árvíztűrő tükörfúrógép', 'phở bò tái',
  'bánh mì gần đây', 'Þingvellir ferðir', 'купить билет в Москву', 'погода на завтра', 'ціна квитка до Львова',
  'Ελληνικά μαθήματα', 'καλημέρα σας!', '東京 ホテル 安い', 'ラーメン おすすめ 渋谷', '日本語の勉強、はじめました。',
  '北京烤鸭 做法', '你好，世界！', '서울 맛집 추천', '안녕하세요?', 'أفضل مطعم في دبي', 'كيف حالك؟', 'خرید بلیط هواپیما',
  'מזג האוויר בתל אביב', 'हिन्दी समाचार', 'আমার সোনার বাংলা', 'தமிழ் செய்திகள்', 'ร้านอาหารใกล้ฉัน', 'naïve café façade',
  'coöperation rôle', 'Ångström units', 'Māori language week', 'Œuvres complètes', '½ cup sugar, ¼ tsp salt', '3 × 4 = 12',
  '±5 °C', '20 µm filter', '€ 20,00 inkl. MwSt.', '£15 — ¥300 — ₹500', '© 2024 Société Générale™', '«Война и мир»',
  '„Anführungszeichen“', '‘single’ and “double”', 'Thanks! 🙂', 'great job 👍👍', 'Happy birthday 🎉🎂', 'I ❤️ Zürich 🇨🇭',
  '…and so on…', 'naïveté – résumé – déjà vu', 'Straße ≠ Strasse', 'x² + y² = r²',
];

/** Addresses people paste into website, profile and share fields (blogs, news, shops, IDN hosts, encoded paths). */
export const I18N_URLS: readonly string[] = [
  'http://www.example-blog.blogspot.com/', 'https://ana-lopez.blogspot.com/2009/10/recetas-de-otono.html',
  'http://www.myspace.com/band_official', 'https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s',
  'https://de.wikipedia.org/wiki/M%C3%BCnchen', 'https://ja.wikipedia.org/wiki/%E6%9D%B1%E4%BA%AC',
  'https://www.bücher.de/suche?q=%C3%B6kologie', 'http://xn--bcher-kva.example/', 'https://münchen.example/stadtplan',
  'https://news.example.com/2023/05/17/elections-results.html?utm_source=twitter&utm_medium=social',
  'https://shop.example.co.uk/p/teapot-blue_0042?colour=blue&size=m', 'http://www.forum.example.org/viewtopic.php?f=12&t=34567',
  'https://github.com/user/repo/issues/123#issuecomment-456789', 'https://maps.example.com/?q=Z%C3%BCrich+HB',
  'https://www.linkedin.com/in/jose-garcia-5a1b2c3/', 'http://www.personal-homepage.net/~jdoe/index.html',
];

/** Single words (a first name, a surname, a town, a noun): the one-word values of profile and search fields. */
export const I18N_WORDS: readonly string[] = [
  'Agnieszka', 'Wojciech', 'Dvořáková', 'Ždánice', 'Győr', 'Pécs', 'Iași', 'Brașov', 'Gümüşhane', 'Eskişehir', 'Thành', 'Quỳnh',
  'Nürnberg', 'Mönchengladbach', 'Jönköping', 'Ålesund', 'Næstved', 'Akureyri', 'Hafnarfjörður', 'Angoulême', 'Gérardmer', 'Hélène',
  'Jérôme', 'Conceição', 'Florianópolis', 'Gonçalves', 'Begoña', 'Cádiz', 'Jaén', 'Almería', 'Peñíscola', 'Muñoz', 'Ibáñez', 'Núñez',
  'Fábregas', 'Lleida', 'Sabadell', 'Castelló', 'Ourense', 'Cañete', 'Ávila', 'León', 'Cáceres', 'Málaga', 'Córdoba', 'Avilés',
  'Begoñazpi', 'Olatz', 'Iñigo', 'Ainhoa', 'Guipúzcoa', 'Pamplona-Iruña', 'Tromsø', 'Šiauliai', 'Kaunas', 'Liepāja', 'Tartu', 'Pärnu',
  'Ljubljana', 'Črnomelj', 'Zagreb', 'Čakovec', 'Niš', 'Ohrid', 'Mykolaiv', 'Харків', 'Одеса', 'Новосибирск', 'Екатеринбург', 'Пловдив',
  'Ηράκλειο', 'Πάτρα', 'Ευχαριστώ', 'Καλημέρα', '横浜', '名古屋', '札幌', '京都', '深圳', '广州', '台北', '香港', '인천', '대구', '광주',
  'حيفا', 'الإسكندرية', 'مراكش', 'تونس', 'أصفهان', 'חיפה', 'באר שבע', 'चेन्नई', 'কলকাতা', 'ஈரோடு', 'เชียงใหม่', 'ภูเก็ต',
  'café', 'crêpe', 'façade', 'jalapeño', 'mañana', 'señorita', 'über', 'Straße', 'smörgåsbord', 'fjäll', 'piñón', 'corazón', 'acción',
  'ilusión', 'música', 'película', 'teléfono', 'república', 'económico', 'pájaro', 'árbol', 'ñandú', 'cigüeña', 'pingüino', 'averigüé',
];

const HOST_WORDS = ['news', 'blog', 'shop', 'my', 'the', 'daily', 'photo', 'music', 'travel', 'recipes', 'anime', 'sports', 'city',
  'garden', 'tech', 'kids', 'family', 'art', 'book', 'game', 'home', 'auto', 'film', 'world', 'life', 'green', 'blue', 'studio'];
const TLDS = ['.com', '.net', '.org', '.de', '.es', '.fr', '.co.uk', '.com.br', '.jp', '.info', '.blogspot.com', '.wordpress.com', '.io'];
const PATH_WORDS = ['2009', '2014', '2023', '05', '11', 'archive', 'labels', 'category', 'news', 'post', 'manga', 'recent', 'page',
  'photos', 'events', 'wiki', 'index', 'about', 'contact', 'products', 'item', 'reviews', 'how-to-cook-rice', 'best-of-2019', 'v50', 'c470'];

/** A web address of the shapes people paste: http(s), a blog or shop host, a few path segments, maybe a file name and a query. */
export function randomUrl(r: Rng): string {
  let host = r.pick(HOST_WORDS) + (r.next() < 0.6 ? r.pick(HOST_WORDS) : '') + (r.next() < 0.3 ? String(r.int(999)) : '');
  if (r.next() < 0.4) host = 'www.' + host;
  let url = `${r.next() < 0.5 ? 'http' : 'https'}://${host}${r.pick(TLDS)}/`;
  const depth = r.int(4);
  for (let i = 0; i < depth; i++) url += r.pick(PATH_WORDS) + (i < depth - 1 || r.next() < 0.3 ? '/' : '');
  if (depth > 0 && !url.endsWith('/') && r.next() < 0.5) url += r.pick(['.html', '.htm', '.php', '.aspx', '.gif', '.jpg']);
  if (r.next() < 0.25) url += `?${r.pick(['id', 'p', 'page', 'season', 'lang', 'ref'])}=${r.int(9999)}`;
  return url;
}

const PRODUCTS = ['wood panel', 'modern art print', 'embroidery hoop', 'vinyl record', 'picture frame', 'canvas', 'rug', 'mirror',
  'pipe', 'shelf', 'tv', 'monitor', 'pizza stone', 'cutting board', 'poster', 'tablecloth', 'curtain', 'bike wheel', 'tile', 'planter'];
const QUOTED = ['into the wild', 'where the wild things are', 'not all who wander', 'right on', 'with you', 'case', 'table', 'select',
  'union jack', 'drop dead gorgeous', 'or else', 'and then', 'mod', 'kitchen', 'the end', 'love', 'home sweet home', 'best mom ever'];
const DECADES = ["50's", "60's dress", "1970's lamp", "80s", "90's band tee", "'70s vinyl", 'Y2K'];

/** Shop searches as people type them: sizes with inch and foot marks, quoted titles, decades, `#1`, `&`, `+`, `x`. */
export function productSearch(r: Rng): string {
  const n = (): number => 1 + r.int(60);
  const shapes: (() => string)[] = [
    () => `${n()}" x ${n()}" ${r.pick(PRODUCTS)}`, () => `${n()}'x${n()}' ${r.pick(PRODUCTS)}`, () => `${n()}' x ${n()}' ${r.pick(PRODUCTS)}`,
    () => `${r.pick(PRODUCTS)} (${n()}")`, () => `"${r.pick(QUOTED)}" ${r.pick(PRODUCTS)}`, () => `"${r.pick(QUOTED)}"`,
    () => `"${r.pick(QUOTED)}" "${r.pick(QUOTED)}"`, () => `${r.pick(DECADES)} ${r.pick(PRODUCTS)}`, () => `#${1 + r.int(9)} ${r.pick(['mom', 'dad', 'fan', 'seller'])} ${r.pick(PRODUCTS)}`,
    () => `${n()} and half ${r.pick(PRODUCTS)}`, () => `${r.pick(PRODUCTS)} ${n()}' ${r.pick(['long', 'wide', 'tall'])}`, () => `5'${r.int(12)}" ${r.pick(['height', 'tall', 'petite'])} ${r.pick(['jeans', 'dress', 'coat'])}`,
    () => `${r.pick(PRODUCTS)} & ${r.pick(PRODUCTS)}`, () => `${r.pick(PRODUCTS)} + ${r.pick(PRODUCTS)} set`, () => `${r.pick(QUOTED)} ${n()}" ${r.pick(PRODUCTS)} - ${r.pick(['sale', 'new', 'vintage'])}`,
  ];
  const s = r.pick(shapes)();
  return r.next() < 0.2 ? s.toUpperCase() : s;
}

/**
 * Windows-1251 bytes of the Russian, Ukrainian and Belarusian letters outside the contiguous А…я block
 * (0xC0–0xFF). Serbian and Macedonian letters (Ђ, Ј, Љ, …) are left out: text with them is not encoded.
 */
const CP1251_EXTRA: ReadonlyMap<string, number> = new Map([['Ё', 0xa8], ['ё', 0xb8], ['І', 0xb2], ['і', 0xb3], ['Ї', 0xaf], ['ї', 0xbf],
  ['Є', 0xaa], ['є', 0xba], ['Ґ', 0xa5], ['ґ', 0xb4], ['Ў', 0xa1], ['ў', 0xa2]]);

/** True when every character of `text` is in ISO-8859-1 (code points up to U+00FF). */
function fitsLatin1(text: string): boolean {
  return [...text].every((c) => c.charCodeAt(0) <= 0xff);
}

/**
 * Percent-encodes `text` as a page in a legacy single-byte charset makes a browser send it: ISO-8859-1
 * (`Straße` → `Stra%DFe`) when every character fits in Latin-1, else Windows-1251 for Cyrillic text
 * (`Київ` → `%CA%E8%BF%E2`); `undefined` when neither charset holds the text. Hex digits in upper or
 * lower case, as clients differ; spaces as `%20`.
 */
export function legacyPercentEncode(text: string, lowerHex = false): string | undefined {
  const latin1 = fitsLatin1(text);
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    let byte: number | undefined;
    if (/[A-Za-z0-9\-._~]/.test(c)) { out += c; continue; }
    if (latin1) byte = code;
    else if (code >= 0x410 && code <= 0x44f) byte = code - 0x410 + 0xc0;
    else byte = code < 0x80 ? code : CP1251_EXTRA.get(c);
    if (byte === undefined) return undefined;
    const hex = byte.toString(16).padStart(2, '0');
    out += '%' + (lowerHex ? hex : hex.toUpperCase());
  }
  return out;
}

/** The charset `legacyPercentEncode` uses for `text`, or `undefined` when neither holds it. */
export function legacyCharset(text: string): 'ISO-8859-1' | 'windows-1251' | undefined {
  if (legacyPercentEncode(text) === undefined) return undefined;
  return fitsLatin1(text) ? 'ISO-8859-1' : 'windows-1251';
}

const LEGACY_ALL = [...I18N_WORDS, ...I18N_PLACES, ...I18N_NAMES, ...I18N_TEXT].filter((t) => /(?![\x00-\x7f])\p{L}/u.test(t));
/** Names, places, words and phrases with a non-ASCII letter that ISO-8859-1 (Western European) can encode. */
export const LEGACY_LATIN1_TEXT: readonly string[] = LEGACY_ALL.filter((t) => legacyCharset(t) === 'ISO-8859-1');
/** The same for Windows-1251 (Cyrillic). */
export const LEGACY_CP1251_TEXT: readonly string[] = LEGACY_ALL.filter((t) => legacyCharset(t) === 'windows-1251');
