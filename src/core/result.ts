// Result values: how untrusted input reports failure without exceptions.

/** A success carrying a value. */
export interface Ok<T> { readonly ok: true; readonly value: T }
/** A failure carrying a typed error. */
export interface Err<E> { readonly ok: false; readonly error: E }
/** Either a value or a typed error. Parsers of untrusted input return this; they never throw. */
export type Result<T, E> = Ok<T> | Err<E>;

/** Wraps a value as a success. */
export function ok<T>(value: T): Ok<T> {
  return { ok: true, value };
}

/** Wraps an error as a failure. */
export function err<E>(error: E): Err<E> {
  return { ok: false, error };
}
