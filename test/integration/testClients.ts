import { MessagesStreamFallbackModes, MessagesStreamModes, compatibilityPartitioner, type CompressionAlgorithmValue, type Consumer, type Message, type MessagesStream } from '@platformatic/kafka';
import type { KafkaConnection } from '../../src/kafka/connection.js';
import { errorDetail } from '../../src/kafka/kafkaErrors.js';

/*
 * The tests' workload clients: records written and read the way an
 * application does, with the Kafka client failover itself uses, on a
 * connection's settings (auth, TLS, timeouts). Text in, text out, so that a
 * test writes one line per send.
 */

export interface TestMessage {
  key?: string | null;
  /** null: a tombstone */
  value: string | null;
  partition?: number;
  /** epoch milliseconds */
  timestamp?: number | string;
  headers?: Record<string, string>;
}

export interface TestSend {
  topic: string;
  messages: TestMessage[];
  /** -1 (all, the default), 1 or 0 */
  acks?: number;
}

export interface TestProducerOptions {
  /** the client's own retries (default 0: a failure reaches the test) */
  retries?: number;
  compression?: CompressionAlgorithmValue;
  /** idempotent, with this transactional id: use transaction() */
  transactionalId?: string;
}

const buf = (s: string | null | undefined): Buffer | undefined => (s === null || s === undefined ? undefined : Buffer.from(s, 'utf8'));

function toRecord(topic: string, m: TestMessage) {
  return {
    topic,
    ...(m.key !== undefined && m.key !== null ? { key: Buffer.from(m.key, 'utf8') } : {}),
    value: buf(m.value),
    ...(m.partition !== undefined ? { partition: m.partition } : {}),
    ...(m.timestamp !== undefined ? { timestamp: BigInt(m.timestamp) } : {}),
    // Without serializers the client writes header keys as they are: Buffers in a Map (a plain object's keys are strings).
    ...(m.headers ? { headers: new Map(Object.entries(m.headers).map(([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')])) } : {}),
  };
}

export class TestProducer {
  private readonly producer: ReturnType<KafkaConnection['producer']>;

  constructor(
    private readonly conn: KafkaConnection,
    opts: TestProducerOptions = {},
  ) {
    this.producer = conn.producer({
      // Keys land where a Java (or kafkajs) producer puts them, as the tests were written for.
      partitioner: compatibilityPartitioner,
      ...(opts.transactionalId ? { transactionalId: opts.transactionalId, idempotent: true } : { idempotent: false, retries: opts.retries ?? 0 }),
      ...(opts.compression ? { compression: opts.compression } : {}),
    });
  }

  /** One produce; resolves with the base offset of each partition written. */
  async send(s: TestSend): Promise<{ partition: number; baseOffset: number }[]> {
    const r = await this.producer.send({ acks: s.acks ?? -1, messages: s.messages.map((m) => toRecord(s.topic, m)) });
    return (r.offsets ?? []).map((o) => ({ partition: o.partition, baseOffset: Number(o.offset) }));
  }

  /** One transaction: `commit` false aborts it after the sends. */
  async transaction(sends: TestSend[], commit = true): Promise<void> {
    const txn = await this.producer.beginTransaction();
    for (const s of sends) await txn.send({ acks: -1, messages: s.messages.map((m) => toRecord(s.topic, m)) });
    if (commit) await txn.commit();
    else await txn.abort();
  }

  /** A transaction left open after its sends: the caller commits or aborts it later. */
  async openTransaction(sends: TestSend[]): Promise<{ commit(): Promise<void>; abort(): Promise<void> }> {
    const txn = await this.producer.beginTransaction();
    for (const s of sends) await txn.send({ acks: -1, messages: s.messages.map((m) => toRecord(s.topic, m)) });
    return { commit: async () => void (await txn.commit()), abort: async () => void (await txn.abort()) };
  }

  async close(): Promise<void> {
    await this.conn.closeProducer(this.producer);
  }
}

/** A producer on `conn`'s settings. */
export function testProducer(conn: KafkaConnection, opts: TestProducerOptions = {}): TestProducer {
  return new TestProducer(conn, opts);
}

export interface TestRecord {
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

function toTestRecord(m: Message<Buffer, Buffer, Buffer, Buffer>): TestRecord {
  const headers: Record<string, string> = {};
  for (const [k, v] of m.headers ?? []) headers[k.toString('utf8')] = v.toString('utf8');
  return {
    topic: m.topic,
    partition: m.partition,
    offset: Number(m.offset),
    timestamp: Number(m.timestamp),
    key: m.key === undefined || m.key === null || m.key.length === 0 ? null : m.key.toString('utf8'),
    value: m.value === undefined || m.value === null ? null : m.value.toString('utf8'),
    headers,
  };
}

/**
 * A group member reading `topics` from its committed offsets (from the
 * beginning where it has none), committing every `autocommitMs`, until
 * stopped. Every record it reads goes to `records`.
 */
export class TestConsumer {
  readonly records: TestRecord[] = [];
  readonly errors: unknown[] = [];
  private consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | undefined;
  private stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;

  constructor(
    private readonly conn: KafkaConnection,
    readonly group: string,
    private readonly topics: string[],
    private readonly opts: { autocommitMs?: number; onRecord?: (r: TestRecord) => void } = {},
  ) {}

  async start(): Promise<void> {
    const consumer = this.conn.consumer(this.group, { sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTime: 100, retries: 3 });
    this.consumer = consumer;
    consumer.on('error', (e: unknown) => this.errors.push(e));
    const stream = await consumer.consume({
      topics: this.topics,
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: MessagesStreamFallbackModes.EARLIEST,
      autocommit: this.opts.autocommitMs ?? 100,
    });
    this.stream = stream;
    stream.on('error', (e: unknown) => this.errors.push(e));
    stream.on('data', (m: Message<Buffer, Buffer, Buffer, Buffer>) => {
      const r = toTestRecord(m);
      this.records.push(r);
      this.opts.onRecord?.(r);
    });
  }

  get values(): string[] {
    return this.records.map((r) => r.value ?? '');
  }

  async until(what: string, ok: () => boolean, timeoutMs = 60_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (!ok()) {
      if (Date.now() > until) throw new Error(`consumer ${this.group}: ${what} not within ${timeoutMs} ms (read ${this.records.length})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Stops: commits what it read, and leaves the group. */
  async stop(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (stream) await stream.close().catch(() => undefined);
    if (this.consumer) await this.conn.closeConsumer(this.consumer);
    this.consumer = undefined;
  }
}

/** 'acknowledged', or why the cluster refused: the Kafka error names (e.g. TOPIC_AUTHORIZATION_FAILED), or the client's words. */
export async function outcome(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'acknowledged';
  } catch (e) {
    return errorDetail(e);
  }
}
