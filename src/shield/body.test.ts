// Which bodies are inspected (type words and text sniffing) and which multipart bodies are refused (transfer encodings, two boundaries).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspectsBody, isInspectableType, looksLikeText, multipartEncodingError } from './body.js';

const hex = (h: string): Buffer => Buffer.from(h, 'hex');
/** First bytes of real files (taken from files on a Debian system). */
const MAGIC: Record<string, [string, Buffer]> = {
  png: ['image/png', hex('89504e470d0a1a0a0000000d49484452000002600000011308020000001e572d75000079304944415478daecd5810000')],
  jpeg: ['image/jpeg', hex('ffd8ffdb0043000101010101010101010101010101010201010101010202020202030303030303030303040404030304')],
  gzip: ['application/gzip', hex('1f8b0808cda53b57000361746c61732e64617400ad5d4192eda06e9df72afe126c30d81ea62aa96494a492fdef25f7fd')],
  zip: ['application/zip', hex('504b03041400080808000000955c000000000000000000000000390000006a6176612e626173652f636f6d2f73756e2f')],
  woff2: ['font/woff2', hex('774f46320001000000009ed00011000000015de800009e6e000100000000000000000000000000000000000000000000')],
  // %PDF-1.5, the binary-marker comment, then an object with a FlateDecode stream.
  pdf: ['application/pdf', Buffer.concat([Buffer.from('%PDF-1.5\n%'), hex('d0d4c5d8'), Buffer.from('\n1 0 obj\n<<\n/Length 587       \n/Filter /FlateDecode\n>>\nstream\n'), hex('78da6d544d8fa24010bdf32b7a0f26cec1b13f147442')])],
};

test('binary uploads with real magic numbers stay uninspected, under their own type and as octet-stream', () => {
  for (const [name, [type, prefix]] of Object.entries(MAGIC)) {
    assert.equal(inspectsBody(type, prefix), false, name);
    assert.equal(inspectsBody('application/octet-stream', prefix), false, `${name} as octet-stream`);
    assert.equal(looksLikeText(prefix), false, name);
  }
});

test('types frameworks parse as JSON/XML/forms are inspected whatever the body looks like', () => {
  const payload = Buffer.from(`{"q":"1' OR '1'='1"}`);
  for (const t of ['image/json', 'application/x-json', 'font/json', 'application/octet-stream; profile=/json', 'application/vnd.api+json',
    'application/x-yaml', 'application/graphql-response', 'application/x-javascript', 'image/svg+xml', 'application/x-form', 'APPLICATION/X-JSON']) {
    assert.equal(inspectsBody(t, payload), true, t);
    assert.equal(inspectsBody(t, MAGIC['png']![1]), true, `${t} with binary bytes`);
  }
  // The old allow-list alone let these through uninspected.
  assert.equal(isInspectableType('image/json'), false);
  // The textual list stays inspected, and so does a body without a type.
  for (const t of [undefined, '', 'application/json', 'text/plain; charset=utf-8', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded']) {
    assert.equal(inspectsBody(t, MAGIC['zip']![1]), true, String(t));
  }
});

test('a text body under a binary or unknown type is sniffed as text and inspected', () => {
  const cases = [
    `{"name":"x","q":"1' OR 1=1 --"}`,
    'id,name\n1,Zoë\n2,東京 🍣\n',
    '\x1b[31merror\x1b[0m: log line with ANSI colours\r\n\tindented\n',
    '',
  ];
  for (const c of cases) assert.equal(inspectsBody('application/octet-stream', Buffer.from(c)), true, JSON.stringify(c));
  assert.equal(inspectsBody('image/png', Buffer.from('<?php system($_GET["c"]); ?>')), true, 'a "PNG" that is PHP text');
  // A multi-byte character cut by the 512-byte sample is still text.
  const cut = Buffer.concat([Buffer.from('a'.repeat(511)), Buffer.from('東京')]);
  assert.equal(looksLikeText(cut), true);
  assert.equal(looksLikeText(cut.subarray(0, 512)), true, 'cut inside a sequence at the end of the body');
});

test('the text sniff refuses NUL, malformed UTF-8 and control-heavy samples', () => {
  const bad: Array<[string, Buffer]> = [
    ['NUL', Buffer.from('{"a":1}\0')],
    ['stray continuation', Buffer.from([0x61, 0x80, 0x61])],
    ['overlong slash', Buffer.from([0x61, 0xc0, 0xaf])],
    ['overlong 3-byte', Buffer.from([0xe0, 0x80, 0xaf])],
    ['surrogate', Buffer.from([0xed, 0xa0, 0x80])],
    ['above U+10FFFF', Buffer.from([0xf4, 0x90, 0x80, 0x80])],
    ['latin1 text', Buffer.from('caf\xe9 cr\xe8me', 'latin1')],
    ['control bytes', Buffer.from('\x01\x02\x03\x04\x05\x06\x07\x08\x0b\x0c'.repeat(10) + 'abc')],
  ];
  for (const [name, b] of bad) assert.equal(looksLikeText(b), false, name);
  // Only the first 512 bytes count: binary after them does not change the answer.
  assert.equal(looksLikeText(Buffer.concat([Buffer.from('x'.repeat(512)), MAGIC['png']![1]])), true);
});

/** A multipart body as browsers and clients write it. */
function multipart(boundary: string, parts: Array<[string[], string]>, eol = '\r\n'): Buffer {
  let s = '';
  for (const [headers, content] of parts) s += `--${boundary}${eol}${headers.join(eol)}${eol}${eol}${content}${eol}`;
  return Buffer.from(s + `--${boundary}--${eol}`);
}

test('ordinary multipart bodies (browser forms, file uploads, MTOM) are not refused', () => {
  const b = '----WebKitFormBoundary7MA4YWxkTrZu0gW';
  const ct = `multipart/form-data; boundary=${b}`;
  const browser = multipart(b, [
    [['Content-Disposition: form-data; name="title"'], 'Content-Transfer-Encoding: base64 is how mail encodes attachments'],
    [['Content-Disposition: form-data; name="avatar"; filename="a.png"', 'Content-Type: image/png'], MAGIC['png']![1].toString('latin1')],
  ]);
  assert.equal(multipartEncodingError(ct, browser), null);
  const mtom = multipart('uuid:0ca0e16e-feb1-426c-97d8-c4508ada5e82', [
    [['Content-Type: application/xop+xml; charset=UTF-8; type="text/xml"', 'Content-Transfer-Encoding: binary', 'Content-ID: <root.message@cxf.apache.org>'], '<soap:Envelope/>'],
    [['Content-Type: application/octet-stream', 'Content-Transfer-Encoding:  8BIT ', 'Content-ID: <a@b>'], 'data'],
    [['Content-Type: text/plain', 'content-transfer-encoding: 7bit'], 'text'],
  ]);
  assert.equal(multipartEncodingError('multipart/related; type="application/xop+xml"; boundary="uuid:0ca0e16e-feb1-426c-97d8-c4508ada5e82"; start="<root.message@cxf.apache.org>"', mtom), null);
  // Not multipart: the same text is not a part header.
  assert.equal(multipartEncodingError('text/plain', Buffer.from('--x\r\nContent-Transfer-Encoding: base64\r\n')), null);
  assert.equal(multipartEncodingError(undefined, Buffer.from('--x\r\nContent-Transfer-Encoding: base64\r\n')), null);
});

test('a part with a decoding Content-Transfer-Encoding is refused with 415 naming the encoding', () => {
  const payload = Buffer.from("1' OR '1'='1' -- <script>alert(document.cookie)</script>").toString('base64');
  const ct = 'multipart/form-data; boundary=real';
  const variants: Array<[string, Buffer]> = [
    ['base64 (the review case)', multipart('real', [[['Content-Disposition: form-data; name="q"', 'Content-Transfer-Encoding: base64'], payload]])],
    ['quoted-printable', multipart('real', [[['Content-Disposition: form-data; name="q"', 'Content-Transfer-Encoding: quoted-printable'], '1=27 OR 1=3D1']])],
    ['upper case, spaces', multipart('real', [[['CONTENT-TRANSFER-ENCODING :  BASE64  ', 'Content-Disposition: form-data; name="q"'], payload]])],
    ['LF line ends', multipart('real', [[['Content-Disposition: form-data; name="q"', 'Content-Transfer-Encoding: base64'], payload]], '\n')],
    ['folded value', multipart('real', [[['Content-Disposition: form-data; name="q"', 'Content-Transfer-Encoding:', ' base64'], payload]])],
    ['second part', multipart('real', [[['Content-Disposition: form-data; name="a"'], 'ok'], [['Content-Disposition: form-data; name="q"', 'Content-Transfer-Encoding: base64'], payload]])],
    ['unknown value', multipart('real', [[['Content-Disposition: form-data; name="q"', 'Content-Transfer-Encoding: x-uuencode'], payload]])],
  ];
  for (const [name, body] of variants) {
    const e = multipartEncodingError(ct, body);
    assert.equal(e?.status, 415, name);
    assert.equal(e?.code, 'transfer-encoding', name);
  }
  assert.match(multipartEncodingError(ct, variants[0]![1])!.message, /Content-Transfer-Encoding "base64"/);
  assert.match(multipartEncodingError(ct, variants[1]![1])!.message, /"quoted-printable".*only 7bit, 8bit or binary/);
});

test('a part header cut by the end of the prefix is refused only if no accepted value can follow', () => {
  const ct = 'multipart/form-data; boundary=real';
  const head = '--real\r\nContent-Disposition: form-data; name="q"\r\nContent-Transfer-Encoding: ';
  assert.equal(multipartEncodingError(ct, Buffer.from(head + '7b')), null);
  assert.equal(multipartEncodingError(ct, Buffer.from(head + 'bin')), null);
  assert.equal(multipartEncodingError(ct, Buffer.from(head + 'bas'))?.code, 'transfer-encoding');
  assert.equal(multipartEncodingError(ct, Buffer.from(head + 'base64\r\n'))?.code, 'transfer-encoding');
});

test('a multipart Content-Type with two boundary parameters is refused with 400', () => {
  const body = multipart('real', [[['Content-Disposition: form-data; name="q"'], 'x']]);
  for (const ct of ['multipart/form-data; boundary=zzz; boundary=real', 'multipart/form-data; BOUNDARY=real;boundary = "zzz"', "multipart/form-data; boundary=real; boundary*=utf-8''zzz"]) {
    const e = multipartEncodingError(ct, body);
    assert.deepEqual([e?.status, e?.code], [400, 'multipart-boundary'], ct);
  }
  for (const ct of ['multipart/form-data; boundary=real', 'multipart/form-data; boundary = "real"', 'multipart/form-data; charset=utf-8; boundary=real']) {
    assert.equal(multipartEncodingError(ct, body), null, ct);
  }
});

test('the part-header scan stays linear on adversarial prefixes', () => {
  const ct = 'multipart/form-data; boundary=x';
  const shapes = [
    Buffer.from('--x\n' + 'a'.repeat(2 * 1024 * 1024)),
    Buffer.from('--x\n' + 'b:' + ' '.repeat(4 * 1024 * 1024)),
    Buffer.from('--x\r\n' + 'Content-Transfer-Encoding'.repeat(80_000)),
    Buffer.from('--\n'.repeat(700_000)),
    Buffer.from('--x\n' + 'h\n'.repeat(1_000_000)),
  ];
  // Each is several MiB: a scan that went back over the prefix per line would not finish.
  for (const b of shapes) assert.equal(multipartEncodingError(ct, b), null);
  assert.equal(multipartEncodingError(ct, Buffer.concat([shapes[4]!, Buffer.from('Content-Transfer-Encoding: base64\n')]))?.code, 'transfer-encoding');
});
