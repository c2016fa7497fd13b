import { existsSync, readFileSync, rmSync } from 'node:fs';
import { errorMessage } from '../errors.js';
import { ProbeConsumer, ProbeProducer, probeErrorKind, type ProbeClientOptions, type ProbeMessage, type ProbeRecord } from '../kafka/probeClients.js';
import { parseDuration } from '../runbook/duration.js';
import type { ProbeSpec } from '../runbook/schema.js';
import type { ProbeRunbook } from './probeSetup.js';
import { ProbeLog } from './probeLog.js';
import { readRoute, sameRoute, type RouteTarget } from './route.js';
import { SendQueue, newEvents } from './sendQueue.js';
import { probeTopicsOn } from './probeSetup.js';
import { STALE_HEADER, StaleClient, type StaleClientOptions } from './staleClient.js';

/**
 * The probe: a producer writing keyed, sequenced events at a fixed rate with
 * acks=all, and a consumer group reading them, both through the runbook's
 * route. Like an application, each client re-reads the route when a call
 * fails and reconnects; it also notices the route file changing (a client
 * that reloads its config). Everything it does lands in a ProbeLog.
 *
 * Each event carries headers `event-id` (`<run id>-<n>`), `seq` (its number
 * within its key) and `run`. On a cluster the consumer reads the probe
 * topic and, for a MirrorMaker 2 link, its remote copies from the other
 * clusters (`east.failover.probe` on west): after a promote, the events
 * written on east before the switch arrive on west under the remote name,
 * and those written after it under the probe topic's own name. The group's
 * offsets for the remote topic come from MirrorMaker 2 (checkpoints and its
 * group offset sync) or translate-offsets; for the local topic, from the
 * group's own earlier commits there, else from the beginning. Records of
 * other runs are skipped (and counted).
 *
 * The accuracy hook: when the file `controlFile` appears holding
 * `pause <duration>` (e.g. `pause 3s`), the producer writes nothing for that
 * long, from the moment it reads the file, which it then deletes. A drill
 * whose fault command writes that file knows exactly how long writes
 * stopped, and can check the measured write downtime against it.
 *
 * With `stale`, a stale client (staleClient.ts) writes beside the probe to
 * the home primary's address, into a log of its own (`log.stale`); the
 * consumer skips its records and counts them (`staleReceipts`). The control
 * file does not pause it.
 */

export interface ProbeOptions {
  runbook: ProbeRunbook;
  spec: ProbeSpec;
  runId: string;
  /** client settings for a route target (auth and timeouts of the cluster it names) */
  clientOptions: (target: RouteTarget) => ProbeClientOptions;
  /** cluster id -> runbook cluster name, to name a target the address alone does not */
  clusterIds?: Record<string, string>;
  controlFile?: string;
  /** the stale client, when the drill runs one */
  stale?: Omit<StaleClientOptions, 'log' | 'runId' | 'clusterIds' | 'keys'>;
  log?: ProbeLog;
  /** how often the route file and the control file are looked at (default 100 ms, 20 ms) */
  routePollMs?: number;
  controlPollMs?: number;
}

type Side = 'producer' | 'consumer';

const TICK_MS = 10;
/** produce requests in flight, as Java's max.in.flight.requests.per.connection; each carries what waited for it */
const MAX_IN_FLIGHT = 5;
const MAX_BATCH = 1000;
const RECONNECT_BACKOFF_MS = 250;

export class Probe {
  readonly log: ProbeLog;
  private readonly opts: ProbeOptions;
  private readonly seqOfKey: Uint32Array;
  private readonly eventPrefix: string;

  private producer: ProbeProducer | undefined;
  private producerTarget: RouteTarget | undefined;
  private producerCluster = '';
  private producerConnecting = false;
  private readonly sends = new SendQueue(MAX_IN_FLIGHT, MAX_BATCH);

  private consumer: ProbeConsumer | undefined;
  private consumerTarget: RouteTarget | undefined;
  private consumerCluster = '';
  private consumerConnecting = false;

  private writing = false;
  private running = false;
  private scheduleBase = 0;
  private createdSinceBase = 0;
  private pausedUntil = 0;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private readonly stale: StaleClient | undefined;

  constructor(opts: ProbeOptions) {
    this.opts = opts;
    this.log = opts.log ?? new ProbeLog();
    this.seqOfKey = new Uint32Array(opts.spec.keys);
    this.eventPrefix = `${opts.runId}-`;
    if (opts.stale) {
      this.stale = new StaleClient({
        ...opts.stale,
        keys: opts.spec.keys,
        runId: opts.runId,
        log: this.log.staleLog(),
        ...(opts.clusterIds ? { clusterIds: opts.clusterIds } : {}),
      });
    }
  }

  /** Connects the clients (within their deadlines) and starts writing. */
  async start(): Promise<void> {
    this.running = true;
    const target = this.route();
    if (!target) throw new Error('the route cannot be read');
    await Promise.all([this.connectProducer(target), this.connectConsumer(target)]);
    if (this.stale) {
      try {
        await this.stale.start();
      } catch (e) {
        throw new Error(`the stale client cannot write ${this.opts.stale!.topic} on ${this.opts.stale!.cluster} (${this.opts.stale!.client.bootstrap.join(',')}): ${errorMessage(e)}`, { cause: e });
      }
      this.log.mark('route', `stale client writes ${this.opts.stale!.topic} to ${this.opts.stale!.cluster} and never follows the route`, this.opts.stale!.cluster);
    }
    this.writing = true;
    this.scheduleBase = this.log.time();
    this.createdSinceBase = 0;
    this.every(TICK_MS, () => this.tick());
    this.every(this.opts.routePollMs ?? 100, () => this.checkRoute());
    if (this.opts.controlFile) this.every(this.opts.controlPollMs ?? 20, () => this.checkControl());
  }

  /** Stops creating events and waits (bounded by the send deadline) for those in flight. */
  async stopWriting(): Promise<void> {
    if (!this.writing) return;
    this.writing = false;
    this.log.mark('phase', 'probe stops writing');
    const until = Date.now() + this.sendDeadline() + 500;
    await Promise.all([
      (async () => {
        while (!this.sends.idle && Date.now() < until) await sleep(20);
        // What never left the queue by then was never sent.
        const at = this.log.time();
        for (const i of this.sends.drain()) this.log.failed(i, 'unsent', at);
      })(),
      this.stale?.stopWriting(),
    ]);
  }

  /** Stops everything; clients that do not let go in time are abandoned. */
  async stop(): Promise<void> {
    await this.stopWriting();
    this.running = false;
    for (const t of this.timers) clearInterval(t);
    this.timers.length = 0;
    await Promise.all([this.producer?.close(), this.consumer?.stop(), this.stale?.stop()]);
    this.producer = undefined;
    this.consumer = undefined;
  }

  get currentProducerCluster(): string {
    return this.producerCluster;
  }

  get currentConsumerCluster(): string {
    return this.consumerCluster;
  }

  private every(ms: number, fn: () => void): void {
    const t = setInterval(fn, ms);
    t.unref();
    this.timers.push(t);
  }

  private sendDeadline(): number {
    const t = this.producerTarget;
    return t ? this.opts.clientOptions(t).requestTimeoutMs : 10_000;
  }

  private route(): RouteTarget | undefined {
    try {
      return readRoute(this.opts.runbook);
    } catch (e) {
      this.log.errorText(`route: ${errorMessage(e)}`);
      return undefined;
    }
  }

  private nameOf(target: RouteTarget, clusterId: string | undefined): string {
    return target.cluster ?? (clusterId ? this.opts.clusterIds?.[clusterId] : undefined) ?? target.bootstrap.join(',');
  }

  // -- producer --------------------------------------------------------------

  private tick(): void {
    const now = this.log.time();
    if (this.writing && now >= this.pausedUntil) this.sends.add(this.dueEvents(now));
    const producer = this.producer;
    if (!producer || this.producerConnecting) {
      for (const i of this.sends.drain()) this.log.failed(i, 'unsent', now);
      return;
    }
    const ids = this.sends.take();
    if (!ids) return;
    const cluster = this.producerCluster;
    for (const i of ids) this.log.sent(i, cluster);
    const messages: ProbeMessage[] = ids.map((i) => ({
      key: `k${this.log.key[i]}`,
      value: `${this.eventPrefix}${i}`,
      headers: { 'event-id': `${this.eventPrefix}${i}`, seq: String(this.log.seq[i]), run: this.opts.runId },
    }));
    this.track(
      producer.send(messages).then(
        (acks) => {
          const at = this.log.time();
          ids.forEach((i, n) => this.log.acked(i, cluster, acks[n]!.partition, acks[n]!.offset, at));
        },
        (e: unknown) => {
          const at = this.log.time();
          const kind = probeErrorKind(e);
          for (const i of ids) this.log.failed(i, kind, at);
          this.log.errorText(`send to ${cluster}: ${errorMessage(e)}`);
          if (producer === this.producer) this.onError('producer', e);
        },
      ).finally(() => {
        this.sends.done();
      }),
    );
  }

  /** The events due by now at the rate. */
  private dueEvents(now: number): number[] {
    const due = Math.floor(((now - this.scheduleBase) * this.opts.spec.ratePerSecond) / 1000) - this.createdSinceBase;
    if (due <= 0) return [];
    this.createdSinceBase += due;
    return newEvents(this.log, this.seqOfKey, this.opts.spec.keys, due, now);
  }

  private async connectProducer(target: RouteTarget): Promise<void> {
    this.producerConnecting = true;
    const old = this.producer;
    this.producer = undefined;
    if (old) this.track(old.close());
    try {
      for (;;) {
        try {
          const p = await ProbeProducer.connect(this.opts.clientOptions(target), this.opts.spec.topic);
          if (!this.running) {
            await p.close();
            return;
          }
          this.producer = p;
          this.producerTarget = target;
          const name = this.nameOf(target, p.clusterId);
          if (name !== this.producerCluster) this.log.mark('route', `producer writes to ${name}`, name);
          this.producerCluster = name;
          return;
        } catch (e) {
          this.log.errorText(`producer connect to ${target.bootstrap.join(',')}: ${errorMessage(e)}`);
          if (!this.running) return;
          if (this.producerTarget === undefined && this.log.count === 0 && !this.writing) throw e;
          await sleep(RECONNECT_BACKOFF_MS);
          target = this.route() ?? target;
        }
      }
    } finally {
      this.producerConnecting = false;
    }
  }

  // -- consumer --------------------------------------------------------------

  /** The probe topic on a cluster, and its remote copies from the other clusters. */
  topicsFor(cluster: string | undefined): string[] {
    return probeTopicsOn(this.opts.runbook, this.opts.spec.topic, cluster);
  }

  private onRecords(cluster: string, records: ProbeRecord[]): void {
    const at = this.log.time();
    const topic = this.opts.spec.topic;
    for (const r of records) {
      const id = r.headers['event-id'];
      if (r.headers[STALE_HEADER] !== undefined && id?.startsWith(this.eventPrefix)) {
        this.log.staleReceipts++;
        continue;
      }
      if (id === undefined || !id.startsWith(this.eventPrefix)) {
        this.log.foreignReceipts++;
        continue;
      }
      const n = Number(id.slice(this.eventPrefix.length));
      if (!Number.isInteger(n) || n < 0 || n >= this.log.count) {
        this.log.foreignReceipts++;
        continue;
      }
      this.log.received(n, cluster, r.topic !== topic, r.partition, r.offset, at);
    }
  }

  private async connectConsumer(target: RouteTarget): Promise<void> {
    this.consumerConnecting = true;
    const old = this.consumer;
    this.consumer = undefined;
    if (old) this.track(old.stop());
    try {
      for (;;) {
        const name0 = target.cluster;
        try {
          let name = name0 ?? target.bootstrap.join(',');
          const { consumer, start } = await ProbeConsumer.start(
            this.opts.clientOptions(target),
            this.opts.spec.group,
            this.opts.spec.groupProtocol,
            this.topicsFor(name0),
            (records) => this.onRecords(name, records),
            (e) => {
              this.log.errorText(`consumer on ${name}: ${errorMessage(e)}`);
              if (consumer === this.consumer) this.onError('consumer', e);
            },
          );
          if (!this.running) {
            await consumer.stop();
            return;
          }
          name = this.nameOf(target, start.clusterId);
          this.consumer = consumer;
          this.consumerTarget = target;
          this.log.moved({ at: this.log.time(), cluster: name, topics: start.topics, committed: start.committed });
          if (name !== this.consumerCluster) this.log.mark('route', `consumer reads ${start.topics.join(' + ')} on ${name}`, name);
          this.consumerCluster = name;
          return;
        } catch (e) {
          this.log.errorText(`consumer join on ${target.bootstrap.join(',')}: ${errorMessage(e)}`);
          if (!this.running) return;
          if (this.consumerTarget === undefined && !this.writing) throw e;
          await sleep(RECONNECT_BACKOFF_MS);
          target = this.route() ?? target;
        }
      }
    } finally {
      this.consumerConnecting = false;
    }
  }

  // -- route and control -----------------------------------------------------

  private onError(side: Side, _e: unknown): void {
    const target = this.route();
    if (!target) return;
    if (side === 'producer') {
      if (!this.producerConnecting && !sameRoute(target, this.producerTarget)) this.track(this.connectProducer(target));
    } else if (!this.consumerConnecting) {
      // A consumer that crashed for good must be started again, on whatever the route says now.
      this.track(this.connectConsumer(target));
    }
  }

  private checkRoute(): void {
    if (!this.running) return;
    const target = this.route();
    if (!target) return;
    if (!this.producerConnecting && this.producerTarget && !sameRoute(target, this.producerTarget)) this.track(this.connectProducer(target));
    if (!this.consumerConnecting && this.consumerTarget && !sameRoute(target, this.consumerTarget)) this.track(this.connectConsumer(target));
  }

  private checkControl(): void {
    const file = this.opts.controlFile!;
    if (!existsSync(file)) return;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
      rmSync(file, { force: true });
    } catch {
      return;
    }
    const m = /^\s*pause\s+(\S+)\s*$/m.exec(text);
    const ms = m ? parseDuration(m[1]!) : undefined;
    if (ms === undefined) {
      this.log.errorText(`control file ${file}: not understood: ${text.trim().slice(0, 80)}`);
      return;
    }
    const now = this.log.time();
    this.pausedUntil = now + ms;
    this.log.mark('control', `probe producer paused for ${ms} ms by the control file`);
    // After the pause the schedule starts afresh: no burst to catch up.
    const resume = setTimeout(() => {
      this.scheduleBase = this.pausedUntil;
      this.createdSinceBase = 0;
      this.log.mark('control', 'probe producer resumes');
    }, ms);
    resume.unref();
    this.scheduleBase = this.pausedUntil;
    this.createdSinceBase = 0;
  }

  private track(p: Promise<unknown>): void {
    const q = p.catch(() => undefined).finally(() => this.pending.delete(q));
    this.pending.add(q);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms).unref());
}
