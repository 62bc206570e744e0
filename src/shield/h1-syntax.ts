// HTTP/1.1 syntax shared by the request recognizer, the fast server's answers and the upstream client. Pure.

/** RFC 9110 tchar as a lookup table. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) { TCHAR[c] = 1; TCHAR[c + 32] = 1; }

/** s[a, b) (all of `s` by default) is a token (RFC 9110 tchar+): header names, methods. */
export function isToken(s: string, a = 0, b = s.length): boolean {
  if (b <= a) return false;
  for (let i = a; i < b; i++) { const c = s.charCodeAt(i); if (c > 127 || TCHAR[c] === 0) return false; }
  return true;
}

/**
 * A Connection header value asks to close the connection: `close` is one item of its comma-separated
 * list, as llhttp and node:http read it (`keep-alive close` is one unknown token).
 */
export function closesConnection(value: string): boolean {
  const v = value.toLowerCase();
  return v.includes('close') && v.split(',').some((t) => t.trim() === 'close');
}
