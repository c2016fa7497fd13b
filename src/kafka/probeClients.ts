import { readFileSync } from 'node:fs';
import {
  Admin,
  Consumer,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  NetworkError,
  ProduceAcks,
  Producer,
  compatibilityPartitioner,
  GroupProtocols,
  type MessagesStream,
} from '@platformatic/kafka';
import { clientOptions, hearConnectionErrors, KafkaConnection, type ClusterAuth, type SaslCredentials } from './connection.js';
import { errorTree, isAuthzError, isConnectError, isTimeout } from './kafkaErrors.js';
import { withTimeout } from './timeout.js';

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
  sasl?: SaslCredentials;
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

function optionsFor(o: ProbeClientOptions, retries: number) {
  return {
    ...clientOptions({
      bootstrap: o.bootstrap,
      clientId: o.clientId,
      ...(o.auth?.sasl ? { sasl: o.auth.sasl } : {}),
      ...(o.auth?.tls === undefined ? {} : { tls: o.auth.tls === true ? true : { ...o.auth.tls, files: true } }),
      requestTimeoutMs: o.requestTimeoutMs,
      connectionTimeoutMs: o.connectionTimeoutMs,
    }),
    retries,
  };
}

/** Waits at most `ms` for a client to let go. */
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

/**
 * Where a Java producer puts a keyed record: murmur2 of the key, made
 * positive, modulo the partition count (the client's compatibilityPartitioner).
 * The probe places keys as a Java application would, and knows where; the
 * client's default partitioner differs for about half the keys.
 */
export function javaPartition(key: Buffer, partitions: number): number {
  return compatibilityPartitioner({ topic: '', key }, key) % partitions;
}

export class ProbeProducer {
  private constructor(
    private readonly producer: Producer<Buffer, Buffer, Buffer, Buffer>,
    private readonly partitions: number,
    readonly topic: string,
    private readonly timeoutMs: number,
    readonly clusterId: string,
  ) {}

  /** Learns the topic's partitions and the cluster id, within the deadline; the producer connects on its first send. */
  static async connect(o: ProbeClientOptions, topic: string): Promise<ProbeProducer> {
    const opts = optionsFor(o, 0);
    const producer = hearConnectionErrors(new Producer<Buffer, Buffer, Buffer, Buffer>({ ...opts, idempotent: false, autocreateTopics: false }));
    const admin = hearConnectionErrors(new Admin(opts));
    const deadline = o.requestTimeoutMs + o.connectionTimeoutMs;
    try {
      const md = await withTimeout(`probe producer: connect to ${o.bootstrap.join(',')}`, deadline, admin.metadata({ topics: [topic], forceUpdate: true }));
      const partitions = md.topics.get(topic)?.partitionsCount ?? 0;
      if (partitions === 0) throw new Error(`topic ${topic} has no partitions`);
      return new ProbeProducer(producer, partitions, topic, o.requestTimeoutMs, md.id);
    } catch (e) {
      void letGo(producer.close(true), 1000);
      throw e;
    } finally {
      void letGo(admin.close(), 1000);
    }
  }

  /** One produce with acks=all; resolves with each message's partition and offset, in order. */
  async send(messages: ProbeMessage[]): Promise<ProbeAck[]> {
    const placed = messages.map((m) => {
      const key = Buffer.from(m.key, 'utf8');
      const partition = javaPartition(key, this.partitions);
      // Without serializers the client writes header keys as they are: Buffers, so a Map (an object's keys are strings).
      const headers = new Map(Object.entries(m.headers).map(([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')]));
      return { topic: this.topic, partition, key, value: Buffer.from(m.value, 'utf8'), headers };
    });
    // acks per send: the client takes a non-idempotent producer's acks from each send, where it defaults to the
    // leader's alone, and ignores the constructor's. With acks=1 a leader killed before its followers fetched
    // acknowledges events that no replica keeps (a broker-down drill lost them).
    const result = await withTimeout(`probe send to ${this.topic}`, this.timeoutMs, this.producer.send({ messages: placed, acks: ProduceAcks.ALL }));
    // One offset per partition: the base offset of that partition's batch.
    const base = new Map((result.offsets ?? []).map((r) => [r.partition, Number(r.offset)]));
    const next = new Map<number, number>();
    return placed.map((m) => {
      const k = next.get(m.partition) ?? 0;
      next.set(m.partition, k + 1);
      return { partition: m.partition, offset: (base.get(m.partition) ?? NaN) + k };
    });
  }

  async close(): Promise<void> {
    await letGo(this.producer.close(true), 1000);
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

function headerText(h: Map<Buffer, Buffer> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of h ?? []) out[k.toString('utf8')] = v.toString('utf8');
  return out;
}

export class ProbeConsumer {
  private stopped = false;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;

  private constructor(private readonly consumer: Consumer<Buffer, Buffer, Buffer, Buffer>) {}

  /**
   * Joins `group` on the cluster and reads `topics` (those that exist) from
   * the committed offsets, or from the beginning where there are none.
   * `onError` hears of a failure the client will not recover from by itself.
   */
  static async start(
    o: ProbeClientOptions,
    group: string,
    groupProtocol: 'classic' | 'consumer',
    topics: string[],
    onRecords: (records: ProbeRecord[]) => void,
    onError: (e: unknown) => void,
  ): Promise<{ consumer: ProbeConsumer; start: ProbeConsumerStart }> {
    const opts = optionsFor(o, 2);
    const admin = hearConnectionErrors(new Admin(optionsFor(o, 0)));
    const consumer = hearConnectionErrors(new Consumer<Buffer, Buffer, Buffer, Buffer>({
      ...opts,
      groupId: group,
      autocreateTopics: false,
      maxWaitTime: 100,
      // KIP-848: the broker assigns partitions and sets the session and heartbeat intervals
      // (group.consumer.session.timeout.ms, group.consumer.heartbeat.interval.ms), not the member.
      // Classic: a member on a dead cluster should not hold its partitions for long.
      ...(groupProtocol === 'consumer' ? { groupProtocol: GroupProtocols.CONSUMER } : { sessionTimeout: 10_000, heartbeatInterval: 1000 }),
    }));
    const probe = new ProbeConsumer(consumer);
    // An 'error' nobody listens to would end the process.
    const failed = (e: unknown) => {
      if (!probe.stopped) onError(e);
    };
    consumer.on('error', failed);
    const deadline = 2 * o.requestTimeoutMs + o.connectionTimeoutMs;
    try {
      const start = await withTimeout(`probe consumer: join ${group} on ${o.bootstrap.join(',')}`, deadline, (async (): Promise<ProbeConsumerStart> => {
        const existing = new Set(await admin.listTopics());
        const present = topics.filter((t) => existing.has(t));
        if (present.length === 0) throw new Error(`none of ${topics.join(', ')} exists`);
        const committed: Record<string, number> = {};
        for (const g of await admin.listConsumerGroupOffsets({ groups: [group] })) {
          for (const t of g.topics) {
            if (!present.includes(t.name)) continue;
            for (const p of t.partitions) if (p.committedOffset >= 0n) committed[`${t.name}:${p.partitionIndex}`] = Number(p.committedOffset);
          }
        }
        const md = await admin.metadata({ topics: present, forceUpdate: true });
        const stream = await consumer.consume({ topics: present, mode: MessagesStreamModes.COMMITTED, fallbackMode: MessagesStreamFallbackModes.EARLIEST, autocommit: 500 });
        probe.stream = stream;
        stream.on('error', failed);
        stream.on('data', (m) => {
          // A stopped consumer must neither deliver nor commit what it fetched.
          if (probe.stopped) return;
          onRecords([{ topic: m.topic, partition: m.partition, offset: Number(m.offset), headers: headerText(m.headers) }]);
        });
        return { committed, topics: present, clusterId: md.id };
      })());
      return { consumer: probe, start };
    } catch (e) {
      probe.stopped = true;
      void letGo(consumer.close(true), 1000);
      throw e;
    } finally {
      void letGo(admin.close(), 1000);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Local and immediate: no more deliveries, even if the close below never completes.
    this.stream?.pause();
    await letGo(this.consumer.close(true), 3000);
  }
}

/** A short, stable description of a client error for the probe's log. */
export function probeErrorKind(e: unknown): 'timeout' | 'connection' | 'fenced' | 'other' {
  if (isTimeout(e)) return 'timeout';
  if (isAuthzError(e)) return 'fenced';
  if (isConnectError(e)) return 'connection';
  for (const x of errorTree(e)) if (x instanceof NetworkError) return 'connection';
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
