import kafkajs, { type Admin, type SASLOptions, type Consumer, type Producer, type ProducerConfig } from 'kafkajs';
import { withTimeout } from './timeout.js';
import { describeKafkaError } from './kafkaErrors.js';

const { Kafka, logLevel } = kafkajs;
type Kafka = kafkajs.Kafka;

export interface ClusterAuth {
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  tls?: { ca?: string; cert?: string; key?: string } | boolean;
}

export interface ConnectionOptions {
  /** the cluster's name in the runbook, used in every message */
  name: string;
  bootstrap: string[];
  auth?: ClusterAuth;
  /** per-call deadline; default 10 s */
  requestTimeoutMs?: number;
  connectionTimeoutMs?: number;
  clientId?: string;
}

/** Internal cluster handle of kafkajs, used for group-less reads (fetch, list offsets). */
export interface RawCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  refreshMetadata(): Promise<void>;
  addMultipleTargetTopics(topics: string[]): Promise<void>;
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findBroker(opts: { nodeId: string }): Promise<RawBroker>;
  fetchTopicsOffset(
    topics: { topic: string; partitions: { partition: number }[]; fromBeginning?: boolean; fromTimestamp?: number }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>;
}

export interface RawBroker {
  fetch(args: {
    replicaId?: number;
    isolationLevel?: number;
    maxWaitTime?: number;
    minBytes?: number;
    maxBytes?: number;
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[];
  }): Promise<{
    responses: {
      topicName: string;
      partitions: {
        partition: number;
        errorCode: number;
        highWatermark: string;
        messages: { offset: string; timestamp: string; key: Buffer | null; value: Buffer | null; headers?: Record<string, Buffer | Buffer[] | undefined> }[];
      }[];
    }[];
  }>;
}

/**
 * One connection to one cluster: a kafkajs client with an admin opened on
 * demand and reused, and every call bounded by the request timeout.
 */
export class KafkaConnection {
  readonly name: string;
  readonly bootstrap: string[];
  readonly timeoutMs: number;
  readonly kafka: Kafka;
  private adminClient: Admin | undefined;
  private adminConnecting: Promise<Admin> | undefined;
  private raw: RawCluster | undefined;
  private readonly closers: (() => Promise<void>)[] = [];

  constructor(opts: ConnectionOptions) {
    this.name = opts.name;
    this.bootstrap = opts.bootstrap;
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
    const sasl = opts.auth?.sasl
      ? ({ mechanism: opts.auth.sasl.mechanism, username: opts.auth.sasl.username, password: opts.auth.sasl.password } as SASLOptions)
      : undefined;
    this.kafka = new Kafka({
      clientId: opts.clientId ?? 'failover',
      brokers: opts.bootstrap,
      ...(sasl ? { sasl } : {}),
      ...(opts.auth?.tls ? { ssl: opts.auth.tls === true ? true : opts.auth.tls } : {}),
      connectionTimeout: opts.connectionTimeoutMs ?? Math.min(3000, this.timeoutMs),
      requestTimeout: this.timeoutMs,
      authenticationTimeout: Math.min(5000, this.timeoutMs),
      // kafkajs retries for minutes by default; our callers decide what to retry.
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1000 },
      logLevel: logLevel.NOTHING,
    });
  }

  /** Runs one cluster call under the deadline, naming the cluster on failure. */
  async call<T>(what: string, fn: () => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    try {
      return await withTimeout(`${this.name}: ${what}`, timeoutMs, fn());
    } catch (e) {
      throw describeKafkaError(e, { cluster: this.name, bootstrap: this.bootstrap, what });
    }
  }

  async admin(): Promise<Admin> {
    if (this.adminClient) return this.adminClient;
    this.adminConnecting ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await this.call('connect', () => admin.connect());
      } catch (e) {
        this.adminConnecting = undefined;
        void admin.disconnect().catch(() => undefined);
        throw e;
      }
      this.adminClient = admin;
      return admin;
    })();
    return this.adminConnecting;
  }

  /**
   * kafkajs keeps its cluster object private. Group-less reads (an internal
   * topic, the newest heartbeat) need it, so we take the one the client
   * would build for itself, with the same brokers, auth and timeouts.
   */
  async rawCluster(): Promise<RawCluster> {
    if (this.raw) return this.raw;
    const sym = Object.getOwnPropertySymbols(this.kafka).find((s) => s.description === 'private:Kafka:createCluster');
    if (!sym) throw new Error('kafkajs internals changed: no cluster factory (pin kafkajs 2.2.x)');
    const factory = (this.kafka as unknown as Record<symbol, (o: object) => RawCluster>)[sym]!;
    const cluster = factory({ allowAutoTopicCreation: false, metadataMaxAge: 60_000 });
    await this.call('connect', () => cluster.connect());
    this.raw = cluster;
    return cluster;
  }

  producer(config?: ProducerConfig): Producer {
    const p = this.kafka.producer({ allowAutoTopicCreation: false, ...config });
    this.closers.push(() => p.disconnect());
    return p;
  }

  consumer(groupId: string): Consumer {
    const c = this.kafka.consumer({ groupId, allowAutoTopicCreation: false });
    this.closers.push(() => c.disconnect());
    return c;
  }

  async close(): Promise<void> {
    const all = [...this.closers.map((f) => f()), this.adminClient?.disconnect(), this.raw?.disconnect()];
    this.adminClient = undefined;
    this.adminConnecting = undefined;
    this.raw = undefined;
    // A paused broker never answers a disconnect either.
    await Promise.race([Promise.allSettled(all), new Promise((r) => setTimeout(r, 2000).unref())]);
  }
}
