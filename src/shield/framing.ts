// Strict request framing beyond what Node's parser (llhttp) already refuses. Pure.

/** Why a request's framing is refused, with the status to answer. */
export interface FramingError {
  readonly status: 400 | 501;
  readonly code: string;
  readonly message: string;
}

/**
 * Checks the request head for ambiguous or unsupported framing that llhttp lets through:
 * a Transfer-Encoding other than exactly `chunked` (501), Transfer-Encoding on HTTP/1.0,
 * several Host headers, and absolute-form or asterisk-form targets (a reverse proxy takes origin
 * form only). llhttp itself refuses CL+TE, duplicate or invalid Content-Length, obs-fold, bad chunk
 * sizes, bare LF and NUL/CTL bytes (checked by test/e2e/shield-smuggling). Returns null when fine.
 */
export function checkFraming(httpVersion: string, url: string, rawHeaders: readonly string[]): FramingError | null {
  let hosts = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 4 && name.toLowerCase() === 'host') hosts++;
    else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
      if (httpVersion === '1.0') return { status: 400, code: 'te-http10', message: 'Transfer-Encoding in an HTTP/1.0 request' };
      if (rawHeaders[i + 1]!.trim().toLowerCase() !== 'chunked') return { status: 501, code: 'te-unsupported', message: 'only Transfer-Encoding: chunked is supported' };
    }
  }
  if (hosts > 1) return { status: 400, code: 'host-duplicate', message: 'more than one Host header' };
  if (url.charCodeAt(0) !== 47 /* '/' */) return { status: 400, code: 'target-form', message: 'request target must be in origin form (/path)' };
  return null;
}
