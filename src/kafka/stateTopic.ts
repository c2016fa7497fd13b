import type { Producer } from 'kafkajs';
import { errorMessage } from '../errors.js';
import type { KafkaConnection, RawBroker } from './connection.js';
import { rawClusterOf, type RawTopicMetadata } from './metadata.js';

/**
 * The bytes of failover's state topic: one compacted, single-partition topic
 * per *pair of clusters* on each of them, keyed records whose values are
 * JSON. What the keys mean (phase, lock, fences, route) is the engine's
 * business; this file only names the topic, reads the newest committed value
 * per key and writes keys under a compare-and-set.
 *
 * The topic is named by the two clusters' ids, not by a runbook: every
 * runbook that moves a workload between the same two clusters shares one
 * lock and one phase, so two runbooks can never switch one pair at once.
 *
 * The name starts with `__` so that MirrorMaker 2's default topic filter
 * (which excludes `__.*`) never mirrors it: each cluster keeps its own copy,
 * written by failover, so the state stays readable when the other is down.
 */
export const STATE_TOPIC_PREFIX = '__failover.pair.';

/** The pair's two cluster ids in one order, whichever cluster is asked first. */
export function pairIds(a: string, b: string): [string, string] {
  return a <= b ? [a, b] : [b, a];
}

/** `__failover.pair.<id>.<id>`: cluster ids are base64url (letters, digits, `-`, `_`), all legal in a topic name. */
export function stateTopicName(a: string, b: string): string {
  const [x, y] = pairIds(a, b);
  return `${STATE_TOPIC_PREFIX}${x}.${y}`;
}

/** The two cluster ids a state topic name holds, or undefined when it is not one. */
export function parseStateTopicName(topic: string): [string, string] | undefined {
  if (!topic.startsWith(STATE_TOPIC_PREFIX)) return undefined;
  const rest = topic.slice(STATE_TOPIC_PREFIX.length);
  const parts = rest.split('.');
  if (parts.length !== 2 || !parts[0] || !parts[1]) return undefined;
  return [parts[0], parts[1]];
}

/** The transactional id whose epoch serialises every state write of one pair on one cluster. */
export function stateTransactionalId(a: string, b: string): string {
  const [x, y] = pairIds(a, b);
  return `failover-pair-${x}-${y}`;
}

/** The state topics on a cluster that belong to a pair with `clusterId` (a cluster may be paired with several). */
export async function pairStateTopics(conn: KafkaConnection, clusterId: string): Promise<{ topic: string; partner: string }[]> {
  const admin = await conn.admin();
  const topics = await conn.call('list topics', () => admin.listTopics());
  return topics.flatMap((topic) => {
    const ids = parseStateTopicName(topic);
    if (!ids || !ids.includes(clusterId)) return [];
    return [{ topic, partner: ids[0] === clusterId ? ids[1] : ids[0] }];
  });
}

export interface StateValue {
  key: string;
  /** parsed JSON; null for a tombstone */
  value: unknown;
  offset: number;
  timestamp: number;
}

/** key -> newest committed value */
export type StateSnapshot = Map<string, StateValue>;

const READ_COMMITTED = 1;
const PARTITION = 0;
const MAX_BYTES = 4 * 1024 * 1024;

interface CommittedFetchPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  lastStableOffset?: string;
  abortedTransactions?: { producerId: string; firstOffset: string }[];
  messages: {
    offset: string;
    timestamp: string;
    key: Buffer | null;
    value: Buffer | null;
    isControlRecord?: boolean;
    batchContext?: { producerId: string; inTransaction: boolean; isControlBatch?: boolean };
  }[];
}

/** Metadata of the one topic (a cluster with thousands of partitions answers that in milliseconds), or undefined when it does not exist. */
async function topicMetadata(conn: KafkaConnection, topic: string): Promise<RawTopicMetadata | undefined> {
  const cluster = await rawClusterOf(conn);
  try {
    const md = await conn.call(`metadata of ${topic}`, () => cluster.metadata({ topics: [topic] }));
    return md.topicMetadata.find((t) => t.topic === topic);
  } catch (e) {
    if (/UNKNOWN_TOPIC_OR_PARTITION|does not host this topic/.test(`${(e as { type?: string }).type ?? ''} ${errorMessage(e)}`)) return undefined;
    throw e;
  }
}

export async function stateTopicExists(conn: KafkaConnection, topic: string): Promise<boolean> {
  return (await topicMetadata(conn, topic)) !== undefined;
}

/**
 * Creates the state topic when it is missing: compacted (only the newest
 * value per key matters), one partition (one order for every key), the
 * cluster's default replication factor (-1), so a real cluster keeps it as
 * safely as its other topics. Returns true when it created it.
 */
export async function ensureStateTopic(conn: KafkaConnection, topic: string): Promise<boolean> {
  if (await stateTopicExists(conn, topic)) return false;
  const admin = await conn.admin();
  try {
    await conn.call(`create ${topic}`, () =>
      admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: 1, replicationFactor: -1, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      }),
    );
  } catch (e) {
    // Another failover process created it at the same moment.
    if (/TOPIC_ALREADY_EXISTS|already exists/i.test(errorMessage(e))) return true;
    // Created, but its leader was not in the metadata while kafkajs asked (a broker that has just
    // come back is slow to load it): wait for the leader here, for a while, rather than fail the action.
    if (!/UNKNOWN_TOPIC_OR_PARTITION|does not host this topic|LEADER_NOT_AVAILABLE/.test(`${(e as { type?: string }).type ?? ''} ${errorMessage(e)}`)) throw e;
    await waitForLeader(conn, topic, e);
  }
  return true;
}

const LEADER_WAIT_MS = 20_000;

async function waitForLeader(conn: KafkaConnection, topic: string, cause: unknown): Promise<void> {
  const deadline = Date.now() + LEADER_WAIT_MS;
  while (Date.now() < deadline) {
    const leader = (await topicMetadata(conn, topic))?.partitionMetadata.find((p) => p.partitionId === PARTITION)?.leader;
    if (leader !== undefined && leader >= 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${conn.name}: ${topic} was created, but has no leader after ${LEADER_WAIT_MS / 1000} s (${errorMessage(cause)})`);
}

/**
 * The newest committed value of every key, read without a consumer group.
 * READ_COMMITTED stops at the last stable offset; records of aborted
 * transactions (a contender that lost its compare-and-set) and transaction
 * markers are dropped, as a read_committed consumer would. A missing topic
 * reads as empty.
 */
export async function readStateTopic(conn: KafkaConnection, topic: string): Promise<StateSnapshot> {
  const out: StateSnapshot = new Map();
  const cluster = await rawClusterOf(conn);
  const meta = await topicMetadata(conn, topic);
  if (!meta) return out;
  const leader = meta.partitionMetadata.find((p) => p.partitionId === PARTITION)?.leader;
  if (leader === undefined || leader < 0) throw new Error(`${conn.name}: ${topic} has no leader`);
  await conn.call(`metadata of ${topic}`, async () => {
    await cluster.addMultipleTargetTopics([topic]);
  });
  const broker = (await conn.call(`leader of ${topic}`, () => cluster.findBroker({ nodeId: String(leader) }))) as unknown as RawBroker;
  let next = 0;
  let stable: number | undefined;
  // A commit returns before its markers are written; until they are, the
  // last stable offset stays below the high watermark and the newest
  // committed value is invisible. Wait for it briefly (a transaction left
  // open by a killed writer holds it until the next writer fences it).
  const settleUntil = Date.now() + 2000;
  for (let round = 0; round < 10_000; round++) {
    const res = await conn.call(`read ${topic}@${next}`, () =>
      broker.fetch({
        replicaId: -1,
        isolationLevel: READ_COMMITTED,
        maxWaitTime: 0,
        minBytes: 0,
        maxBytes: MAX_BYTES,
        topics: [{ topic, partitions: [{ partition: PARTITION, fetchOffset: String(next), maxBytes: MAX_BYTES }] }],
      }),
    );
    const part = res.responses[0]?.partitions[0] as CommittedFetchPartition | undefined;
    if (!part) break;
    if (part.errorCode === 1 /* OFFSET_OUT_OF_RANGE: compaction or retention moved the start */) {
      const ends = await conn.call(`offsets of ${topic}`, async () => (await conn.admin()).fetchTopicOffsets(topic));
      const low = Number(ends.find((e) => e.partition === PARTITION)?.low ?? 0);
      if (low <= next) break;
      next = low;
      continue;
    }
    if (part.errorCode !== 0) throw new Error(`${conn.name}: reading ${topic} failed with Kafka error code ${part.errorCode}`);
    if (stable === undefined) {
      const lso = Number(part.lastStableOffset ?? part.highWatermark);
      if (lso < Number(part.highWatermark) && Date.now() < settleUntil) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      stable = lso;
    }
    const kept = withoutAborted(part.messages, part.abortedTransactions ?? []);
    let advanced = false;
    for (const m of part.messages) {
      const offset = Number(m.offset);
      if (offset < next) continue;
      next = offset + 1;
      advanced = true;
    }
    for (const m of kept) {
      const offset = Number(m.offset);
      if (offset >= stable || m.isControlRecord || m.batchContext?.isControlBatch || m.key === null) continue;
      const key = m.key.toString('utf8');
      out.set(key, { key, value: m.value === null ? null : parseJson(m.value), offset, timestamp: Number(m.timestamp) });
    }
    if (!advanced || next >= stable) break;
  }
  return out;
}

function parseJson(b: Buffer): unknown {
  try {
    return JSON.parse(b.toString('utf8')) as unknown;
  } catch {
    return { unreadable: b.toString('utf8').slice(0, 200) };
  }
}

/** kafkajs's own rule (consumer/filterAbortedMessages.js): a producer's records from an aborted transaction's first offset to its abort marker. */
function withoutAborted<M extends CommittedFetchPartition['messages'][number]>(messages: M[], aborted: { producerId: string; firstOffset: string }[]): M[] {
  if (aborted.length === 0) return messages;
  const remaining = [...aborted].sort((a, b) => Number(a.firstOffset) - Number(b.firstOffset));
  const open = new Set<string>();
  return messages.filter((m) => {
    while (remaining.length > 0 && Number(m.offset) >= Number(remaining[0]!.firstOffset)) open.add(remaining.shift()!.producerId);
    const pid = m.batchContext?.producerId ?? '';
    const isAbortMarker = m.isControlRecord && m.key !== null && m.key.length >= 4 && m.key.readInt16BE(2) === 0;
    if (isAbortMarker) {
      open.delete(pid);
      return false;
    }
    return !(open.has(pid) && m.batchContext?.inTransaction);
  });
}

export interface StateWrite {
  key: string;
  /** JSON-able; null writes a tombstone */
  value: unknown;
}

export type CasDecision<T> = { write: StateWrite[]; result: T } | { refuse: T };

const FENCED = /PRODUCER_FENCED|INVALID_PRODUCER_EPOCH|CONCURRENT_TRANSACTIONS|INVALID_TXN_STATE|fenced|epoch/i;

/** The writer lost its epoch to a newer writer (or its transaction was cut short by one): start over. */
function causedBy(e: unknown, pattern: RegExp): boolean {
  for (let cur: unknown = e, depth = 0; cur !== undefined && cur !== null && depth < 4; depth++) {
    const c = cur as { type?: string; name?: string };
    if (pattern.test(c.type ?? '') || pattern.test(c.name ?? '') || pattern.test(errorMessage(cur))) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

const isFenced = (e: unknown) => causedBy(e, FENCED);

/**
 * The transaction coordinator is not there yet: a cluster's first
 * transaction creates __transaction_state, and a coordinator that has just
 * moved loads it. Both pass within seconds; a broker that does not answer
 * at all fails with a timeout instead, and is not waited for here.
 */
const COORDINATOR_MOMENT = /COORDINATOR_NOT_AVAILABLE|NOT_COORDINATOR|COORDINATOR_LOAD_IN_PROGRESS|GroupCoordinatorNotFound|Failed to find group coordinator/;
/** How long a write waits in all for a coordinator that is not there yet. */
const COORDINATOR_WAIT_MS = 30_000;

/**
 * Compare-and-set on one cluster's state topic, serialised by Kafka's
 * transactional-id fencing.
 *
 * Every writer of a pair's state uses the same transactional id. A write
 * is: InitProducerId (which bumps the id's epoch, fencing every other
 * producer that holds it and completing or aborting its open transaction),
 * then a READ_COMMITTED read of the state, then the caller's decision, then
 * the records in a transaction, then the commit. A commit succeeds only if
 * no other writer initialised the id since our InitProducerId, so nothing
 * was committed between our read and our commit: a true compare-and-set,
 * with the broker as the arbiter and no clock involved. A fenced writer
 * simply starts over with a fresh producer and a fresh read.
 */
export class StateTopicWriter {
  private producer: Producer | undefined;

  constructor(
    private readonly conn: KafkaConnection,
    readonly topic: string,
    private readonly transactionalId: string,
  ) {}

  async compareAndSet<T>(decide: (current: StateSnapshot) => CasDecision<T>, attempts = 6): Promise<T> {
    let last: unknown;
    const coordinatorDeadline = Date.now() + COORDINATOR_WAIT_MS;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 50 + Math.floor(Math.random() * 200 * attempt)));
      // A fresh producer each attempt: a fenced kafkajs producer cannot be reused.
      await this.closeProducer();
      const producer = this.conn.producer({
        transactionalId: this.transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        // An abandoned transaction (a killed writer) holds back READ_COMMITTED readers until it times out or the next writer fences it.
        transactionTimeout: 30_000,
        retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1000 },
      });
      this.producer = producer;
      try {
        await this.conn.call('connect the state writer', () => producer.connect());
        const txn = await this.conn.call(`begin a transaction on ${this.topic}`, () => producer.transaction());
        const current = await readStateTopic(this.conn, this.topic);
        const decision = decide(current);
        if ('refuse' in decision) {
          await this.conn.call('abort', () => txn.abort()).catch(() => undefined);
          return decision.refuse;
        }
        if (decision.write.length > 0) {
          await this.conn.call(`write ${this.topic}`, () =>
            txn.send({
              topic: this.topic,
              acks: -1,
              messages: decision.write.map((w) => ({ key: w.key, value: w.value === null ? null : JSON.stringify(w.value) })),
            }),
          );
        }
        await this.conn.call(`commit ${this.topic}`, () => txn.commit());
        return decision.result;
      } catch (e) {
        last = e;
        if (causedBy(e, COORDINATOR_MOMENT) && Date.now() < coordinatorDeadline) {
          // Not a contender's fence: the attempt is not counted, only the time.
          attempt--;
          await new Promise((r) => setTimeout(r, 1000));
          continue;
        }
        if (!isFenced(e)) throw e;
      }
    }
    throw new Error(`${this.conn.name}: ${this.topic}: another writer kept fencing this one (${errorMessage(last)})`);
  }

  private async closeProducer(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    if (p) await Promise.race([p.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
  }

  async close(): Promise<void> {
    await this.closeProducer();
  }
}
