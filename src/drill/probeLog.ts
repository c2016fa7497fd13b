import { performance } from 'node:perf_hooks';

/**
 * What the probe saw, recorded cheaply enough to keep up with thousands of
 * events a second: one slot per event in typed arrays (grown by doubling),
 * one slot per receipt, and a short list of markers. Times are milliseconds
 * on the monotonic clock (performance.now) since the probe started; `t0Wall`
 * maps them back to wall-clock time for reports.
 *
 * Pure bookkeeping: no I/O, so the measurement's unit tests drive it directly.
 */

export const ERROR_KINDS = ['unsent', 'timeout', 'connection', 'fenced', 'other'] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

export const MARKER_KINDS = ['phase', 'step', 'fault', 'route', 'switch', 'read', 'control'] as const;
export type MarkerKind = (typeof MARKER_KINDS)[number];

export interface Marker {
  at: number;
  kind: MarkerKind;
  label: string;
  /** the cluster the marker concerns, when one does */
  cluster?: string;
}

/** The consumer moved to a cluster; `committed` are the group's offsets there when it joined ("<topic>:<partition>" -> offset). */
export interface ConsumerMove {
  at: number;
  cluster: string;
  topics: string[];
  committed: Record<string, number>;
}

const NONE = -1;

/** Milliseconds since the epoch at sub-millisecond resolution, on the monotonic clock. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface ProbeLogData {
  t0: number;
  t0Wall: number;
  clusters: string[];
  count: number;
  key: Uint16Array;
  seq: Uint32Array;
  sentAt: Float64Array;
  sentTo: Int8Array;
  ackAt: Float64Array;
  ackCluster: Int8Array;
  ackPartition: Int16Array;
  ackOffset: Float64Array;
  errorAt: Float64Array;
  errorKind: Uint8Array;
  receipts: number;
  rAt: Float64Array;
  rEvent: Int32Array;
  rCluster: Int8Array;
  rRemote: Uint8Array;
  rPartition: Int16Array;
  rOffset: Float64Array;
  foreignReceipts: number;
  staleReceipts: number;
  stale?: ProbeLogData;
  markers: Marker[];
  moves: ConsumerMove[];
  errorTexts: [string, number][];
}

function grow<T extends Float64Array | Int32Array | Int16Array | Int8Array | Uint32Array | Uint16Array | Uint8Array>(a: T, need: number): T {
  if (need <= a.length) return a;
  // Stryker disable next-line MethodExpression: equivalent: either start doubles to a size that fits, and only the spare capacity differs
  let n = Math.max(16, a.length);
  while (n < need) n *= 2;
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

export class ProbeLog {
  readonly t0Wall: number;
  private readonly t0: number;
  readonly clusters: string[] = [];

  count = 0;
  key = new Uint16Array(1024);
  seq = new Uint32Array(1024);
  sentAt = new Float64Array(1024);
  /** cluster index the event was sent to; -1 when it never left the probe */
  sentTo = new Int8Array(1024);
  ackAt = new Float64Array(1024);
  ackCluster = new Int8Array(1024);
  ackPartition = new Int16Array(1024);
  ackOffset = new Float64Array(1024);
  errorAt = new Float64Array(1024);
  errorKind = new Uint8Array(1024);

  receipts = 0;
  rAt = new Float64Array(1024);
  rEvent = new Int32Array(1024);
  rCluster = new Int8Array(1024);
  /** 1 when read from a remote (replicated) topic, 0 from the local one */
  rRemote = new Uint8Array(1024);
  rPartition = new Int16Array(1024);
  rOffset = new Float64Array(1024);
  /** records of other runs (older drills) the consumer skipped */
  foreignReceipts = 0;
  /** records of the stale client the consumer met (on the probe topic) and skipped */
  staleReceipts = 0;
  /**
   * The stale client's events (see staleClient.ts), on the same clock: a
   * log of their own, so that nothing measured of the probe's events
   * (downtime, loss, duplicates, order) counts them. Created by staleLog().
   */
  stale: ProbeLog | undefined;

  readonly markers: Marker[] = [];
  readonly moves: ConsumerMove[] = [];
  /** one line per distinct error text, with a count: enough to explain a report without a log per event */
  readonly errorTexts = new Map<string, number>();

  /**
   * `now` is the clock (default: high-resolution epoch milliseconds, which
   * threads share, so a probe in a worker and the drill agree on "when");
   * `t0` its reading at the probe's start (default: now).
   */
  constructor(now: () => number = epochNow, wall: () => number = () => Date.now(), t0?: number) {
    this.now = now;
    this.t0 = t0 ?? now();
    this.t0Wall = t0 === undefined ? wall() : Math.round(t0);
  }

  /** Everything recorded, as plain data that crosses a thread boundary (arrays cut to their length). */
  toData(): ProbeLogData {
    return {
      t0: this.t0,
      t0Wall: this.t0Wall,
      clusters: [...this.clusters],
      count: this.count,
      key: this.key.slice(0, this.count),
      seq: this.seq.slice(0, this.count),
      sentAt: this.sentAt.slice(0, this.count),
      sentTo: this.sentTo.slice(0, this.count),
      ackAt: this.ackAt.slice(0, this.count),
      ackCluster: this.ackCluster.slice(0, this.count),
      ackPartition: this.ackPartition.slice(0, this.count),
      ackOffset: this.ackOffset.slice(0, this.count),
      errorAt: this.errorAt.slice(0, this.count),
      errorKind: this.errorKind.slice(0, this.count),
      receipts: this.receipts,
      rAt: this.rAt.slice(0, this.receipts),
      rEvent: this.rEvent.slice(0, this.receipts),
      rCluster: this.rCluster.slice(0, this.receipts),
      rRemote: this.rRemote.slice(0, this.receipts),
      rPartition: this.rPartition.slice(0, this.receipts),
      rOffset: this.rOffset.slice(0, this.receipts),
      foreignReceipts: this.foreignReceipts,
      staleReceipts: this.staleReceipts,
      ...(this.stale ? { stale: this.stale.toData() } : {}),
      markers: [...this.markers],
      moves: [...this.moves],
      errorTexts: [...this.errorTexts.entries()],
    };
  }

  static fromData(d: ProbeLogData, now: () => number = epochNow): ProbeLog {
    // Stryker disable next-line ArrowFunction: equivalent: with t0 given, the constructor takes Math.round(t0) and never asks this clock
    const log = new ProbeLog(now, () => d.t0Wall, d.t0);
    Object.assign(log, {
      count: d.count, key: d.key, seq: d.seq, sentAt: d.sentAt, sentTo: d.sentTo, ackAt: d.ackAt, ackCluster: d.ackCluster,
      ackPartition: d.ackPartition, ackOffset: d.ackOffset, errorAt: d.errorAt, errorKind: d.errorKind,
      receipts: d.receipts, rAt: d.rAt, rEvent: d.rEvent, rCluster: d.rCluster, rRemote: d.rRemote, rPartition: d.rPartition, rOffset: d.rOffset,
      foreignReceipts: d.foreignReceipts,
      staleReceipts: d.staleReceipts,
    });
    if (d.stale) log.stale = ProbeLog.fromData(d.stale, now);
    log.clusters.push(...d.clusters);
    log.markers.push(...d.markers);
    log.moves.push(...d.moves);
    for (const [k, v] of d.errorTexts) log.errorTexts.set(k, v);
    return log;
  }

  private readonly now: () => number;

  /** The stale client's log, on this log's clock and t=0; created on first use. */
  staleLog(): ProbeLog {
    this.stale ??= new ProbeLog(this.now, () => this.t0Wall, this.t0);
    return this.stale;
  }

  /** Milliseconds since the probe started. */
  time(): number {
    return this.now() - this.t0;
  }

  clusterIndex(name: string): number {
    let i = this.clusters.indexOf(name);
    if (i < 0) {
      i = this.clusters.length;
      this.clusters.push(name);
    }
    return i;
  }

  /** A new event; returns its index, which is also the number in its event id. */
  newEvent(key: number, seq: number, at = this.time()): number {
    const i = this.count++;
    if (i >= this.key.length) {
      const n = i + 1;
      this.key = grow(this.key, n);
      this.seq = grow(this.seq, n);
      this.sentAt = grow(this.sentAt, n);
      this.sentTo = grow(this.sentTo, n);
      this.ackAt = grow(this.ackAt, n);
      this.ackCluster = grow(this.ackCluster, n);
      this.ackPartition = grow(this.ackPartition, n);
      this.ackOffset = grow(this.ackOffset, n);
      this.errorAt = grow(this.errorAt, n);
      this.errorKind = grow(this.errorKind, n);
    }
    this.key[i] = key;
    this.seq[i] = seq;
    this.sentAt[i] = at;
    this.sentTo[i] = NONE;
    this.ackAt[i] = NaN;
    this.ackCluster[i] = NONE;
    this.ackPartition[i] = NONE;
    this.ackOffset[i] = NaN;
    this.errorAt[i] = NaN;
    this.errorKind[i] = 0;
    return i;
  }

  sent(i: number, cluster: string): void {
    this.sentTo[i] = this.clusterIndex(cluster);
  }

  acked(i: number, cluster: string, partition: number, offset: number, at = this.time()): void {
    this.ackAt[i] = at;
    this.ackCluster[i] = this.clusterIndex(cluster);
    this.ackPartition[i] = partition;
    this.ackOffset[i] = offset;
  }

  failed(i: number, kind: ErrorKind, at = this.time()): void {
    this.errorAt[i] = at;
    this.errorKind[i] = ERROR_KINDS.indexOf(kind);
  }

  errorText(text: string): void {
    this.errorTexts.set(text, (this.errorTexts.get(text) ?? 0) + 1);
  }

  received(event: number, cluster: string, remote: boolean, partition: number, offset: number, at = this.time()): void {
    const r = this.receipts++;
    if (r >= this.rAt.length) {
      const n = r + 1;
      this.rAt = grow(this.rAt, n);
      this.rEvent = grow(this.rEvent, n);
      this.rCluster = grow(this.rCluster, n);
      this.rRemote = grow(this.rRemote, n);
      this.rPartition = grow(this.rPartition, n);
      this.rOffset = grow(this.rOffset, n);
    }
    this.rAt[r] = at;
    this.rEvent[r] = event;
    this.rCluster[r] = this.clusterIndex(cluster);
    this.rRemote[r] = remote ? 1 : 0;
    this.rPartition[r] = partition;
    this.rOffset[r] = offset;
  }

  mark(kind: MarkerKind, label: string, cluster?: string, at = this.time()): Marker {
    const m: Marker = { at, kind, label, ...(cluster === undefined ? {} : { cluster }) };
    this.markers.push(m);
    return m;
  }

  moved(move: ConsumerMove): void {
    this.moves.push(move);
  }

  isAcked(i: number): boolean {
    return !Number.isNaN(this.ackAt[i]!);
  }

  clusterName(index: number): string | undefined {
    return this.clusters[index]; // undefined for -1: never sent
  }
}
