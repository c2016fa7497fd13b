import type { ProbeLog } from './probeLog.js';

/**
 * The events a probe producer has made and not yet sent, and its produce
 * requests in flight. A broker answers one request of a connection at a
 * time, and with acks=all each answer waits for the followers; a producer
 * that sent every 10 ms tick's few events as a request of their own fell
 * further behind with every tick once replication took longer than a tick,
 * and its requests timed out by the hundred. Like Java's producer, this one
 * keeps a few requests in flight (`maxInFlight`) and sends, in the next
 * one, everything that waited for it (at most `maxBatch`).
 */
export class SendQueue {
  private waiting: number[] = [];
  private flying = 0;

  constructor(
    private readonly maxInFlight: number,
    private readonly maxBatch: number,
  ) {}

  add(events: readonly number[]): void {
    for (const e of events) this.waiting.push(e);
  }

  /** Everything waiting, taken out: for a producer that is not there, they are never sent. */
  drain(): number[] {
    const w = this.waiting;
    this.waiting = [];
    return w;
  }

  /** The next request's events when a request may be sent now (call `done()` when it ends); else undefined. */
  take(): number[] | undefined {
    if (this.flying >= this.maxInFlight || this.waiting.length === 0) return undefined;
    this.flying++;
    return this.waiting.splice(0, this.maxBatch);
  }

  done(): void {
    this.flying = Math.max(0, this.flying - 1);
  }

  get inFlight(): number {
    return this.flying;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Nothing in flight and nothing waiting. */
  get idle(): boolean {
    return this.flying === 0 && this.waiting.length === 0;
  }
}

/** `due` new events in the log, keys in turn, each with its key's next sequence number. */
export function newEvents(log: ProbeLog, seqOfKey: Uint32Array, keys: number, due: number, now: number): number[] {
  const ids: number[] = [];
  for (let n = 0; n < due; n++) {
    const key = log.count % keys;
    const seq = seqOfKey[key]!;
    seqOfKey[key] = seq + 1;
    ids.push(log.newEvent(key, seq, now));
  }
  return ids;
}
