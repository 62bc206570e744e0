// The request and response the pipeline works on: the seam between the pipeline and the two HTTP/1.1
// servers behind it (the shield's own fast server and node:http).

import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/** One client request as the pipeline reads it. */
export interface ShieldRequest {
  readonly method: string;
  /** The request target as sent. */
  readonly url: string;
  readonly httpVersion: string;
  /** Headers as node:http presents them (lower-case names, repeats joined by its rules). */
  readonly headers: IncomingHttpHeaders;
  /** Headers as sent: [name, value, ...]. */
  readonly rawHeaders: readonly string[];
  readonly socket: Socket;
  /** The whole body, read before the pipeline started (fast server); null: read it from `stream`. */
  readonly body: Buffer | null;
  /** The request as a stream of body bytes (node:http); null when `body` holds the whole body. */
  readonly stream: IncomingMessage | null;
}

/** Events a response emits: `close` once (finished or the connection went away), `finish`, `drain`. */
export type ResponseEvent = 'close' | 'finish' | 'drain';

/** The response to one client request. node:http's ServerResponse satisfies it as is. */
export interface ShieldResponse {
  readonly headersSent: boolean;
  readonly statusCode: number;
  readonly destroyed: boolean;
  readonly writableFinished: boolean;
  /** False: close the connection after this response. */
  shouldKeepAlive: boolean;
  /** Sets status and headers (an object, or flat [name, value, ...]); throws on invalid header characters. */
  writeHead(status: number, headers: OutgoingHttpHeaders | string[]): unknown;
  /** Writes body bytes; false when the client is not keeping up (wait for `drain`). */
  write(chunk: Buffer): boolean;
  end(chunk?: Buffer | string): unknown;
  /** Drops the connection (the client sees a truncated or no response). */
  destroy(): unknown;
  /** Sends `100 Continue`. */
  writeContinue(): void;
  on(event: ResponseEvent, listener: () => void): unknown;
  once(event: ResponseEvent, listener: () => void): unknown;
  off(event: ResponseEvent, listener: () => void): unknown;
}

/** A node:http request as a ShieldRequest (its body is read from the stream). */
export function nodeRequest(req: IncomingMessage): ShieldRequest {
  return {
    method: req.method ?? 'GET', url: req.url ?? '/', httpVersion: req.httpVersion,
    get headers() { return req.headers; },
    rawHeaders: req.rawHeaders, socket: req.socket, body: null, stream: req,
  };
}
