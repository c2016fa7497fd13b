import { ERROR_KINDS, type Marker, type ProbeLog } from './probeLog.js';

/**
 * The probe's records folded into fixed buckets (100 ms by default) per
 * cluster: what the reports draw. Pure.
 */
export interface ClusterSeries {
  cluster: string;
  acks: number[];
  errors: number[];
  receipts: number[];
}

export interface Timeline {
  bucketMs: number;
  buckets: number;
  /** wall-clock time of t=0, ms since the epoch */
  t0Wall: number;
  series: ClusterSeries[];
  /** errors of events that never reached a cluster (no connection) */
  unsent: number[];
  /** the stale client's acknowledgements and errors (never-sent ones included), whichever cluster answered */
  stale?: { acks: number[]; errors: number[] };
  markers: Marker[];
}

export function buildTimeline(log: ProbeLog, endAt: number, bucketMs = 100): Timeline {
  const buckets = Math.max(1, Math.ceil(endAt / bucketMs));
  const series = log.clusters.map((cluster) => ({ cluster, acks: new Array<number>(buckets).fill(0), errors: new Array<number>(buckets).fill(0), receipts: new Array<number>(buckets).fill(0) }));
  const unsent = new Array<number>(buckets).fill(0);
  const slot = (t: number) => Math.min(buckets - 1, Math.max(0, Math.floor(t / bucketMs)));
  const unsentKind = ERROR_KINDS.indexOf('unsent');
  for (let i = 0; i < log.count; i++) {
    const ack = log.ackAt[i]!;
    if (!Number.isNaN(ack)) {
      const s = series[log.ackCluster[i]!];
      if (s) s.acks[slot(ack)]!++;
      continue;
    }
    const err = log.errorAt[i]!;
    if (Number.isNaN(err)) continue;
    const s = series[log.sentTo[i]!];
    if (s && log.errorKind[i] !== unsentKind) s.errors[slot(err)]!++;
    else unsent[slot(err)]!++;
  }
  for (let r = 0; r < log.receipts; r++) {
    const s = series[log.rCluster[r]!];
    if (s) s.receipts[slot(log.rAt[r]!)]!++;
  }
  let stale: Timeline['stale'];
  if (log.stale) {
    stale = { acks: new Array<number>(buckets).fill(0), errors: new Array<number>(buckets).fill(0) };
    for (let i = 0; i < log.stale.count; i++) {
      const ack = log.stale.ackAt[i]!;
      const err = log.stale.errorAt[i]!;
      if (!Number.isNaN(ack)) stale.acks[slot(ack)]!++;
      else if (!Number.isNaN(err)) stale.errors[slot(err)]!++;
    }
  }
  return { bucketMs, buckets, t0Wall: log.t0Wall, series, unsent, ...(stale ? { stale } : {}), markers: log.markers.filter((m) => m.at <= endAt + bucketMs) };
}

const BARS = ' ▁▂▃▄▅▆▇█';

/** One row of block characters over `width` columns (for the terminal), scaled to the row's own peak. */
export function sparkline(values: readonly number[], width: number, peak?: number): string {
  if (values.length === 0) return '';
  const per = values.length / width;
  const cols: number[] = [];
  for (let c = 0; c < width; c++) {
    const from = Math.floor(c * per);
    const to = Math.max(from + 1, Math.floor((c + 1) * per));
    let sum = 0;
    for (let i = from; i < to && i < values.length; i++) sum += values[i]!;
    cols.push(sum / (to - from));
  }
  const max = peak ?? Math.max(...cols);
  return cols.map((v) => (v <= 0 || max <= 0 ? ' ' : BARS[Math.max(1, Math.round((v / max) * 8))]!)).join('');
}
