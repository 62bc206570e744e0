// Barrier: collects one submission per expected node until all arrive or a timeout passes, so dropouts never stall a round.

/**
 * Waits for submissions from `expected` nodes. `done` resolves with what arrived when every expected
 * node submitted or `timeoutMs` passed, whichever is first. Late or unexpected submissions are ignored.
 */
export class Barrier<T> {
  private readonly got = new Map<string, T>();
  private resolveDone!: (m: Map<string, T>) => void;
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  /** Resolves with the submissions received before closing. */
  readonly done: Promise<Map<string, T>>;

  constructor(private readonly expected: ReadonlySet<string>, timeoutMs: number) {
    this.done = new Promise((r) => { this.resolveDone = r; });
    this.timer = setTimeout(() => this.close(), timeoutMs);
    if (expected.size === 0) this.close();
  }

  /** Records a node's submission; returns false if it is late, duplicate or unexpected. */
  submit(nodeId: string, value: T): boolean {
    if (this.closed || !this.expected.has(nodeId) || this.got.has(nodeId)) return false;
    this.got.set(nodeId, value);
    if (this.got.size === this.expected.size) this.close();
    return true;
  }

  /** Closes early (e.g. on shutdown). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.resolveDone(new Map(this.got));
  }
}
