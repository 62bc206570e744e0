// Header rewriting for forwarding: hop-by-hop removal (RFC 9110 §7.6.1) and X-Forwarded-*.

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer',
  'proxy-authenticate', 'proxy-authorization', 'expect', 'http2-settings',
]);

/** Headers that claim a client identity; dropped unless the peer is a trusted proxy. */
const CLIENT_IDENTITY = new Set(['forwarded', 'x-real-ip', 'true-client-ip', 'client-ip', 'x-client-ip', 'x-cluster-client-ip', 'cf-connecting-ip', 'fastly-client-ip']);

/**
 * Headers that override the request target (IIS URL Rewrite's `X-Original-URL`, Symfony's and Zend's
 * `X-Rewrite-URL`): always dropped, since an upstream that honours them would serve `/admin` for a
 * request the shield's route policy judged as `/`, and CDNs in front pass client headers through.
 */
const TARGET_OVERRIDE = new Set(['x-original-url', 'x-rewrite-url', 'x-original-uri']);

/** True for a header name the shield controls (identity, target override, X-Forwarded-*), `name` lower-case with `-`. */
function proxyControlled(name: string): boolean {
  return CLIENT_IDENTITY.has(name) || TARGET_OVERRIDE.has(name) || name.startsWith('x-forwarded-');
}

/** Names listed in Connection headers (lower-case), which are hop-by-hop too. */
function connectionTokens(rawHeaders: readonly string[]): Set<string> | null {
  let out: Set<string> | null = null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length !== 10 || name.toLowerCase() !== 'connection') continue;
    for (const t of rawHeaders[i + 1]!.split(',')) {
      const n = t.trim().toLowerCase();
      if (n) (out ??= new Set()).add(n);
    }
  }
  return out;
}

/** What the forwarded request says about the original one. */
export interface ForwardedInfo {
  readonly clientIp: string;
  readonly proto: 'http' | 'https';
  readonly host: string | undefined;
  /** Trust the incoming X-Forwarded-* (the peer is a trusted proxy): append to XFF instead of replacing. */
  readonly appendXff: boolean;
}

/**
 * Builds the upstream request headers as a flat [name, value, ...] array: hop-by-hop headers and
 * those named in Connection are dropped, X-Forwarded-For/-Proto/-Host are set (an untrusted peer's
 * own X-Forwarded-* and client-identity headers are discarded; target-override headers and
 * underscore spellings of those headers always are). Order and duplicates of the rest are preserved.
 */
export function upstreamHeaders(rawHeaders: readonly string[], f: ForwardedInfo): string[] {
  const named = connectionTokens(rawHeaders);
  const out: string[] = [];
  let priorXff: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || (named !== null && named.has(lower))) continue;
    // CGI and PHP read `X_Original_URL` as `X-Original-URL` (both become HTTP_X_ORIGINAL_URL): underscore
    // spellings of a header the shield controls never pass.
    if (lower.includes('_') && proxyControlled(lower.replace(/_/g, '-'))) continue;
    if (TARGET_OVERRIDE.has(lower) || (CLIENT_IDENTITY.has(lower) && !f.appendXff)) continue;
    if (lower.startsWith('x-forwarded-')) {
      if (lower === 'x-forwarded-for' && f.appendXff) priorXff = priorXff ? `${priorXff}, ${rawHeaders[i + 1]}` : rawHeaders[i + 1];
      continue;
    }
    out.push(name, rawHeaders[i + 1]!);
  }
  out.push('x-forwarded-for', priorXff ? `${priorXff}, ${f.clientIp}` : f.clientIp, 'x-forwarded-proto', f.proto);
  if (f.host !== undefined) out.push('x-forwarded-host', f.host);
  return out;
}

/**
 * Filters upstream response headers (flat [name, value, ...] as received) for the client: hop-by-hop
 * and Connection-named headers removed, and Content-Length too when `dropLength` (the body is not
 * length-delimited upstream, so Node frames it for the client).
 */
export function downstreamRawHeaders(headers: readonly string[], dropLength: boolean): string[] {
  const named = connectionTokens(headers);
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || (named !== null && named.has(lower)) || (dropLength && lower === 'content-length')) continue;
    out.push(name, headers[i + 1]!);
  }
  return out;
}
