// The body stage of an inspected route as pure decisions, shared by the live pipeline and `jirachi explain`.

import { bodyEncodingError, inspectsBody, multipartEncodingError } from './body.js';

/** The body limits of a config (`limits.*`). */
export interface BodyLimits {
  readonly maxBodyBytes: number;
  readonly inspectBodyBytes: number;
  readonly overInspectLimit: 'reject' | 'inspect-prefix';
}

/** Why the shield answers instead of forwarding: status, stable code, message, and the decision reason. */
export interface BodyRefusal {
  readonly status: 400 | 413 | 415;
  readonly code: string;
  readonly message: string;
  /** `protocol:<code>` or `body-too-large`. */
  readonly reason: string;
}

/** The refusal of a body over `maxBodyBytes`. */
export const TOO_LARGE: BodyRefusal = { status: 413, code: 'too_large', message: 'The request body is over the size limit.', reason: 'body-too-large' };

/**
 * Before any body byte is read: a declared length over `maxBodyBytes` (413), or a body the shield
 * cannot read as the application will (compressed, UTF-16/32/7, two Content-Type or
 * Content-Encoding headers). Null when the body may be read. Pure.
 */
export function bodyHeadCheck(limits: BodyLimits, rawHeaders: readonly string[], declared: number, hasBody: boolean): BodyRefusal | null {
  if (declared > limits.maxBodyBytes) return TOO_LARGE;
  const e = hasBody ? bodyEncodingError(rawHeaders) : null;
  return e ? { status: e.status, code: e.code, message: e.message, reason: `protocol:${e.code}` } : null;
}

/** What the engine gets from a body: its text ('' when not inspected) and whether that is only a prefix. */
export interface BodyForInspection { readonly text: string; readonly truncated: boolean; readonly inspected: boolean }

/**
 * After the prefix is read (`complete`: it is the whole body): a multipart body whose parts the
 * application would decode (base64 or quoted-printable parts, two boundaries), the refusal under
 * `overInspectLimit: reject` for an inspected body longer than `inspectBodyBytes`, or the text the
 * engine inspects (decoded as UTF-8, at most `inspectBodyBytes`; `decoded` when the caller already has it). A body is inspected when its type
 * is textual or names a text syntax anywhere (`image/json` is JSON to Laravel), or its first bytes
 * sniff as text; real binary uploads are not. Pure.
 */
export function bodyPrefixCheck(limits: BodyLimits, contentType: string | undefined, prefix: Buffer, complete: boolean, decoded?: string): BodyRefusal | BodyForInspection {
  const mp = multipartEncodingError(contentType, prefix);
  if (mp) return { status: mp.status, code: mp.code, message: mp.message, reason: `protocol:${mp.code}` };
  const inspected = inspectsBody(contentType, prefix);
  if (!inspected) return { text: '', truncated: !complete, inspected };
  if (!complete && limits.overInspectLimit === 'reject') return TOO_LARGE;
  return { text: decoded ?? inspectedText(prefix, limits), truncated: !complete || prefix.length > limits.inspectBodyBytes, inspected };
}

/** The text the engine inspects of a body prefix: its first `inspectBodyBytes`, as UTF-8. */
export function inspectedText(prefix: Buffer, limits: BodyLimits): string {
  return prefix.toString('utf8', 0, Math.min(prefix.length, limits.inspectBodyBytes));
}

/** Narrows a bodyPrefixCheck result. */
export const isRefusal = (r: BodyRefusal | BodyForInspection): r is BodyRefusal => 'status' in r;
