import { createRequire } from 'node:module';
import type { KafkaConnection } from './connection.js';
import { fetchGroupOffsets, type CommittedOffset, type GroupOffsetsResult } from './groups.js';
import { rawClusterOf, type ApiVersionRange, type RawBrokerExt } from './rawProtocol.js';

/**
 * Committed offsets of many groups in one OffsetFetch per coordinator
 * (OffsetFetch v8, KIP-709), after one batched FindCoordinator (v4,
 * KIP-699). kafkajs speaks neither version and asks one group per request
 * (two requests with its FindCoordinator), and a broker answers the
 * requests of one connection one after the other: 200 groups cost 400 round
 * trips that hold up every other admin request. Brokers older than these
 * versions (Kafka < 3.0), and groups whose coordinator is moving, go through
 * kafkajs's per-group path instead.
 *
 * Both are "flexible" versions: compact strings and arrays (unsigned varint
 * length + 1) and tagged fields. kafkajs writes request header v1, so the
 * body starts with the header's empty tagged fields, as kafkajs's own
 * flexible requests do; its connection hands us the response after the
 * correlation id, where the response header's tagged fields come first.
 */
const FIND_COORDINATOR = 10;
const OFFSET_FETCH = 9;

const require = createRequire(import.meta.url);
// kafkajs's connection takes a request whose encode() returns its own Encoder; the bytes are ours.
const KafkaEncoder = require('kafkajs/src/protocol/encoder') as new () => { writeBuffer(b: Buffer): unknown };

interface ProtocolRequest<T> {
  request: { apiKey: number; apiVersion: number; apiName: string; encode: () => Promise<unknown> };
  response: { decode: (raw: Buffer) => Promise<T>; parse: (data: T) => Promise<T> };
}

interface BrokerWithPool extends RawBrokerExt {
  connectionPool: { send<T>(req: ProtocolRequest<T>): Promise<T> };
}

class Writer {
  private readonly parts: Buffer[] = [];
  int8(v: number): this {
    const b = Buffer.alloc(1);
    b.writeInt8(v);
    return this.push(b);
  }
  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    return this.push(b);
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  uvarint(v: number): this {
    const bytes: number[] = [];
    let n = v >>> 0;
    while (n > 0x7f) {
      bytes.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    bytes.push(n);
    return this.push(Buffer.from(bytes));
  }
  compactString(s: string): this {
    const b = Buffer.from(s, 'utf8');
    return this.uvarint(b.length + 1).push(b);
  }
  compactArray<T>(items: readonly T[] | null, each: (w: this, item: T) => void): this {
    if (items === null) return this.uvarint(0);
    this.uvarint(items.length + 1);
    for (const it of items) each(this, it);
    return this;
  }
  noTags(): this {
    return this.uvarint(0);
  }
  private push(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  int16(): number {
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }
  int32(): number {
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  int64(): bigint {
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) throw new Error('truncated varint in a Kafka response');
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7;
    }
  }
  compactString(): string | null {
    const n = this.uvarint();
    if (n === 0) return null;
    const s = this.buf.toString('utf8', this.pos, this.pos + n - 1);
    this.pos += n - 1;
    return s;
  }
  compactArray<T>(each: (r: Reader) => T): T[] {
    const n = this.uvarint();
    const out: T[] = [];
    for (let i = 0; i < n - 1; i++) out.push(each(this));
    return out;
  }
  tags(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.pos += this.uvarint();
    }
  }
}

function protocolRequest<T>(apiKey: number, apiVersion: number, apiName: string, body: Buffer, decode: (r: Reader) => T): ProtocolRequest<T> {
  return {
    request: {
      apiKey,
      apiVersion,
      apiName,
      encode: async () => {
        const e = new KafkaEncoder();
        e.writeBuffer(body);
        return e;
      },
    },
    response: {
      decode: async (raw: Buffer) => {
        const r = new Reader(raw);
        r.tags(); // response header v1
        return decode(r);
      },
      parse: async (data: T) => data,
    },
  };
}

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
      protocolRequest(FIND_COORDINATOR, 4, 'FindCoordinator', body, (r) => {
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
      protocolRequest(OFFSET_FETCH, 8, 'OffsetFetch', body, (r) => {
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
              if (errorCode === 0 && offset >= 0n) offsets.push({ topic, partition, offset: Number(offset), metadata: metadata === '' ? null : metadata });
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

function supports(versions: Record<string, ApiVersionRange> | undefined, apiKey: number, version: number): boolean {
  const v = versions?.[String(apiKey)];
  return v !== undefined && v.minVersion <= version && v.maxVersion >= version;
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
  const any = first ? ((await conn.call(`broker ${first.nodeId}`, () => cluster.findBroker({ nodeId: String(first.nodeId) }))) as BrokerWithPool) : undefined;
  const batched = any !== undefined && typeof any.connectionPool?.send === 'function' && supports(any.versions, FIND_COORDINATOR, 4) && supports(any.versions, OFFSET_FETCH, 8);
  let rest: string[] = [...groups];
  if (batched) {
    const { byGroup, failed } = await findCoordinators(conn, any, groups);
    const perNode = new Map<number, string[]>();
    for (const [g, node] of byGroup) perNode.set(node, [...(perNode.get(node) ?? []), g]);
    rest = [...failed];
    await Promise.all(
      [...perNode.entries()].map(async ([nodeId, gs]) => {
        const broker = (await conn.call(`broker ${nodeId}`, () => cluster.findBroker({ nodeId: String(nodeId) }))) as BrokerWithPool;
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
