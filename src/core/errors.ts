// Stable error codes for bugs and I/O failures that surface as exceptions.

/** Every code a JirachiError may carry. A test enumerates them; add new ones here only. */
export const ERROR_CODES = [
  'JIRACHI_ERR_CONFIG',
  'JIRACHI_ERR_IO',
  'JIRACHI_ERR_UPSTREAM',
  'JIRACHI_ERR_MODEL',
  'JIRACHI_ERR_KERNEL',
  'JIRACHI_ERR_FEDERATION',
  'JIRACHI_ERR_AUTH',
  'JIRACHI_ERR_USAGE',
  'JIRACHI_ERR_INTERNAL',
] as const;

/** One of ERROR_CODES. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** An exception with a stable machine-readable code. Message is for humans and never holds secrets. */
export class JirachiError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = 'JirachiError';
  }
}

/** True if `e` is a JirachiError with the given code (or any code if none is given). */
export function isJirachiError(e: unknown, code?: ErrorCode): e is JirachiError {
  return e instanceof JirachiError && (code === undefined || e.code === code);
}
