// Literal prefilter: one Aho-Corasick automaton over every rule needle, scanned once per part.

/** What one scan of a text found: which needles occur and the union of their owners' bits. */
export interface NeedleScan {
  /** Ids of the needles that occur, each once, in order of first occurrence (a shared empty array when none). */
  readonly hits: readonly number[];
  /** OR of the owner bits of every needle found (0: no needle occurs). */
  readonly mask: number;
}

/** One needle: its text (matched as given), its owner bits, and whether it must stand as a whole word (no letter, digit or `_` after it, no letter or `_` before it). */
export interface NeedleSpec {
  readonly text: string;
  readonly owners: number;
  /** Only counts when the characters around it are not `[A-Za-z0-9_]` (like `\b…\b`). */
  readonly word: boolean;
}

function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
}

/** A letter or `_`: what may not precede a word needle (a digit may: SQL reads `1union` as 1 UNION). */
function isWordLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}

/**
 * A compiled needle set: a DFA over an alphabet of the needles' characters (every other character
 * is one class that returns to the root). Build once, scan many; linear in the text.
 */
export class NeedleAutomaton {
  private readonly classes = new Uint8Array(128);
  private readonly width: number;
  /**
   * Transitions: from state s on class k the next state is delta[s × width + k] & 0x7fff, with bit
   * 0x8000 set when that state has outputs (one test per char). States are numbered breadth-first,
   * so the shallow states benign text stays in share a few cache lines at the start of the table
   * (it is ~0.5 MB and runs cache-cold on a proxy), and 16-bit entries halve its size.
   */
  private readonly delta: Uint16Array;
  /** Per state: start and end of its output needle ids in `outIds`. */
  private readonly outStart: Uint32Array;
  private readonly outIds: Uint32Array;
  private readonly owners: Int32Array;
  private readonly word: Uint8Array;
  private readonly length: Uint32Array;
  private readonly seen: Uint8Array;
  /** Scratch list of the ids found by the scan in progress (scans are synchronous; a plain array so slice() copies it packed). */
  private readonly found: number[];

  /** Throws on a non-ASCII needle or more than 32767 states (a bug in a rule table, found at load). Empty needles are ignored. */
  constructor(readonly needles: readonly NeedleSpec[]) {
    let nextClass = 1;
    for (const { text } of needles) for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 128) throw new Error(`needle ${JSON.stringify(text)} is not ASCII`);
      if (this.classes[c] === 0) this.classes[c] = nextClass++;
    }
    this.width = nextClass;
    const go: number[][] = [new Array<number>(this.width).fill(-1)];
    const out: number[][] = [[]];
    needles.forEach(({ text }, id) => {
      if (text === '') return;
      let s = 0;
      for (let i = 0; i < text.length; i++) {
        const k = this.classes[text.charCodeAt(i)]!;
        if (go[s]![k]! < 0) { go[s]![k] = go.length; go.push(new Array<number>(this.width).fill(-1)); out.push([]); }
        s = go[s]![k]!;
      }
      out[s]!.push(id);
    });
    // Breadth-first failure links, completing the goto function into a DFA.
    const fail = new Array<number>(go.length).fill(0);
    const queue: number[] = [];
    for (let k = 0; k < this.width; k++) {
      const t = go[0]![k]!;
      if (t < 0) go[0]![k] = 0; else queue.push(t);
    }
    for (let qi = 0; qi < queue.length; qi++) {
      const s = queue[qi]!;
      out[s]!.push(...out[fail[s]!]!);
      for (let k = 0; k < this.width; k++) {
        const t = go[s]![k]!;
        if (t < 0) { go[s]![k] = go[fail[s]!]![k]!; continue; }
        fail[t] = s === 0 ? 0 : go[fail[s]!]![k]!;
        queue.push(t);
      }
    }
    const states = go.length;
    if (states > 0x7fff) throw new Error(`needle automaton has ${states} states (at most 32767)`);
    // Breadth-first numbering: the root, then the queue order of the failure-link pass.
    const order = [0, ...queue];
    const rank = new Array<number>(states);
    order.forEach((old, i) => { rank[old] = i; });
    this.delta = new Uint16Array(states * this.width);
    order.forEach((old, s) => {
      for (let k = 0; k < this.width; k++) {
        const t = go[old]![k]!;
        this.delta[s * this.width + k] = rank[t]! | (out[t]!.length > 0 ? 0x8000 : 0);
      }
    });
    this.outStart = new Uint32Array(states + 1);
    const flat: number[] = [];
    order.forEach((old, s) => { this.outStart[s] = flat.length; flat.push(...new Set(out[old]!)); });
    this.outStart[states] = flat.length;
    this.outIds = Uint32Array.from(flat);
    this.owners = Int32Array.from(needles.map((n) => n.owners));
    this.word = Uint8Array.from(needles.map((n) => (n.word ? 1 : 0)));
    this.length = Uint32Array.from(needles.map((n) => n.text.length));
    this.seen = new Uint8Array(needles.length);
    this.found = Array.from({ length: needles.length }, () => 0);
  }

  /** Scans `text` (at most `limit` chars; word boundaries may look one char past it). Never throws. */
  scan(text: string, limit: number): NeedleScan {
    const n = text.length < limit ? text.length : limit;
    const { classes, delta, width } = this;
    let s = 0;
    let mask = 0;
    let count = 0;
    const found = this.found;
    for (let i = 0; i < n; i++) {
      const c = text.charCodeAt(i);
      const t = delta[s * width + (c < 128 ? classes[c]! : 0)]!;
      s = t & 0x7fff;
      if (t < 0x8000) continue;
      for (let j = this.outStart[s]!, to = this.outStart[s + 1]!; j < to; j++) {
        const id = this.outIds[j]!;
        if (this.seen[id] === 1) continue;
        if (this.word[id] === 1 && (isWordChar(text.charCodeAt(i + 1)) || isWordLetter(text.charCodeAt(i - this.length[id]!)))) continue;
        this.seen[id] = 1;
        found[count++] = id;
        mask |= this.owners[id]!;
      }
    }
    if (count === 0) return EMPTY_SCAN;
    for (let k = 0; k < count; k++) this.seen[found[k]!] = 0;
    // An exact-size packed copy: a growing array would allocate room for 17 ids on the first push.
    return { hits: found.slice(0, count), mask };
  }
}

/** The scan of a text without needles. Its `hits` is read-only by type, not frozen: loops over hits stay inlined (see compileRules). */
const EMPTY_SCAN: NeedleScan = Object.freeze({ hits: [] as readonly number[], mask: 0 });
