import { readFileSync } from 'node:fs';
import kafkajs, { type Consumer, type EachBatchPayload, type IHeaders, type PartitionMetadata, type Producer, type SASLOptions } from 'kafkajs';
import { errorMessage } from '../errors.js';
import { KafkaConnection, type ClusterAuth } from './connection.js';
import { withTimeout } from './timeout.js';

const { Kafka, logLevel, Partitioners } = kafkajs;

/**
 * The drill probe's Kafka clients: a producer and a group consumer that
 * connect to whatever bootstrap the route names right now. They behave like
 * an application's clients with retries switched off: every failure reaches
 * the probe at once (which re-reads the route and reconnects), so nothing
 * is retried behind its back and every send it records went out exactly once.
 * Every call has a deadline: a paused broker keeps its sockets open and
 * never answers.
 */

export interface ProbeAuth {
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  /** true for the system trust store, or PEM file paths */
  tls?: true | { ca?: string; cert?: string; key?: string; servername?: string };
}

export interface ProbeClientOptions {
  bootstrap: string[];
  auth?: ProbeAuth;
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
  clientId: string;
}

function ssl(tls: ProbeAuth['tls']): object | undefined {
  if (tls === undefined) return undefined;
  if (tls === true) return {};
  const read = (p: string | undefined) => (p === undefined ? undefined : readFileSync(p, 'utf8'));
  return {
    ...(tls.ca ? { ca: [read(tls.ca)] } : {}),
    ...(tls.cert ? { cert: read(tls.cert) } : {}),
    ...(tls.key ? { key: read(tls.key) } : {}),
    ...(tls.servername ? { servername: tls.servername } : {}),
  };
}

function kafkaFor(o: ProbeClientOptions, retries: number): kafkajs.Kafka {
  const tls = ssl(o.auth?.tls);
  return new Kafka({
    clientId: o.clientId,
    brokers: o.bootstrap,
    ...(o.auth?.sasl ? { sasl: { ...o.auth.sasl } as SASLOptions } : {}),
    ...(tls ? { ssl: tls } : {}),
    connectionTimeout: o.connectionTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    authenticationTimeout: Math.min(5000, o.requestTimeoutMs),
    retry: { retries, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.NOTHING,
  });
}

/** Waits at most `ms` for a client to let go; a paused broker never answers a disconnect. */
async function letGo(what: Promise<unknown>, ms: number): Promise<void> {
  await Promise.race([what.catch(() => undefined), new Promise((r) => setTimeout(r, ms).unref())]);
}

export interface ProbeMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

export interface ProbeAck {
  partition: number;
  offset: number;
}

export class ProbeProducer {
  private constructor(
    private readonly producer: Producer,
    private readonly partitionMetadata: PartitionMetadata[],
    private readonly partitioner: ReturnType<typeof Partitioners.DefaultPartitioner>,
    readonly topic: string,
    private readonly timeoutMs: number,
    readonly clusterId: string,
  ) {}

  /** Connects and learns the topic's partitions, within the deadline. */
  static async connect(o: ProbeClientOptions, topic: string): Promise<ProbeProducer> {
    const kafka = kafkaFor(o, 0);
    const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
    const admin = kafka.admin();
    const deadline = o.requestTimeoutMs + o.connectionTimeoutMs;
    try {
      const [meta, cluster] = await withTimeout(`probe producer: connect to ${o.bootstrap.join(',')}`, deadline, (async () => {
        await Promise.all([producer.connect(), admin.connect()]);
        const m = await admin.fetchTopicMetadata({ topics: [topic] });
        const c = await admin.describeCluster();
        return [m, c] as const;
      })());
      void letGo(admin.disconnect(), 1000);
      const partitions = meta.topics[0]?.partitions ?? [];
      if (partitions.length === 0) throw new Error(`topic ${topic} has no partitions`);
      // kafkajs's default partitioner is Java's (murmur2 of the key): the probe
      // places keys as a Java or kafkajs application would, and knows where.
      return new ProbeProducer(producer, partitions as unknown as PartitionMetadata[], Partitioners.DefaultPartitioner(), topic, o.requestTimeoutMs, cluster.clusterId);
    } catch (e) {
      void letGo(producer.disconnect(), 1000);
      void letGo(admin.disconnect(), 1000);
      throw e;
    }
  }

  /** One produce with acks=all; resolves with each message's partition and offset, in order. */
  async send(messages: ProbeMessage[]): Promise<ProbeAck[]> {
    const placed = messages.map((m) => {
      const partition = this.partitioner({ topic: this.topic, partitionMetadata: this.partitionMetadata, message: { key: m.key, value: m.value } });
      return { ...m, partition, headers: m.headers as IHeaders };
    });
    const meta = await withTimeout(`probe send to ${this.topic}`, this.timeoutMs, this.producer.send({ topic: this.topic, acks: -1, timeout: this.timeoutMs, messages: placed }));
    const base = new Map(meta.map((r) => [r.partition, Number(r.baseOffset)]));
    const next = new Map<number, number>();
    return placed.map((m) => {
      const k = next.get(m.partition) ?? 0;
      next.set(m.partition, k + 1);
      return { partition: m.partition, offset: (base.get(m.partition) ?? NaN) + k };
    });
  }

  async close(): Promise<void> {
    await letGo(this.producer.disconnect(), 1000);
  }
}

export interface ProbeRecord {
  topic: string;
  partition: number;
  offset: number;
  headers: Record<string, string>;
}

export interface ProbeConsumerStart {
  /** the group's committed offsets on this cluster before it joined: "<topic>:<partition>" -> offset */
  committed: Record<string, number>;
  /** the topics it subscribed to (those that exist there) */
  topics: string[];
  clusterId: string;
}

function headerText(h: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h ?? {})) {
    const one = Array.isArray(v) ? v[v.length - 1] : v;
    if (one !== undefined) out[k] = one.toString();
  }
  return out;
}

export class ProbeConsumer {
  private stopped = false;
  private topics: string[] = [];

  private constructor(private readonly consumer: Consumer) {}

  /**
   * Joins `group` on the cluster and reads `topics` (those that exist) from
   * the committed offsets, or from the beginning where there are none.
   * `onError` hears of a crash the client will not recover from by itself.
   */
  static async start(
    o: ProbeClientOptions,
    group: string,
    topics: string[],
    onRecords: (records: ProbeRecord[]) => void,
    onError: (e: unknown) => void,
  ): Promise<{ consumer: ProbeConsumer; start: ProbeConsumerStart }> {
    const kafka = kafkaFor(o, 2);
    const admin = kafka.admin();
    const consumer = kafka.consumer({
      groupId: group,
      allowAutoTopicCreation: false,
      // A member on a dead cluster should not hold its partitions for long.
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 100,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    });
    const probe = new ProbeConsumer(consumer);
    const deadline = 2 * o.requestTimeoutMs + o.connectionTimeoutMs;
    try {
      const start = await withTimeout(`probe consumer: join ${group} on ${o.bootstrap.join(',')}`, deadline, (async (): Promise<ProbeConsumerStart> => {
        await admin.connect();
        const existing = new Set(await admin.listTopics());
        const present = topics.filter((t) => existing.has(t));
        if (present.length === 0) throw new Error(`none of ${topics.join(', ')} exists`);
        const committed: Record<string, number> = {};
        for (const t of await admin.fetchOffsets({ groupId: group, topics: present })) {
          for (const p of t.partitions) if (Number(p.offset) >= 0) committed[`${t.topic}:${p.partition}`] = Number(p.offset);
        }
        const { clusterId } = await admin.describeCluster();
        await consumer.connect();
        await consumer.subscribe({ topics: present, fromBeginning: true });
        consumer.on(consumer.events.CRASH, (ev) => {
          if (!probe.stopped && !ev.payload.restart) onError(ev.payload.error);
        });
        await consumer.run({
          autoCommitInterval: 500,
          eachBatch: async ({ batch }: EachBatchPayload) => {
            // A stopped consumer whose disconnect never finished (its cluster was down) may reconnect
            // when the cluster returns; it must neither deliver nor commit what it fetches then.
            if (probe.stopped) throw new Error('probe consumer stopped');
            onRecords(batch.messages.map((m) => ({ topic: batch.topic, partition: batch.partition, offset: Number(m.offset), headers: headerText(m.headers) })));
          },
        });
        probe.topics = present;
        return { committed, topics: present, clusterId };
      })());
      void letGo(admin.disconnect(), 1000);
      return { consumer: probe, start };
    } catch (e) {
      probe.stopped = true;
      void letGo(admin.disconnect(), 1000);
      void letGo(consumer.disconnect(), 1000);
      throw e;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    try {
      // Local and immediate: no more fetches, even if the disconnect below never completes.
      this.consumer.pause(this.topics.map((topic) => ({ topic })));
    } catch {
      // not running yet
    }
    await letGo(this.consumer.disconnect(), 3000);
  }
}

/** A short, stable description of a client error for the probe's log. */
export function probeErrorKind(e: unknown): 'timeout' | 'connection' | 'fenced' | 'other' {
  const msg = errorMessage(e);
  const name = e instanceof Error ? e.name : '';
  const type = (e as { type?: string }).type ?? '';
  if (/no answer within|timed out|timeout/i.test(msg + name + type)) return 'timeout';
  if (/ECONNREFUSED|Connection error|ConnectionError|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|ECONNRESET|closed|not connected|disconnected/i.test(msg + name)) return 'connection';
  if (/AUTHORIZATION|not authorized/i.test(msg + type)) return 'fenced';
  return 'other';
}

/** A connection for the drill's group-less reads, with the same auth as the probe (PEM files read here). */
export function probeReadConnection(name: string, o: ProbeClientOptions): KafkaConnection {
  const tls = o.auth?.tls;
  const read = (p: string | undefined) => (p === undefined ? undefined : readFileSync(p, 'utf8'));
  const auth: ClusterAuth = {
    ...(o.auth?.sasl ? { sasl: o.auth.sasl } : {}),
    ...(tls === undefined ? {} : { tls: tls === true ? true : { ...(tls.ca ? { ca: read(tls.ca)! } : {}), ...(tls.cert ? { cert: read(tls.cert)! } : {}), ...(tls.key ? { key: read(tls.key)! } : {}) } }),
  };
  return new KafkaConnection({
    name,
    bootstrap: o.bootstrap,
    auth,
    requestTimeoutMs: o.requestTimeoutMs,
    connectionTimeoutMs: o.connectionTimeoutMs,
    clientId: `${o.clientId}-read`,
  });
}
