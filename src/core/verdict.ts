// Verdicts and decisions: the output of policy, the input of the shield's response stage.

import type { Finding } from './finding.js';

/** The four things the shield can do with a request. */
export type Verdict = 'ALLOW' | 'BLOCK' | 'DECEIVE' | 'RATE_LIMIT';

/** Route modes: off (no inspection), detect (inspect, never block), block (enforce). */
export type Mode = 'off' | 'detect' | 'block';

/** A policy decision with the reasons behind it. */
export interface Decision {
  readonly verdict: Verdict;
  readonly mode: Mode;
  /** In detect mode: what block mode would have done. */
  readonly wouldBlock: boolean;
  readonly score: number;
  readonly findings: readonly Finding[];
  /** Short machine-readable reason: 'clean', 'score>=threshold', 'banned', 'rate-limited', ... */
  readonly reason: string;
}
