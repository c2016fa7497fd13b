import KafkaEncoder from 'kafkajs/src/protocol/encoder.js';
import { createErrorFromCode } from 'kafkajs/src/protocol/error.js';
import type { ApiVersionRange } from './rawProtocol.js';

/**
 * The few Kafka requests failover writes and reads itself, sent over
 * kafkajs's own broker connections (so they share its authentication,
 * TLS, timeouts and request queue). Why not kafkajs's encoders: some
 * versions it does not speak (OffsetFetch v8, FindCoordinator v4), and for
 * requests naming thousands of partitions its encoder allocates two
 * 512-byte buffers per partition and its Fetch decoder materialises every
 * record of every batch; at 2,000 partitions per cluster that was a third
 * of `failover check`'s CPU time (bench/check-scale.mjs).
 *
 * Both classic and "flexible" (compact strings and arrays, tagged fields)
 * encodings are here. kafkajs writes request header v1, so a flexible
 * request body starts with the header's empty tagged fields, as kafkajs's
 * own flexible requests do; its connection hands us the response after the
 * correlation id, where a flexible response header's tagged fields come
 * first.
 */

export interface ProtocolRequest<T> {
  request: { apiKey: number; apiVersion: number; apiName: string; encode: () => Promise<unknown> };
  response: { decode: (raw: Buffer) => Promise<T>; parse: (data: T) => Promise<T> };
}

/** A kafkajs broker object, as far as sending our own requests goes. */
export interface BrokerWithPool {
  /** what the broker answered to ApiVersions when kafkajs connected, by API key */
  versions?: Record<string, ApiVersionRange>;
  connectionPool: { send<T>(req: ProtocolRequest<T>): Promise<T> };
}

/** Whether `broker` (a kafkajs broker object) can carry our own requests of `apiKey` at `version`. */
export function canSend(broker: object, apiKey: number, version: number): broker is BrokerWithPool {
  const b = broker as Partial<BrokerWithPool>;
  return typeof b.connectionPool?.send === 'function' && supports(b.versions, apiKey, version);
}

export function supports(versions: Record<string, ApiVersionRange> | undefined, apiKey: number, version: number): boolean {
  const v = versions?.[String(apiKey)];
  return v !== undefined && v.minVersion <= version && v.maxVersion >= version;
}

/** `broker`, when it can carry our own requests of `apiKey` at `version`; else an error naming the broker and the Kafka version needed. */
export function requireApi(broker: object, nodeId: number, api: { apiKey: number; apiVersion: number; apiName: string }, kafka: string): BrokerWithPool {
  if (!canSend(broker, api.apiKey, api.apiVersion)) throw new Error(`broker ${nodeId} does not speak ${api.apiName} v${api.apiVersion}; failover needs Kafka ${kafka} or later`);
  return broker;
}

/** kafkajs's error for a Kafka error code (its type names the code, e.g. NOT_LEADER_FOR_PARTITION), so callers see the errors they see from kafkajs. */
export function protocolError(code: number): Error & { type?: string } {
  return createErrorFromCode(code);
}

/**
 * Fails, as kafkajs does, on the first partition of an answer that carries
 * an error (other than those in `tolerated`), naming the partition.
 */
export function throwPartitionError(answers: readonly { topic: string; partition: number; errorCode: number }[], tolerated: readonly number[] = []): void {
  const failed = answers.find((a) => a.errorCode !== 0 && !tolerated.includes(a.errorCode));
  if (!failed) return;
  const e = protocolError(failed.errorCode);
  e.message = `${e.message} (${failed.topic}-${failed.partition})`;
  throw e;
}

/** A request body, written into one growing buffer. */
export class Writer {
  private buf = Buffer.allocUnsafe(1024);
  private pos = 0;
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  int8(v: number): this {
    this.room(1);
    this.pos = this.buf.writeInt8(v, this.pos);
    return this;
  }
  int16(v: number): this {
    this.room(2);
    this.pos = this.buf.writeInt16BE(v, this.pos);
    return this;
  }
  int32(v: number): this {
    this.room(4);
    this.pos = this.buf.writeInt32BE(v, this.pos);
    return this;
  }
  /** int64 from a number (offsets and epoch milliseconds; a fraction is dropped) */
  int64(v: number): this {
    this.room(8);
    this.pos = this.buf.writeBigInt64BE(BigInt(Math.trunc(v)), this.pos);
    return this;
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  /** classic string: int16 length, then UTF-8 */
  string(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    this.int16(n);
    this.room(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
    return this;
  }
  /** classic array: int32 count, then the items */
  array<T>(items: readonly T[], each: (w: this, item: T) => void): this {
    this.int32(items.length);
    for (const it of items) each(this, it);
    return this;
  }
  uvarint(v: number): this {
    this.room(5);
    let n = v >>> 0;
    while (n > 0x7f) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
    return this;
  }
  compactString(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    this.uvarint(n + 1);
    this.room(n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
    return this;
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
  /** bytes as they are (a length, if any, written before) */
  raw(b: Buffer): this {
    this.room(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }
  done(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** A response body, read in order. Byte fields are views into the response, not copies. */
export class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get remaining(): number {
    return this.buf.length - this.pos;
  }
  int8(): number {
    return this.buf.readInt8(this.pos++);
  }
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
  uint32(): number {
    const v = this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  /** int64 as a number: offsets and timestamps are far below 2^53 */
  int64(): number {
    const hi = this.buf.readInt32BE(this.pos);
    const lo = this.buf.readUInt32BE(this.pos + 4);
    this.pos += 8;
    return hi * 4294967296 + lo;
  }
  skip(n: number): void {
    this.pos += n;
  }
  uvarint(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = this.buf[this.pos++];
      if (byte === undefined) throw new Error('truncated varint in a Kafka response');
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
    }
  }
  /** zig-zag signed varint or varlong (as a number) */
  varint(): number {
    const n = this.uvarint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }
  /** classic nullable string: int16 length */
  string(): string | null {
    const n = this.int16();
    if (n < 0) return null;
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  /** classic array: int32 count (-1 for null, read as empty) */
  array<T>(each: (r: Reader) => T): T[] {
    const n = this.int32();
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(each(this));
    return out;
  }
  /** classic nullable bytes: int32 length */
  bytes(): Buffer | null {
    const n = this.int32();
    if (n < 0) return null;
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  /** record-format nullable bytes: zig-zag varint length (-1 for null) */
  varBytes(): Buffer | null {
    const n = this.varint();
    if (n < 0) return null;
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
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
      this.uvarint(); // tag
      const size = this.uvarint(); // read before pos is: `this.pos += this.uvarint()` would add to the old pos
      this.pos += size;
    }
  }
}

/**
 * A request kafkajs's connection can send: our body, and our decoder for
 * the answer. `flexible` says whether the response header carries tagged
 * fields (the request body then starts with the request header's).
 */
export function protocolRequest<T>(
  api: { apiKey: number; apiVersion: number; apiName: string; flexible: boolean },
  body: Buffer,
  decode: (r: Reader) => T,
): ProtocolRequest<T> {
  return {
    request: {
      apiKey: api.apiKey,
      apiVersion: api.apiVersion,
      apiName: api.apiName,
      // kafkajs's connection takes a request whose encode() returns its own Encoder; the bytes are ours.
      encode: async () => {
        const e = new KafkaEncoder();
        e.writeBuffer(body);
        return e;
      },
    },
    response: {
      decode: async (raw: Buffer) => {
        const r = new Reader(raw);
        if (api.flexible) r.tags(); // response header v1
        return decode(r);
      },
      parse: async (data: T) => data,
    },
  };
}
