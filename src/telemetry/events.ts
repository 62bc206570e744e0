// The verdict event: one per request, published on a diagnostics channel for subscribers.

import diagnostics_channel from 'node:diagnostics_channel';
import type { Mode, Verdict } from '../core/index.js';

/** A finding as it appears in the decision log (no explanation text, excerpt already redacted). */
export interface LoggedFinding {
  readonly detector: string;
  readonly rule: string;
  readonly class: string;
  readonly score: number;
  readonly part: string;
  readonly param?: string;
  readonly excerpt: string;
}

/** A redacted sample of the request, so logs can become training data (see docs/RATIONALE.md). */
export interface RequestSample {
  readonly path: string;
  readonly query: string;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Everything the shield decided about one request. One JSONL line of the decision log. */
export interface VerdictEvent {
  readonly time: string;
  readonly requestId: string;
  readonly clientIp: string;
  readonly method: string;
  readonly host: string;
  readonly route: string;
  readonly verdict: Verdict;
  readonly mode: Mode;
  readonly wouldBlock: boolean;
  readonly score: number;
  readonly reason: string;
  readonly findings: readonly LoggedFinding[];
  readonly status: number;
  readonly upstreamStatus: number | null;
  readonly durations: { readonly inspectUs: number; readonly upstreamMs: number | null; readonly totalMs: number };
  readonly request: RequestSample;
}

/** Name of the verdict channel. */
export const VERDICT_CHANNEL = 'jirachi:verdict';
/** Name of the channel for protocol errors (malformed requests refused before the pipeline). */
export const PROTOCOL_CHANNEL = 'jirachi:protocol-error';

/** A request refused at the HTTP layer (smuggling shapes, bad framing, timeouts). */
export interface ProtocolErrorEvent {
  readonly time: string;
  readonly clientIp: string;
  readonly code: string;
  readonly status: number;
  readonly message: string;
}

const verdictChannel = diagnostics_channel.channel(VERDICT_CHANNEL);
const protocolChannel = diagnostics_channel.channel(PROTOCOL_CHANNEL);

/** Publishes a verdict event (cheap when nobody subscribes). */
export function publishVerdict(e: VerdictEvent): void {
  if (verdictChannel.hasSubscribers) verdictChannel.publish(e);
}

/** Publishes a protocol error event. */
export function publishProtocolError(e: ProtocolErrorEvent): void {
  if (protocolChannel.hasSubscribers) protocolChannel.publish(e);
}

/** Subscribes to verdict events; returns the unsubscribe function. */
export function onVerdict(fn: (e: VerdictEvent) => void): () => void {
  const h = (m: unknown): void => fn(m as VerdictEvent);
  diagnostics_channel.subscribe(VERDICT_CHANNEL, h);
  return () => { diagnostics_channel.unsubscribe(VERDICT_CHANNEL, h); };
}

/** Subscribes to protocol error events; returns the unsubscribe function. */
export function onProtocolError(fn: (e: ProtocolErrorEvent) => void): () => void {
  const h = (m: unknown): void => fn(m as ProtocolErrorEvent);
  diagnostics_channel.subscribe(PROTOCOL_CHANNEL, h);
  return () => { diagnostics_channel.unsubscribe(PROTOCOL_CHANNEL, h); };
}

let isoSecond = -1;
let isoPrefix = '';

/**
 * The current time as an ISO 8601 UTC string with milliseconds (as Date#toISOString), formatting
 * the date part once per second: this runs for every request's verdict event.
 */
export function isoNow(ms: number = Date.now()): string {
  const sec = Math.floor(ms / 1000);
  if (sec !== isoSecond) { isoSecond = sec; isoPrefix = new Date(sec * 1000).toISOString().slice(0, 20); }
  const m = ms - sec * 1000;
  return `${isoPrefix}${m < 10 ? '00' : m < 100 ? '0' : ''}${m}Z`;
}
