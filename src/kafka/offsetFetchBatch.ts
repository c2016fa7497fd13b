import type { KafkaConnection } from './connection.js';
import { fetchGroupOffsets, type CommittedOffset, type GroupOffsetsResult } from './groups.js';
import { rawClusterOf } from './metadata.js';
import { Writer, canSend, protocolRequest, type BrokerWithPool } from './protocol.js';

/**
 * Committed offsets of many groups in one OffsetFetch per coordinator
 * (OffsetFetch v8, KIP-709), after one batched FindCoordinator (v4,
 * KIP-699). kafkajs speaks neither version and asks one group per request
 * (two requests with its FindCoordinator), and a broker answers the
 * requests of one connection one after the other: 200 groups cost 400 round
 * trips that hold up every other admin request. Brokers older than these
 * versions (Kafka < 3.0), and groups whose coordinator is moving, go through
 * kafkajs's per-group path instead.
 * Both are "flexible" versions (see wire.ts).
 */
const FIND_COORDINATOR = 10;
const OFFSET_FETCH = 9;

const ERROR_NAMES: Record<number, string> = {
  14: 'COORDINATOR_LOAD_IN_PROGRESS',
  15: 'COORDINATOR_NOT_AVAILABLE',
  16: 'NOT_COORDINATOR',
  30: 'GROUP_AUTHORIZATION_FAILED',
  69: 'GROUP_ID_NOT_FOUND',
};
const errorName = (code: number) => ERROR_NAMES[code] ?? `error code ${code}`;

/** Coordinator node per group, in one FindCoordinator v4 request; groups without one are returned apart. */
async function findCoordinators(conn: KafkaConnection, broker: BrokerWithPool, groups: readonly string[]): Promise<{ byGroup: Map<string, number>; failed: string[] }> {
  const body = new Writer()
    .noTags()
    .int8(0) // key type: group
    .compactArray(groups, (w, g) => w.compactString(g))
    .noTags()
    .done();
  const res = await conn.call(`find coordinators of ${groups.length} groups`, () =>
    broker.connectionPool.send(
      protocolRequest({ apiKey: FIND_COORDINATOR, apiVersion: 4, apiName: 'FindCoordinator', flexible: true }, body, (r) => {
        r.int32(); // throttle
        const coordinators = r.compactArray((x) => {
          const key = x.compactString() ?? '';
          const nodeId = x.int32();
          x.compactString(); // host
          x.int32(); // port
          const errorCode = x.int16();
          x.compactString(); // error message
          x.tags();
          return { key, nodeId, errorCode };
        });
        r.tags();
        return coordinators;
      }),
    ),
  );
  const byGroup = new Map<string, number>();
  const failed: string[] = [];
  for (const c of res) {
    if (c.errorCode === 0) byGroup.set(c.key, c.nodeId);
    else failed.push(c.key);
  }
  for (const g of groups) if (!byGroup.has(g) && !failed.includes(g)) failed.push(g);
  return { byGroup, failed };
}

interface FetchedGroup {
  group: string;
  errorCode: number;
  offsets: CommittedOffset[];
}

async function offsetFetchV8(conn: KafkaConnection, broker: BrokerWithPool, nodeId: number, groups: readonly string[]): Promise<FetchedGroup[]> {
  const body = new Writer()
    .noTags()
    .compactArray(groups, (w, g) => w.compactString(g).compactArray(null, () => undefined).noTags()) // null topics: every committed partition
    .bool(false) // require_stable
    .noTags()
    .done();
  return conn.call(`offsets of ${groups.length} groups on broker ${nodeId}`, () =>
    broker.connectionPool.send(
      protocolRequest({ apiKey: OFFSET_FETCH, apiVersion: 8, apiName: 'OffsetFetch', flexible: true }, body, (r) => {
        r.int32(); // throttle
        const out = r.compactArray((g) => {
          const group = g.compactString() ?? '';
          const offsets: CommittedOffset[] = [];
          g.compactArray((t) => {
            const topic = t.compactString() ?? '';
            t.compactArray((p) => {
              const partition = p.int32();
              const offset = p.int64();
              p.int32(); // leader epoch
              const metadata = p.compactString();
              const errorCode = p.int16();
              p.tags();
              // Kafka stores a commit without metadata as ""; kafkajs's older versions report it as null, and so do we.
              if (errorCode === 0 && offset >= 0) offsets.push({ topic, partition, offset, metadata: metadata === '' ? null : metadata });
            });
            t.tags();
          });
          const errorCode = g.int16();
          g.tags();
          return { group, errorCode, offsets };
        });
        r.tags();
        return out;
      }),
    ),
  );
}

/**
 * Committed offsets of many groups: batched where the brokers allow it, one
 * group per request (16 at a time) where they do not.
 */
export async function fetchGroupOffsetsBatched(
  conn: KafkaConnection,
  groups: readonly string[],
  brokers: readonly { nodeId: number }[],
  opts: { concurrency?: number } = {},
): Promise<Map<string, GroupOffsetsResult>> {
  const out = new Map<string, GroupOffsetsResult>();
  if (groups.length === 0) return out;
  const first = brokers[0];
  const cluster = await rawClusterOf(conn);
  const any = first ? await conn.call(`broker ${first.nodeId}`, () => cluster.findBroker({ nodeId: String(first.nodeId) })) : undefined;
  let rest: string[] = [...groups];
  if (any !== undefined && canSend(any, FIND_COORDINATOR, 4) && canSend(any, OFFSET_FETCH, 8)) {
    const { byGroup, failed } = await findCoordinators(conn, any, groups);
    const perNode = new Map<number, string[]>();
    for (const [g, node] of byGroup) {
      const list = perNode.get(node) ?? [];
      list.push(g);
      perNode.set(node, list);
    }
    rest = [...failed];
    await Promise.all(
      [...perNode.entries()].map(async ([nodeId, gs]) => {
        const broker = await conn.call(`broker ${nodeId}`, () => cluster.findBroker({ nodeId: String(nodeId) }));
        if (!canSend(broker, OFFSET_FETCH, 8)) {
          rest.push(...gs);
          return;
        }
        for (const f of await offsetFetchV8(conn, broker, nodeId, gs)) {
          if (f.errorCode === 0) out.set(f.group, { group: f.group, offsets: f.offsets });
          else if (f.errorCode === 14 || f.errorCode === 16) rest.push(f.group); // the coordinator moved or is loading: let kafkajs retry
          else out.set(f.group, { group: f.group, error: `${conn.name}: offsets of group ${f.group}: ${errorName(f.errorCode)}` });
        }
        for (const g of gs) if (!out.has(g) && !rest.includes(g)) rest.push(g);
      }),
    );
  }
  if (rest.length) for (const [g, r] of await fetchGroupOffsets(conn, rest, opts)) out.set(g, r);
  return out;
}
