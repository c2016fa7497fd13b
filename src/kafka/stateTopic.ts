import { errorMessage } from '../errors.js';
import { waitForLeaders } from './clusterInfo.js';
import type { KafkaConnection } from './connection.js';
import { OFFSET_OUT_OF_RANGE, READ_COMMITTED, fetchPartitions } from './fetch.js';
import { hasKafkaError } from './kafkaErrors.js';
import { BROKER_LOSS_WAIT_MS, movesPartitions, whileLeadersMove } from './leaderRetry.js';
import { protocolError } from './protocol.js';
import { EARLIEST_TIMESTAMP, listOffsets } from './listOffsets.js';
import { clusterMetadata, leaderIndex, type RawTopicMetadata } from './metadata.js';
import { committedRecords } from './recordBatch.js';

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
  const topics = await conn.topicNames();
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

const PARTITION = 0;
const LEADER_NOT_AVAILABLE = 5;
const MAX_BYTES = 4 * 1024 * 1024;

/** Metadata of the one topic (a cluster with thousands of partitions answers that in milliseconds), or undefined when it does not exist. */
async function topicMetadata(conn: KafkaConnection, topic: string): Promise<RawTopicMetadata | undefined> {
  const md = await clusterMetadata(conn, [topic]);
  return md.topicMetadata.find((t) => t.topic === topic);
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
      admin.createTopics({ topics: [{ topic, partitions: 1, replicas: -1 }], configs: [{ name: 'cleanup.policy', value: 'compact' }] }),
    );
  } catch (e) {
    // Another failover process created it at the same moment.
    if (!hasKafkaError(e, 'TOPIC_ALREADY_EXISTS')) throw e;
  }
  // CreateTopics answers before the leader is elected (a broker that has just come back is slow to load it):
  // wait for the leader here, for a while, rather than fail the action.
  await waitForLeaders(conn, [topic], LEADER_WAIT_MS);
  return true;
}

const LEADER_WAIT_MS = 20_000;

/**
 * The newest committed value of every key, read without a consumer group.
 * READ_COMMITTED stops at the last stable offset; records of aborted
 * transactions (a contender that lost its compare-and-set) and transaction
 * markers are dropped, as a read_committed consumer would. A missing topic
 * reads as empty. A leader that is not serving yet (the topic was created a
 * moment ago, a broker restarted) is waited for, as the lock's first read
 * on a fresh pair meets it.
 */
export async function readStateTopic(conn: KafkaConnection, topic: string): Promise<StateSnapshot> {
  // A leader whose broker stopped answering is waited for too (the next one is elected once the broker is fenced);
  // a cluster whose Metadata does not answer is not, since that is the cluster down, not a leader moving.
  let metadataFailed: unknown;
  const meta = async () => {
    try {
      return await topicMetadata(conn, topic);
    } catch (e) {
      metadataFailed = e;
      throw e;
    }
  };
  return whileLeadersMove(() => readStateTopicOnce(conn, topic, meta), BROKER_LOSS_WAIT_MS, undefined, undefined, (e) => e !== metadataFailed && movesPartitions(e));
}

async function readStateTopicOnce(conn: KafkaConnection, topic: string, metadata: () => Promise<RawTopicMetadata | undefined>): Promise<StateSnapshot> {
  const out: StateSnapshot = new Map();
  const meta = await metadata();
  if (!meta) return out;
  const leader = meta.partitionMetadata.find((p) => p.partitionId === PARTITION)?.leader;
  if (leader === undefined || leader < 0) {
    const e = protocolError(LEADER_NOT_AVAILABLE);
    e.message = `${conn.name}: ${topic} has no leader (${e.apiId})`;
    throw e;
  }
  const broker = await conn.broker(leader);
  let next = 0;
  let stable: number | undefined;
  // A commit returns before its markers are written; until they are, the
  // last stable offset stays below the high watermark and the newest
  // committed value is invisible. Wait for it briefly (a transaction left
  // open by a killed writer holds it until the next writer fences it).
  const settleUntil = Date.now() + 2000;
  for (let round = 0; round < 10_000; round++) {
    const from = next;
    const [part] = await conn.call(`read ${topic}@${from}`, () =>
      fetchPartitions(broker, leader, [{ topic, partition: PARTITION, offset: from, maxBytes: MAX_BYTES }], {
        maxWaitMs: 0,
        minBytes: 0,
        maxBytes: MAX_BYTES,
        isolationLevel: READ_COMMITTED,
      }),
      conn.timeoutMs,
      'broker',
    );
    if (!part) break;
    if (part.errorCode === OFFSET_OUT_OF_RANGE) {
      // Compaction or retention moved the start.
      const [low] = await listOffsets(conn, leaderIndex({ clusterId: '', brokers: [], topicMetadata: [meta] }), [{ topic, partition: PARTITION, timestamp: EARLIEST_TIMESTAMP }], `offsets of ${topic}`);
      if (!low || low.offset <= next) break;
      next = low.offset;
      continue;
    }
    if (stable === undefined) {
      const lso = part.lastStableOffset >= 0 ? part.lastStableOffset : part.highWatermark;
      if (lso < part.highWatermark && Date.now() < settleUntil) {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      stable = lso;
    }
    // Our own read_committed filter: the client's consumer drops only the last of several aborted transactions of one producer in one answer.
    const read = committedRecords(part.records, `${conn.name}: ${topic}-${PARTITION}`, part.aborted, from);
    const advanced = read.next > next;
    next = read.next;
    for (const m of read.records) {
      if (m.offset >= stable || m.key === null) continue;
      const key = m.key.toString('utf8');
      out.set(key, { key, value: m.value === null ? null : parseJson(m.value), offset: m.offset, timestamp: m.timestamp });
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

export interface StateWrite {
  key: string;
  /** JSON-able; null writes a tombstone */
  value: unknown;
}

export type CasDecision<T> = { write: StateWrite[]; result: T } | { refuse: T };

/** The writer lost its epoch to a newer writer (or its transaction was cut short by one): start over. */
const isFenced = (e: unknown) => hasKafkaError(e, 'PRODUCER_FENCED', 'INVALID_PRODUCER_EPOCH', 'INVALID_TXN_STATE', 'CONCURRENT_TRANSACTIONS', 'TRANSACTION_ABORTABLE');

/**
 * The transaction coordinator is not there yet: a cluster's first
 * transaction creates __transaction_state, and a coordinator that has just
 * moved loads it. Both pass within seconds. A coordinator or leader whose
 * broker does not answer is waited for the same way while the rest of the
 * cluster answers (a broker lost: its roles move once it is fenced), and
 * not when the whole cluster is silent. CONCURRENT_TRANSACTIONS is the
 * coordinator still completing the id's previous transaction: its markers
 * wait for partition leaders, which after a lost broker takes until the
 * controller fences it (9 s on the lab); six quick attempts gave up first
 * ("another writer kept fencing this one" while a node of a 3-broker
 * cluster was killed under a promote's lock).
 */
const isCoordinatorMoment = (e: unknown) => hasKafkaError(e, 'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR', 'COORDINATOR_LOAD_IN_PROGRESS', 'CONCURRENT_TRANSACTIONS');
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
 *
 * On @platformatic/kafka: a fresh producer per attempt (its
 * beginTransaction() sends InitProducerId only once per producer, and a
 * producer whose begin failed refuses every later one), created with
 * producer id -1 and epoch -1 (connection.ts), so that InitProducerId
 * bumps the id's epoch as Java's does; fencing is recognised by Kafka's
 * error codes (PRODUCER_FENCED on InitProducerId or EndTxn,
 * INVALID_PRODUCER_EPOCH on Produce).
 */
export class StateTopicWriter {
  private producer: ReturnType<KafkaConnection['producer']> | undefined;

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
      // A fresh producer each attempt: InitProducerId (the fencing) is sent once per producer.
      await this.closeProducer();
      // An abandoned transaction (a killed writer) holds back READ_COMMITTED readers until it times out or the next writer fences it.
      const producer = this.conn.producer({ transactionalId: this.transactionalId, idempotent: true, timeoutMs: 30_000 });
      this.producer = producer;
      try {
        // Calls to one broker (the transaction coordinator, the partition's leader): no answer there is a broker lost, judged below.
        const txn = await this.conn.call(`begin a transaction on ${this.topic}`, () => producer.beginTransaction(), this.conn.timeoutMs, 'broker');
        const current = await readStateTopic(this.conn, this.topic);
        const decision = decide(current);
        if ('refuse' in decision) {
          await this.conn.call('abort', () => txn.abort()).catch(() => undefined);
          return decision.refuse;
        }
        if (decision.write.length > 0) {
          await this.conn.call(`write ${this.topic}`, () =>
            txn.send({
              acks: -1,
              messages: decision.write.map((w) => ({
                topic: this.topic,
                partition: PARTITION,
                key: Buffer.from(w.key, 'utf8'),
                // undefined: a null value, the tombstone of a compacted topic
                value: w.value === null ? undefined : Buffer.from(JSON.stringify(w.value), 'utf8'),
              })),
            }),
            this.conn.timeoutMs,
            'broker',
          );
        }
        await this.conn.call(`commit ${this.topic}`, () => txn.commit(), this.conn.timeoutMs, 'broker');
        return decision.result;
      } catch (e) {
        last = e;
        if ((isCoordinatorMoment(e) || (movesPartitions(e) && (await this.clusterAnswers()))) && Date.now() < coordinatorDeadline) {
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

  /**
   * Whether the cluster answers Metadata: after a write that got no answer
   * from its coordinator or leader, a cluster that answers has lost a broker
   * (the next attempt's fresh producer finds the new coordinator and leader,
   * and its InitProducerId aborts what the lost attempt left open), and one
   * that does not is down, which the caller reports.
   */
  private async clusterAnswers(): Promise<boolean> {
    try {
      await clusterMetadata(this.conn, [this.topic]);
      return true;
    } catch {
      return false;
    }
  }

  private async closeProducer(): Promise<void> {
    const p = this.producer;
    this.producer = undefined;
    if (p) await this.conn.closeProducer(p);
  }

  async close(): Promise<void> {
    await this.closeProducer();
  }
}
