import { readFileSync } from 'node:fs';
import { Admin, Consumer, Producer, loggers, type Base, type BaseOptions, type ConnectionPoolEventPayload, type Broker, type Connection, type ConsumerOptions, type ProducerOptions, type SASLOptions } from '@platformatic/kafka';
import { whileLeadersMove } from './leaderRetry.js';
import { clusterMetadata } from './metadata.js';
import { withTimeout } from './timeout.js';
import { ClusterUnreachableError, describeKafkaError, isAuthError, isAuthzError, isNoAnswer, kafkaCodes } from './kafkaErrors.js';

// The client logs through `debug`; with DEBUG=plt:kafka:* its protocol logger prints request bytes, SASL passwords included.
for (const logger of Object.values(loggers)) logger.enabled = false;

/** SASL credentials: a user and password (PLAIN, SCRAM), or a bearer token (OAUTHBEARER). */
export type SaslCredentials =
  | { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string }
  | { mechanism: 'oauthbearer'; token: string };

export interface ClusterAuth {
  sasl?: SaslCredentials;
  /** true for the system trust store, or PEM text */
  tls?: { ca?: string; cert?: string; key?: string; servername?: string } | boolean;
}

/** Where and how to reach a cluster, as the client takes it; PEM given as text or as file paths. */
export interface ClientSettings {
  bootstrap: string[];
  clientId: string;
  sasl?: SaslCredentials;
  tls?: true | { ca?: string; cert?: string; key?: string; servername?: string; files?: boolean };
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
}

const SASL_MECHANISM = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512', oauthbearer: 'OAUTHBEARER' } as const;

/** The client's SASL options for our credentials. */
export function saslOptions(c: SaslCredentials): SASLOptions {
  // OAUTHBEARER sends the token as it is (RFC 7628's GS2 header and auth=Bearer); no extensions.
  if (c.mechanism === 'oauthbearer') return { mechanism: SASL_MECHANISM.oauthbearer, token: c.token };
  return { mechanism: SASL_MECHANISM[c.mechanism], username: c.username, password: c.password };
}

const ignoreConnectionError = (): void => undefined;

/**
 * The client's connection pool listens for a connection's 'error' only
 * once. A connection that fails a second time (a broker killed while the
 * client connects to it, as the primary-down drill does) throws the second
 * as an unheard event, which ends the process. The call that used the
 * connection has failed already with its own error, which its caller
 * reports; every later 'error' of that connection is heard here and let go.
 * Every client failover makes goes through this.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any client: each narrows the events type its own way
export function hearConnectionErrors<C extends Base<any, any>>(client: C): C {
  const hear = ({ connection }: ConnectionPoolEventPayload): void => {
    if (!connection.listeners('error').includes(ignoreConnectionError)) connection.on('error', ignoreConnectionError);
  };
  const base = client as Base;
  base.on('client:broker:connect', hear);
  base.on('client:broker:failed', hear);
  return client;
}

/**
 * The client's options for failover: no retries inside the client (they
 * nest, metadata under every call, and multiply a paused broker's timeout;
 * failover's callers decide what to retry, within their deadlines), and
 * the request timeout as the per-request deadline.
 */
export function clientOptions(s: ClientSettings): BaseOptions {
  const sasl: SASLOptions | undefined = s.sasl ? saslOptions(s.sasl) : undefined;
  const tls = s.tls;
  const pem = (v: string | undefined) => (v === undefined ? undefined : tls !== true && tls?.files ? readFileSync(v, 'utf8') : v);
  return {
    clientId: s.clientId,
    bootstrapBrokers: s.bootstrap,
    // The client's connect timeout also bounds the SASL handshake (ApiVersions, SaslHandshake, SaslAuthenticate:
    // requests, answered in request time). With SASL it is the request timeout, so that a paused broker is told by
    // the caller's deadline, as without SASL, and a slow but live authentication is not taken for a dead cluster.
    connectTimeout: s.sasl ? Math.max(s.connectionTimeoutMs, s.requestTimeoutMs) : s.connectionTimeoutMs,
    requestTimeout: s.requestTimeoutMs,
    // The broker-side timeout of CreateTopics, Produce acks and InitProducerId (the transaction timeout).
    timeout: s.requestTimeoutMs,
    retries: 0,
    retryDelay: 100,
    ...(sasl ? { sasl } : {}),
    ...(tls === undefined
      ? {}
      : tls === true
        ? { tls: {} }
        : {
            tls: {
              ...(tls.ca ? { ca: pem(tls.ca) } : {}),
              ...(tls.cert ? { cert: pem(tls.cert) } : {}),
              ...(tls.key ? { key: pem(tls.key) } : {}),
              ...(tls.servername ? { servername: tls.servername } : {}),
            },
          }),
  };
}

/** `host:port` as the client's Broker. */
export function parseBroker(hostPort: string): Broker {
  const i = hostPort.lastIndexOf(':');
  if (i < 0) return { host: hostPort, port: 9092 };
  return { host: hostPort.slice(0, i).replace(/^\[(.*)\]$/, '$1'), port: Number(hostPort.slice(i + 1)) };
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

/** Producer options beyond the connection's; `retries` only for a plain producer (an idempotent one always gets 2). */
export type ProducerSettings = Omit<ProducerOptions<Buffer, Buffer, Buffer, Buffer>, keyof BaseOptions | 'serializers'> & { timeoutMs?: number; retries?: number };

/** Group consumer options beyond the connection's: a member of the classic group protocol. */
export interface ConsumerSettings {
  sessionTimeout?: number;
  heartbeatInterval?: number;
  rebalanceTimeout?: number;
  maxWaitTime?: number;
  isolationLevel?: number;
  retries?: number;
}

/**
 * The client's own request timeout sits a little past ours, so that a call
 * that gets no answer fails with our deadline (which names the call), and
 * the client's timer, which destroys the connection, fires only after it.
 */
const CLIENT_TIMEOUT_SLACK_MS = 250;

/**
 * One connection to one cluster: an Admin client of @platformatic/kafka,
 * made on demand and reused (it holds the connection pool, so failover's
 * own requests to a given broker share its sockets, authentication and
 * TLS), and every call bounded by the request timeout.
 *
 * Reachability is decided once per connection (with `reachability: 'once'`,
 * as every runbook connection is): the first call probes the cluster
 * (ApiVersions and Metadata, within one request timeout) and remembers the
 * answer. A cluster that did not answer then costs nothing more: every call
 * fails at once with the recorded error. A call that finds the cluster gone
 * later (no answer within its deadline, a refused connection) records that
 * too. Only reprobe() looks again; a caller does so on purpose (a drill
 * that recovered the cluster, a step that checks whether it came back). A
 * command opens its own connections, so one command's verdict never
 * outlives it.
 */
export class KafkaConnection {
  readonly name: string;
  readonly bootstrap: string[];
  readonly timeoutMs: number;
  private readonly options: BaseOptions;
  private readonly decideOnce: boolean;
  private adminClient: Admin | undefined;
  private adminConnecting: Promise<Admin> | undefined;
  private readonly producers = new Set<Producer<Buffer, Buffer, Buffer, Buffer>>();
  private readonly consumers = new Set<Consumer<Buffer, Buffer, Buffer, Buffer>>();
  /** broker addresses by node id, from the newest Metadata answer */
  private brokers = new Map<number, Broker>();
  private verdict: Reachability | undefined;
  private probing: Promise<Reachability> | undefined;

  constructor(opts: ConnectionOptions) {
    this.name = opts.name;
    this.bootstrap = opts.bootstrap;
    this.timeoutMs = opts.requestTimeoutMs ?? 10_000;
    this.decideOnce = opts.reachability === 'once';
    const tls = opts.auth?.tls;
    this.options = clientOptions({
      bootstrap: opts.bootstrap,
      clientId: opts.clientId ?? 'failover',
      ...(opts.auth?.sasl ? { sasl: opts.auth.sasl } : {}),
      ...(tls ? { tls: tls === true ? true : tls } : {}),
      requestTimeoutMs: this.timeoutMs + CLIENT_TIMEOUT_SLACK_MS,
      connectionTimeoutMs: opts.connectionTimeoutMs ?? Math.min(3000, this.timeoutMs),
    });
  }

  /**
   * Whether the cluster answers, probed once (ApiVersions, then Metadata,
   * within one request timeout) and remembered: every later ask gets the
   * same answer without touching the network, until reprobe().
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
   * Forgets the recorded answer and probes again, with a fresh client (that
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
      const md = await withTimeout(`${this.name}: connect`, this.timeoutMs, (async () => {
        const admin = await this.openAdmin();
        // A cluster that has just started answers with passing errors (a leader election, no broker metadata yet)
        // for a moment: it answers, so it is asked again until it says something real or the deadline ends.
        for (;;) {
          try {
            return await admin.metadata({ topics: [], forceUpdate: true });
          } catch (e) {
            if (!passing(e) || Date.now() - checkedAt > this.timeoutMs - 500) throw e;
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      })());
      const brokers = [...md.brokers].map(([nodeId, b]) => ({ nodeId, host: b.host, port: b.port }));
      this.rememberBrokers(brokers);
      return { ok: true, cluster: this.name, clusterId: md.id, brokers, checkedAt, elapsedMs: Date.now() - checkedAt };
    } catch (e) {
      const err = describeKafkaError(e, { cluster: this.name, bootstrap: this.bootstrap, what: 'connect' });
      // A client half-connected to a cluster that does not answer is not reused.
      this.dropClients();
      const reason = isNoAnswer(e) ? 'no-answer' : isAuthError(e) || isAuthzError(e) ? 'auth' : 'error';
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
   * the cluster as unreachable for the calls after it, unless `scope` is
   * 'broker': a call to one broker (a partition's leader) that gets no
   * answer says that broker is gone, which on a cluster of several is a
   * leader about to move, not a cluster down (see leaderRetry.ts).
   */
  async call<T>(what: string, fn: () => Promise<T>, timeoutMs = this.timeoutMs, scope: 'cluster' | 'broker' = 'cluster'): Promise<T> {
    if (this.decideOnce) {
      const r = await this.reachability();
      if (!r.ok) throw new ClusterUnreachableError(this.name, what, r);
    }
    try {
      return await withTimeout(`${this.name}: ${what}`, timeoutMs, fn());
    } catch (e) {
      const err = describeKafkaError(e, { cluster: this.name, bootstrap: this.bootstrap, what });
      if (this.decideOnce && scope === 'cluster' && isNoAnswer(e)) this.recordNoAnswer(err.message, err.hint);
      throw err;
    }
  }

  /** The shared admin client, once the cluster has answered ApiVersions. */
  /**
   * The cluster's topic names, from our own Metadata read. The client's
   * listing fails as a whole when any topic has a partition without a
   * leader: one offline partition of an unrelated topic (a replica-1 topic
   * on a lost broker) made every listing fail, and with it the lag measure
   * and the stop criteria. A topic being deleted is left out; a moment of
   * stale metadata is asked again while leaders move (10 s).
   */
  async topicNames(opts: { includeInternals?: boolean } = {}): Promise<string[]> {
    const md = await whileLeadersMove(() => clusterMetadata(this, null, 'list topics'));
    return md.topicMetadata.filter((t) => opts.includeInternals || !t.isInternal).map((t) => t.topic);
  }

  async admin(): Promise<Admin> {
    if (this.adminClient) return this.adminClient;
    try {
      return await this.call('connect', () => this.openAdmin());
    } catch (e) {
      // A connect still pending past its deadline is let go, and so is its client: it never becomes the shared one.
      if (!this.adminClient) this.dropClients();
      throw e;
    }
  }

  /** The shared admin client, connected (ApiVersions answered); the caller bounds the wait. */
  private openAdmin(): Promise<Admin> {
    if (this.adminClient) return Promise.resolve(this.adminClient);
    if (this.adminConnecting) return this.adminConnecting;
    const admin = hearConnectionErrors(new Admin(this.options));
    const connecting: Promise<Admin> = admin.listApis().then(
      () => {
        if (this.adminConnecting !== connecting) {
          // Dropped while connecting (a probe that ran out of time): not ours any more.
          void admin.close().catch(() => undefined);
          throw new Error(`${this.name}: the connection was reset while connecting`);
        }
        this.adminClient = admin;
        return admin;
      },
      (e: unknown) => {
        if (this.adminConnecting === connecting) this.adminConnecting = undefined;
        void admin.close().catch(() => undefined);
        throw e;
      },
    );
    this.adminConnecting = connecting;
    return connecting;
  }

  /** Remembers where each broker listens (from a Metadata answer), so that requests to a leader need no Metadata of their own. */
  rememberBrokers(brokers: readonly BrokerAddress[]): void {
    if (brokers.length === 0) return;
    this.brokers = new Map(brokers.map((b) => [b.nodeId, { host: b.host, port: b.port }]));
  }

  /**
   * The connection to broker `nodeId`, from the admin client's pool (its
   * authentication and TLS), opened when needed. Its address comes from
   * the newest Metadata answer failover read.
   */
  async broker(nodeId: number): Promise<Connection> {
    const admin = await this.admin();
    return this.call(
      `connect to broker ${nodeId}`,
      async () => {
        const known = this.brokers.get(nodeId);
        if (known) return admin.connections.get(known);
        const c = (await admin.connectToBrokers([nodeId])).get(nodeId);
        if (!c) throw new Error(`broker ${nodeId} is not in ${this.name}'s metadata`);
        return c;
      },
      this.timeoutMs,
      'broker',
    );
  }

  /** A connection to any broker that answers: a bootstrap address, or a broker from the newest metadata. */
  async anyBroker(): Promise<Connection> {
    const admin = await this.admin();
    return this.call('connect', () => admin.connections.getFirstAvailable([...this.bootstrap.map(parseBroker), ...this.brokers.values()]));
  }

  /**
   * A producer with failover's settings: no retries for a plain producer;
   * two for an idempotent or transactional one (the client turns fewer into
   * retrying forever); Java's InitProducerId ids (-1/-1: a fresh producer
   * id, or the transactional id's, with a bumped epoch; the client's
   * default 0/0 is refused with PRODUCER_FENCED once the id belongs to
   * another producer id). `timeoutMs` is the broker-side timeout, and for a
   * transactional producer the transaction timeout.
   */
  producer(settings: ProducerSettings = {}): Producer<Buffer, Buffer, Buffer, Buffer> {
    const { timeoutMs, retries, ...rest } = settings;
    const idempotent = rest.idempotent === true || rest.transactionalId !== undefined;
    const p = hearConnectionErrors(
      new Producer<Buffer, Buffer, Buffer, Buffer>({
        ...this.options,
        autocreateTopics: false,
        ...(retries !== undefined ? { retries } : {}),
        ...(idempotent ? { retries: 2, producerId: -1n, producerEpoch: -1 } : {}),
        ...(timeoutMs !== undefined ? { timeout: timeoutMs } : {}),
        ...rest,
      }),
    );
    this.producers.add(p);
    return p;
  }

  /** Closes a producer made by producer(), without waiting for a cluster that does not answer. */
  async closeProducer(p: Producer<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
    this.producers.delete(p);
    await p.close(true).catch(() => undefined);
  }

  /**
   * A group consumer with the connection's settings. The caller listens for
   * its 'error' events (and its stream's): an 'error' nobody hears ends the
   * process.
   */
  consumer(groupId: string, settings: ConsumerSettings = {}): Consumer<Buffer, Buffer, Buffer, Buffer> {
    const c = hearConnectionErrors(new Consumer<Buffer, Buffer, Buffer, Buffer>({ ...this.options, autocreateTopics: false, ...settings, groupId } as ConsumerOptions<Buffer, Buffer, Buffer, Buffer>));
    this.consumers.add(c);
    return c;
  }

  /** Closes a consumer made by consumer(), leaving its group, without waiting for a cluster that does not answer. */
  async closeConsumer(c: Consumer<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
    this.consumers.delete(c);
    await c.close(true).catch(() => undefined);
  }

  /** Lets go of the admin client at once: its sockets are destroyed, its pending calls fail. */
  private dropClients(): void {
    const admin = this.adminClient ?? undefined;
    const connecting = this.adminConnecting;
    this.adminClient = undefined;
    this.adminConnecting = undefined;
    this.brokers = new Map();
    void admin?.close().catch(() => undefined);
    void connecting?.then((a) => a.close()).catch(() => undefined);
  }

  /**
   * Closes every client. The client destroys its sockets rather than
   * waiting for answers, so a cluster that does not answer costs nothing.
   */
  async close(): Promise<void> {
    const all = [...[...this.producers].map((p) => p.close(true)), ...[...this.consumers].map((c) => c.close(true)), this.adminClient?.close()].map((p) =>
      Promise.resolve(p).catch(() => undefined),
    );
    this.producers.clear();
    this.consumers.clear();
    this.dropClients();
    await Promise.allSettled(all);
  }
}

function unreachableHint(cluster: string, cause: string | undefined): string {
  return `this command treats ${cluster} as unreachable and does not ask it again; ${cause ?? `check that ${cluster} runs and that its bootstrap addresses are right`}`;
}

/**
 * An answer that says "a moment": a retriable Kafka error (a leader
 * election right after a start, a controller not yet elected). A refused
 * or timed-out connection is not one: a cluster that is down is told at once.
 */
function passing(e: unknown): boolean {
  return kafkaCodes(e).some((c) => ['LEADER_NOT_AVAILABLE', 'NOT_CONTROLLER', 'COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE', 'BROKER_NOT_AVAILABLE'].includes(c.apiId));
}
