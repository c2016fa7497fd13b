import type { KafkaConnection } from './connection.js';
import { fetchGroupOffsets, type CommittedOffset, type GroupOffsetsResult } from './groups.js';
import { STALE_COORDINATOR_CODES, movesCoordinator } from './leaderRetry.js';
import { Writer, canSend, protocolError, sendRequest } from './protocol.js';
import type { Connection } from '@platformatic/kafka';

/**
 * Committed offsets of many groups in one OffsetFetch per coordinator
 * (OffsetFetch v8, KIP-709), after one batched FindCoordinator (v4,
 * KIP-699), with an answer per group: the client's
 * listConsumerGroupOffsets batches the same way, but fails the whole call
 * for one group's error (a group we may not read, a coordinator moving).
 * Brokers older than these versions (Kafka < 3.0), and groups whose
 * coordinator is moving, go through the per-group path of groups.ts.
 * Both are "flexible" versions (see protocol.ts).
 */
const FIND_COORDINATOR = 10;
const OFFSET_FETCH = 9;

const errorName = (code: number) => protocolError(code).apiId;

/** Coordinator node per group, in one FindCoordinator v4 request; groups without one are returned apart. */
async function findCoordinators(conn: KafkaConnection, broker: Connection, groups: readonly string[]): Promise<{ byGroup: Map<string, number>; failed: string[] }> {
  const body = new Writer()
    .int8(0) // key type: group
    .compactArray(groups, (w, g) => w.compactString(g))
    .noTags()
    .done();
  const res = await conn.call(`find coordinators of ${groups.length} groups`, () =>
    sendRequest(broker, { apiKey: FIND_COORDINATOR, apiVersion: 4, apiName: 'FindCoordinator', flexible: true }, body, (r) => {
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

async function offsetFetchV8(conn: KafkaConnection, broker: Connection, nodeId: number, groups: readonly string[]): Promise<FetchedGroup[]> {
  const body = new Writer()
    .compactArray(groups, (w, g) => w.compactString(g).compactArray(null, () => undefined).noTags()) // null topics: every committed partition
    .bool(false) // require_stable
    .noTags()
    .done();
  return conn.call(`offsets of ${groups.length} groups on broker ${nodeId}`, () =>
    sendRequest(broker, { apiKey: OFFSET_FETCH, apiVersion: 8, apiName: 'OffsetFetch', flexible: true }, body, (r) => {
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
              // Kafka stores a commit without metadata as ""; reported as null, as older OffsetFetch versions do.
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
    conn.timeoutMs,
    'broker',
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
  // Any broker that answers finds the coordinators: the first one listed may be the one that is down.
  const any = brokers.length > 0 ? await conn.anyBroker() : undefined;
  let rest: string[] = [...groups];
  if (any !== undefined && (await canSend(any, { apiKey: FIND_COORDINATOR, apiVersion: 4 })) && (await canSend(any, { apiKey: OFFSET_FETCH, apiVersion: 8 }))) {
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
        let fetched: FetchedGroup[];
        try {
          const broker = await conn.broker(nodeId);
          if (!(await canSend(broker, { apiKey: OFFSET_FETCH, apiVersion: 8 }))) {
            rest.push(...gs);
            return;
          }
          fetched = await offsetFetchV8(conn, broker, nodeId, gs);
        } catch (e) {
          // A coordinator that stopped answering: its groups are asked again one by one, which finds their new coordinator.
          if (!movesCoordinator(e)) throw e;
          rest.push(...gs);
          return;
        }
        for (const f of fetched) {
          if (f.errorCode === 0) out.set(f.group, { group: f.group, offsets: f.offsets });
          else if (STALE_COORDINATOR_CODES.has(f.errorCode)) rest.push(f.group); // the coordinator moved or is loading: asked again, one group at a time
          else out.set(f.group, { group: f.group, error: `${conn.name}: offsets of group ${f.group}: ${errorName(f.errorCode)}` });
        }
        for (const g of gs) if (!out.has(g) && !rest.includes(g)) rest.push(g);
      }),
    );
  }
  if (rest.length) for (const [g, r] of await fetchGroupOffsets(conn, rest, opts)) out.set(g, r);
  return out;
}
