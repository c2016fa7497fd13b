import { errorMessage } from '../errors.js';
import { ProbeProducer, probeErrorKind, type ProbeClientOptions, type ProbeMessage } from '../kafka/probeClients.js';
import type { ProbeLog } from './probeLog.js';
import { SendQueue, newEvents } from './sendQueue.js';

/**
 * The stale client: a producer that kept the old primary's address. It is
 * given the home primary's bootstrap once, when the drill starts, and never
 * reads the route; when a call fails it reconnects to that same address.
 * It is the application nobody told about the switch, and it is how a drill
 * sees split brain: whatever the demoted cluster acknowledges from it after
 * the switch is a write to a second primary (see writesToDemoted.ts).
 *
 * Its events carry the run id like the probe's, as `<run id>-s<n>`, and a
 * header `stale: 1`; they go to `topic` (the probe topic unless the runbook
 * names another), as `auth` (the probe writer's unless the runbook gives the
 * client credentials of its own: a fence denies application principals, not
 * the admin a probe may write as). Everything it does lands in its own
 * ProbeLog, never in the probe's figures.
 */

export interface StaleClientOptions {
  /** the runbook cluster whose address this is (the home primary) */
  cluster: string;
  client: ProbeClientOptions;
  topic: string;
  ratePerSecond: number;
  keys: number;
  runId: string;
  log: ProbeLog;
  /** cluster id -> runbook cluster name, to name the cluster that answers */
  clusterIds?: Record<string, string>;
}

/** The id of the stale client's n-th event. */
export function staleEventId(runId: string, n: number): string {
  return `${runId}-s${n}`;
}

export const STALE_HEADER = 'stale';

const TICK_MS = 10;
/** produce requests in flight; each carries what waited for it (see SendQueue) */
const MAX_IN_FLIGHT = 5;
const MAX_BATCH = 1000;
const RECONNECT_BACKOFF_MS = 250;

export class StaleClient {
  private readonly opts: StaleClientOptions;
  private readonly log: ProbeLog;
  private readonly seqOfKey: Uint32Array;
  private producer: ProbeProducer | undefined;
  private clusterName: string;
  private connecting = false;
  private readonly sends = new SendQueue(MAX_IN_FLIGHT, MAX_BATCH);
  private writing = false;
  private running = false;
  private scheduleBase = 0;
  private createdSinceBase = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(opts: StaleClientOptions) {
    this.opts = opts;
    this.log = opts.log;
    this.seqOfKey = new Uint32Array(opts.keys);
    this.clusterName = opts.cluster;
  }

  /** Connects (a client that cannot connect at the start is a wrong runbook, and throws) and starts writing. */
  async start(): Promise<void> {
    this.running = true;
    this.producer = await this.connectOnce();
    this.writing = true;
    this.scheduleBase = this.log.time();
    this.createdSinceBase = 0;
    this.timer = setInterval(() => this.tick(), TICK_MS);
    this.timer.unref();
  }

  async stopWriting(): Promise<void> {
    if (!this.writing) return;
    this.writing = false;
    const until = Date.now() + this.opts.client.requestTimeoutMs + 500;
    while (!this.sends.idle && Date.now() < until) await sleep(20);
    const at = this.log.time();
    for (const i of this.sends.drain()) this.log.failed(i, 'unsent', at);
  }

  async stop(): Promise<void> {
    await this.stopWriting();
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.producer?.close();
    this.producer = undefined;
  }

  private async connectOnce(): Promise<ProbeProducer> {
    const p = await ProbeProducer.connect(this.opts.client, this.opts.topic);
    this.clusterName = this.opts.clusterIds?.[p.clusterId] ?? this.opts.cluster;
    return p;
  }

  private tick(): void {
    const now = this.log.time();
    if (this.writing) this.sends.add(this.dueEvents(now));
    const producer = this.producer;
    if (!producer || this.connecting) {
      for (const i of this.sends.drain()) this.log.failed(i, 'unsent', now);
      return;
    }
    const ids = this.sends.take();
    if (!ids) return;
    const cluster = this.clusterName;
    for (const i of ids) this.log.sent(i, cluster);
    const messages: ProbeMessage[] = ids.map((i) => {
      const id = staleEventId(this.opts.runId, i);
      return { key: `stale-k${this.log.key[i]}`, value: id, headers: { 'event-id': id, seq: String(this.log.seq[i]), run: this.opts.runId, [STALE_HEADER]: '1' } };
    });
    this.track(
      producer
        .send(messages)
        .then(
          (acks) => {
            const at = this.log.time();
            ids.forEach((i, n) => this.log.acked(i, cluster, acks[n]!.partition, acks[n]!.offset, at));
          },
          (e: unknown) => {
            const at = this.log.time();
            const kind = probeErrorKind(e);
            for (const i of ids) this.log.failed(i, kind, at);
            this.log.errorText(`stale client send to ${cluster}: ${errorMessage(e)}`);
            // A denied write (the fence) leaves the connection usable; anything else may not have.
            if (kind !== 'fenced' && producer === this.producer && !this.connecting) this.track(this.reconnect());
          },
        )
        .finally(() => {
          this.sends.done();
        }),
    );
  }

  /** The events due by now at the rate. */
  private dueEvents(now: number): number[] {
    const due = Math.floor(((now - this.scheduleBase) * this.opts.ratePerSecond) / 1000) - this.createdSinceBase;
    if (due <= 0) return [];
    this.createdSinceBase += due;
    return newEvents(this.log, this.seqOfKey, this.opts.keys, due, now);
  }

  /** Back to the same address, again and again: it never learns of the route. */
  private async reconnect(): Promise<void> {
    this.connecting = true;
    const old = this.producer;
    this.producer = undefined;
    if (old) this.track(old.close());
    try {
      while (this.running) {
        try {
          const p = await this.connectOnce();
          if (!this.running) {
            await p.close();
            return;
          }
          this.producer = p;
          return;
        } catch (e) {
          this.log.errorText(`stale client connect to ${this.opts.client.bootstrap.join(',')}: ${errorMessage(e)}`);
          await sleep(RECONNECT_BACKOFF_MS);
        }
      }
    } finally {
      this.connecting = false;
    }
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch(() => undefined).finally(() => this.pending.delete(q));
    this.pending.add(q);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
