// Header rewriting for forwarding: hop-by-hop removal (RFC 9110 §7.6.1) and X-Forwarded-*.

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer',
  'proxy-authenticate', 'proxy-authorization', 'expect', 'http2-settings',
]);

/**
 * Headers only a proxy may set, dropped unless the peer is a trusted proxy: those that claim a client
 * identity, and those that override the request target (IIS URL Rewrite's `X-Original-URL`, Symfony's
 * and Zend's `X-Rewrite-URL`): an upstream that honours them would serve `/admin` for a request the
 * shield's route policy judged as `/`.
 */
const PROXY_ONLY = new Set(['forwarded', 'x-real-ip', 'true-client-ip', 'client-ip', 'x-client-ip', 'x-cluster-client-ip', 'cf-connecting-ip', 'fastly-client-ip',
  'x-original-url', 'x-rewrite-url', 'x-original-uri']);

/** Names listed in Connection headers (lower-case), which are hop-by-hop too. */
function connectionTokens(rawHeaders: readonly string[]): Set<string> | null {
  let out: Set<string> | null = null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.toLowerCase() !== 'connection') continue;
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
 * own X-Forwarded-*, client-identity and target-override headers are discarded). Order and duplicates
 * of the rest are preserved.
 */
export function upstreamHeaders(rawHeaders: readonly string[], f: ForwardedInfo): string[] {
  const named = connectionTokens(rawHeaders);
  const out: string[] = [];
  let priorXff: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (HOP_BY_HOP.has(lower) || (named !== null && named.has(lower))) continue;
    if (PROXY_ONLY.has(lower) && !f.appendXff) continue;
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

/** Headers through which a POST claims another method (Express method-override, Symfony, ASP.NET, Google APIs). */
const OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'] as const;
const OVERRIDE_METHODS = new Set(['GET', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);

/**
 * The method a POST claims through an override header, upper-cased, when it names one that frameworks
 * honour; undefined otherwise (other methods' overrides are ignored by those frameworks). `get` reads
 * a request header by its lower-case name.
 */
export function methodOverride(method: string, get: (name: string) => string | undefined): string | undefined {
  if (method !== 'POST') return undefined;
  for (const h of OVERRIDE_HEADERS) {
    const v = get(h)?.trim().toUpperCase();
    if (v !== undefined && OVERRIDE_METHODS.has(v)) return v;
  }
  return undefined;
}
