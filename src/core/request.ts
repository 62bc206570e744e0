// RequestView: the plain-data picture of one HTTP request that detectors and policy read.

/**
 * One request as the detection engine sees it. Plain data, no sockets: the shield builds it,
 * `jirachi explain` and `jirachi eval` build it from JSON. Header names are lower-case; a header
 * sent twice appears twice, in order.
 */
export interface RequestView {
  readonly method: string;
  /** Raw path as sent, without the query string (still percent-encoded). */
  readonly path: string;
  /** Raw query string without the leading `?` (still percent-encoded); '' when absent. */
  readonly query: string;
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>;
  /** The inspected body prefix decoded as UTF-8 (lossy); '' when there is none. */
  readonly body: string;
  /** True when `body` is only a prefix of a longer body (inspection limit reached). */
  readonly bodyTruncated: boolean;
  /** Client address as decided by the shield (trusted-proxy aware). */
  readonly clientIp: string;
}

/** Returns the first value of a header (name in lower case), or undefined. Never throws. */
export function headerValue(view: Pick<RequestView, 'headers'>, name: string): string | undefined {
  for (const [n, v] of view.headers) if (n === name) return v;
  return undefined;
}

/** Lower-cased [name, value] pairs from Node's flat rawHeaders array. Never throws. */
export function headerPairs(raw: readonly string[]): Array<readonly [string, string]> {
  const out: Array<readonly [string, string]> = [];
  for (let i = 0; i < raw.length; i += 2) out.push([raw[i]!.toLowerCase(), raw[i + 1]!]);
  return out;
}

/** Builds a RequestView from loose fields, lower-casing header names. Never throws. */
export function makeRequestView(input: {
  method?: string; path?: string; query?: string; body?: string; bodyTruncated?: boolean;
  clientIp?: string; headers?: Record<string, string> | ReadonlyArray<readonly [string, string]>;
}): RequestView {
  const raw = input.headers ?? [];
  const pairs: Array<readonly [string, string]> = Array.isArray(raw)
    ? (raw as ReadonlyArray<readonly [string, string]>).map(([n, v]) => [String(n).toLowerCase(), String(v)] as const)
    : Object.entries(raw).map(([n, v]) => [n.toLowerCase(), String(v)] as const);
  return {
    method: (input.method ?? 'GET').toUpperCase(),
    path: input.path ?? '/',
    query: input.query ?? '',
    headers: pairs,
    body: input.body ?? '',
    bodyTruncated: input.bodyTruncated ?? false,
    clientIp: input.clientIp ?? '0.0.0.0',
  };
}
