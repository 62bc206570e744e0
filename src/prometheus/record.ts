// LogRecord: one parsed log line as plain data, the common shape every log format produces.

/** Where a training label came from. `none` means the row is unlabeled (kept for counts, skipped in training). */
export type LabelOrigin = 'verdict' | 'feedback' | 'decoy' | 'corpus' | 'none';

/** The label of a row: 1 attack, 0 benign, null unlabeled. */
export type Label = 0 | 1 | null;

/**
 * One request reconstructed from a log line. Header names are lower case. Fields a format does not
 * carry are empty strings (body is almost never logged). `status` is the HTTP status or 0.
 */
export interface LogRecord {
  readonly time: string;
  readonly format: string;
  readonly clientIp: string;
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly body: string;
  readonly status: number;
  readonly label: Label;
  readonly labelOrigin: LabelOrigin;
}

/** Why a line was rejected. Counted per reason; the line itself is never echoed (it is attacker text). */
export type BadLineReason =
  | 'too-long' | 'not-json' | 'not-object' | 'missing-field' | 'bad-field' | 'no-match'
  | 'bad-request-line' | 'bad-status' | 'bad-encoding' | 'not-request';

/** A rejected line: its reason and a short, safe detail (a field name, never line content). */
export interface BadLine {
  readonly reason: BadLineReason;
  readonly detail: string;
}
