// A small Prometheus metrics registry: labelled counters and histograms, text exposition, merging.

/** A snapshot of all series, mergeable across processes (cluster workers). */
export interface MetricsSnapshot {
  readonly counters: Record<string, Record<string, number>>;
  readonly histograms: Record<string, Record<string, { buckets: number[]; sum: number; count: number }>>;
}

interface Def { readonly help: string; readonly type: 'counter' | 'histogram' | 'gauge'; readonly buckets?: readonly number[] }

const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** The metric families the shield exports. Names are stable: dashboards depend on them. */
export const METRIC_DEFS: Readonly<Record<string, Def>> = {
  jirachi_requests_total: { help: 'Requests by verdict, mode and route.', type: 'counter' },
  jirachi_would_block_total: { help: 'Requests detect mode would have blocked, by route.', type: 'counter' },
  jirachi_findings_total: { help: 'Findings by attack class and detector.', type: 'counter' },
  jirachi_protocol_errors_total: { help: 'Requests refused at the HTTP layer, by code.', type: 'counter' },
  jirachi_upstream_errors_total: { help: 'Upstream failures by kind (refused, timeout, reset).', type: 'counter' },
  jirachi_bans_total: { help: 'Bans added, by source.', type: 'counter' },
  jirachi_request_duration_seconds: { help: 'Time from request start to response end, by verdict.', type: 'histogram', buckets: LATENCY_BUCKETS },
  jirachi_inspect_duration_seconds: { help: 'Time spent in detection per inspected request.', type: 'histogram', buckets: LATENCY_BUCKETS },
  jirachi_upstream_duration_seconds: { help: 'Time to the upstream response headers.', type: 'histogram', buckets: LATENCY_BUCKETS },
  jirachi_fast_path_total: { help: 'The fast HTTP/1.1 server: requests it served, connections it handed to node:http (kind).', type: 'counter' },
  jirachi_active_bans: { help: 'Bans currently in force.', type: 'gauge' },
  jirachi_decision_log_lost_lines: { help: 'Decision-log lines dropped (disk behind) or failed to write, since start.', type: 'gauge' },
};

const keyCache = new Map<string, string>();

/** The exposition form of a label set; memoized, since the same few label sets repeat per request. */
function labelKey(labels: Record<string, string>): string {
  let raw = '';
  for (const k in labels) raw += k + '\u0000' + labels[k] + '\u0001';
  let key = keyCache.get(raw);
  if (key === undefined) {
    key = formatLabels(labels);
    if (keyCache.size < 10_000) keyCache.set(raw, key);
  }
  return key;
}

function formatLabels(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return keys.map((k) => `${k}="${String(labels[k]).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',');
}

/** Holds metric values for one process. Methods never throw. */
export class Metrics {
  private counters: MetricsSnapshot['counters'] = {};
  private histograms: MetricsSnapshot['histograms'] = {};
  private readonly gauges = new Map<string, () => number>();
  private readonly collectors: Array<() => void> = [];

  /** Adds `by` to a counter series. */
  inc(name: string, labels: Record<string, string>, by = 1): void {
    const fam = (this.counters[name] ??= {});
    const k = labelKey(labels);
    fam[k] = (fam[k] ?? 0) + by;
  }

  /** Records an observation (seconds) in a histogram series. */
  observe(name: string, labels: Record<string, string>, value: number): void {
    const def = METRIC_DEFS[name];
    const bounds = def?.buckets ?? LATENCY_BUCKETS;
    const fam = (this.histograms[name] ??= {});
    const k = labelKey(labels);
    const h = (fam[k] ??= { buckets: new Array<number>(bounds.length).fill(0), sum: 0, count: 0 });
    for (let i = 0; i < bounds.length; i++) if (value <= bounds[i]!) { h.buckets[i]!++; break; }
    h.sum += value; h.count++;
  }

  /** Sets a gauge read at exposition time. */
  gauge(name: string, read: () => number): void { this.gauges.set(name, read); }

  /** Sets a counter series to a total kept elsewhere (call it from a `collect` callback). */
  set(name: string, labels: Record<string, string>, total: number): void {
    (this.counters[name] ??= {})[labelKey(labels)] = total;
  }

  /** Runs `fn` before every snapshot: counters kept elsewhere are copied in then, not per event. */
  collect(fn: () => void): void { this.collectors.push(fn); }

  /** A copy of all counter and histogram series. */
  snapshot(): MetricsSnapshot {
    for (const c of this.collectors) c();
    return structuredClone({ counters: this.counters, histograms: this.histograms });
  }

  /** Adds another process's snapshot into this one (counters and histograms sum). */
  merge(s: MetricsSnapshot): void {
    for (const [name, fam] of Object.entries(s.counters)) for (const [k, v] of Object.entries(fam)) {
      const f = (this.counters[name] ??= {}); f[k] = (f[k] ?? 0) + v;
    }
    for (const [name, fam] of Object.entries(s.histograms)) for (const [k, v] of Object.entries(fam)) {
      const f = (this.histograms[name] ??= {});
      const h = (f[k] ??= { buckets: new Array<number>(v.buckets.length).fill(0), sum: 0, count: 0 });
      v.buckets.forEach((b, i) => { h.buckets[i] = (h.buckets[i] ?? 0) + b; });
      h.sum += v.sum; h.count += v.count;
    }
  }

  /** Prometheus text exposition (version 0.0.4), optionally with other snapshots summed in. */
  expose(extra: readonly MetricsSnapshot[] = []): string {
    const total = new Metrics();
    total.merge(this.snapshot());
    for (const s of extra) total.merge(s);
    const lines: string[] = [];
    for (const [name, def] of Object.entries(METRIC_DEFS)) {
      lines.push(`# HELP ${name} ${def.help}`, `# TYPE ${name} ${def.type}`);
      if (def.type === 'counter') for (const [k, v] of Object.entries(total.counters[name] ?? {})) lines.push(`${name}${k ? `{${k}}` : ''} ${v}`);
      if (def.type === 'gauge') { const g = this.gauges.get(name); if (g) lines.push(`${name} ${g()}`); }
      if (def.type === 'histogram') for (const [k, h] of Object.entries(total.histograms[name] ?? {})) {
        let cum = 0;
        const bounds = def.buckets ?? LATENCY_BUCKETS;
        bounds.forEach((b, i) => { cum += h.buckets[i] ?? 0; lines.push(`${name}_bucket{${k ? k + ',' : ''}le="${b}"} ${cum}`); });
        lines.push(`${name}_bucket{${k ? k + ',' : ''}le="+Inf"} ${h.count}`, `${name}_sum${k ? `{${k}}` : ''} ${h.sum}`, `${name}_count${k ? `{${k}}` : ''} ${h.count}`);
      }
    }
    return lines.join('\n') + '\n';
  }
}
