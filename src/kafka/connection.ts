import kafkajs, { type Admin, type SASLOptions, type Consumer, type Producer, type ProducerConfig } from 'kafkajs';
import { withTimeout } from './timeout.js';
import { ClusterUnreachableError, describeKafkaError, isNoAnswer } from './kafkaErrors.js';

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
  /**
   * `once` (every runbook connection, see gates/connections.ts): the first
   * call probes the cluster, within one request timeout, and once it is
   * known not to answer every call fails at once with that error, until
   * reprobe(). `every-call` (the default): each call tries the cluster
   * again, for waiters that poll a cluster while it starts (the lab).
   */
  reachability?: 'once' | 'every-call';
}

export interface BrokerAddress {
  nodeId: number;
  host: string;
  port: number;
}

/**
 * What one probe of a cluster found. `ok: false` carries the error (naming
 * the cluster and what did not answer), what to do about it, and why:
 * `no-answer` (no answer within the deadline, connection refused or reset:
 * the cluster is down, paused or cut off), `auth` (it answered, and refused
 * our credentials or our principal), `error` (anything else). `checkedAt` is
 * when the probe started, `elapsedMs` how long it took: at most the
 * connection's request timeout.
 */
export type Reachability = Reachable | Unreachable;

export interface Reachable {
  ok: true;
  cluster: string;
  clusterId: string;
  brokers: BrokerAddress[];
  checkedAt: number;
  elapsedMs: number;
}

export interface Unreachable {
  ok: false;
  cluster: string;
  reason: 'no-answer' | 'auth' | 'error';
  error: string;
  hint: string;
  checkedAt: number;
  elapsedMs: number;
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

/** How long close() waits for a client that answers to say goodbye; one that does not answer is not waited for. */
const CLOSE_GRACE_MS = 1000;

/**
 * One connection to one cluster: a kafkajs client with an admin opened on
 * demand and reused, and every call bounded by the request timeout.
 *
 * Reachability is decided once per connection (with `reachability: 'once'`,
 * as every runbook connection is): the first call probes the cluster (connect
 * and Metadata, within one request timeout) and remembers the answer. A
 * cluster that did not answer then costs nothing more: every call fails at
 * once with the recorded error. A call that finds the cluster gone later (no
 * answer within its deadline, a refused connection) records that too. Only
 * reprobe() looks again; a caller does so on purpose (a drill that recovered
 * the cluster, a step that checks whether it came back). A command opens its
 * own connections, so one command's verdict never outlives it.
 */
export class KafkaConnection {
  readonly name: string;
  readonly bootstrap: string[];
  readonly timeoutMs: number;
  readonly kafka: Kafka;
  private readonly decideOnce: boolean;
  private adminClient: Admin | undefined;
  private adminConnecting: Promise<Admin> | undefined;
  private raw: RawCluster | undefined;
  private readonly closers: (() => Promise<void>)[] = [];
  private verdict: Reachability | undefined;
  private probing: Promise<Reachability> | undefined;

  constructor(opts: ConnectionOptions) {
    this.name = opts.name;
    this.bootstrap = opts.bootstrap;
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.decideOnce = opts.reachability === 'once';
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

  /**
   * Whether the cluster answers, probed once (connect, then Metadata, within
   * one request timeout) and remembered: every later ask gets the same
   * answer without touching the network, until reprobe().
   */
  reachability(): Promise<Reachability> {
    if (this.verdict) return Promise.resolve(this.verdict);
    this.probing ??= this.probe().then((r) => {
      // A failure recorded by a call while the probe ran is newer evidence; keep it.
      this.verdict ??= r;
      this.probing = undefined;
      return this.verdict;
    });
    return this.probing;
  }

  /** The answer known so far, without probing: undefined until the first probe or call has ended. */
  get known(): Reachability | undefined {
    return this.verdict;
  }

  /**
   * Forgets the recorded answer and probes again, with fresh clients (those
   * of a cluster that did not answer may still wait on its sockets). For
   * callers that look again on purpose.
   */
  async reprobe(): Promise<Reachability> {
    if (this.probing) await this.probing;
    this.verdict = undefined;
    this.dropClients();
    return this.reachability();
  }

  private async probe(): Promise<Reachability> {
    const checkedAt = Date.now();
    try {
      const info = await withTimeout(`${this.name}: connect`, this.timeoutMs, (async () => {
        const admin = await this.openAdmin();
        return admin.describeCluster();
      })());
      return {
        ok: true,
        cluster: this.name,
        clusterId: info.clusterId,
        brokers: info.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port })),
        checkedAt,
        elapsedMs: Date.now() - checkedAt,
      };
    } catch (e) {
      const err = describeKafkaError(e, { cluster: this.name, bootstrap: this.bootstrap, what: 'connect' });
      // Clients half-connected to a cluster that does not answer are not reused.
      this.dropClients();
      const reason = isNoAnswer(e) ? 'no-answer' : /authentication failed|not authorized/.test(err.message) ? 'auth' : 'error';
      return { ok: false, cluster: this.name, reason, error: err.message, hint: unreachableHint(this.name, err.hint), checkedAt, elapsedMs: Date.now() - checkedAt };
    }
  }

  /** Records that the cluster stopped answering (a call ran out of time, a connection was refused). */
  private recordNoAnswer(error: string, hint: string | undefined): void {
    if (this.verdict && !this.verdict.ok) return;
    const now = Date.now();
    this.verdict = { ok: false, cluster: this.name, reason: 'no-answer', error, hint: unreachableHint(this.name, hint), checkedAt: now, elapsedMs: 0 };
  }

  /**
   * Runs one cluster call under the deadline, naming the cluster on failure.
   * With `reachability: 'once'`, a cluster known not to answer fails the call
   * at once (ClusterUnreachableError), and a call that gets no answer records
   * the cluster as unreachable for the calls after it.
   */
  async call<T>(what: string, fn: () => Promise<T>, timeoutMs = this.timeoutMs): Promise<T> {
    if (this.decideOnce) {
      const r = await this.reachability();
      if (!r.ok) throw new ClusterUnreachableError(this.name, what, r);
    }
    try {
      return await withTimeout(`${this.name}: ${what}`, timeoutMs, fn());
    } catch (e) {
      const err = describeKafkaError(e, { cluster: this.name, bootstrap: this.bootstrap, what });
      if (this.decideOnce && isNoAnswer(e)) this.recordNoAnswer(err.message, err.hint);
      throw err;
    }
  }

  async admin(): Promise<Admin> {
    if (this.adminClient) return this.adminClient;
    try {
      return await this.call('connect', () => this.openAdmin());
    } catch (e) {
      // A connect still pending past its deadline is let go: kafkajs may later count a socket whose
      // ApiVersions never came back as connected, and that client must not become the shared one.
      if (!this.adminClient) this.adminConnecting = undefined;
      throw e;
    }
  }

  /** The shared admin client, connected; the caller bounds the wait. */
  private openAdmin(): Promise<Admin> {
    if (this.adminClient) return Promise.resolve(this.adminClient);
    if (this.adminConnecting) return this.adminConnecting;
    const admin = this.kafka.admin();
    const connecting: Promise<Admin> = admin.connect().then(
      () => {
        if (this.adminConnecting !== connecting) {
          // Dropped while connecting (a probe that ran out of time): not ours any more.
          void admin.disconnect().catch(() => undefined);
          throw new Error(`${this.name}: the connection was reset while connecting`);
        }
        this.adminClient = admin;
        return admin;
      },
      (e: unknown) => {
        if (this.adminConnecting === connecting) this.adminConnecting = undefined;
        void admin.disconnect().catch(() => undefined);
        throw e;
      },
    );
    this.adminConnecting = connecting;
    return connecting;
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
    try {
      await this.call('connect', () => cluster.connect());
    } catch (e) {
      void cluster.disconnect().catch(() => undefined);
      throw e;
    }
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

  /** Lets go of the admin and raw clients without waiting: a cluster that does not answer would hold a graceful disconnect until its requests time out. */
  private dropClients(): void {
    const admin = this.adminClient;
    const raw = this.raw;
    this.adminClient = undefined;
    this.adminConnecting = undefined;
    this.raw = undefined;
    void admin?.disconnect().catch(() => undefined);
    void raw?.disconnect().catch(() => undefined);
  }

  /**
   * Disconnects every client. A cluster known not to answer is not waited
   * for (a paused broker never answers a disconnect either: kafkajs waits
   * for its requests in flight to time out); one that answers gets a short
   * grace, so that close() never costs more than that.
   */
  async close(): Promise<void> {
    const all = [...this.closers.splice(0).map((f) => f()), this.adminClient?.disconnect(), this.raw?.disconnect()].map((p) => Promise.resolve(p).catch(() => undefined));
    this.adminClient = undefined;
    this.adminConnecting = undefined;
    this.raw = undefined;
    if (this.verdict && !this.verdict.ok) return;
    await Promise.race([Promise.allSettled(all), new Promise((r) => setTimeout(r, CLOSE_GRACE_MS).unref())]);
  }
}

function unreachableHint(cluster: string, cause: string | undefined): string {
  return `this command treats ${cluster} as unreachable and does not ask it again; ${cause ?? `check that ${cluster} runs and that its bootstrap addresses are right`}`;
}
