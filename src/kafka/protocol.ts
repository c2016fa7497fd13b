import { ProtocolError, apiVersionsV3, createAPI, protocolErrorsCodesById, Writer as ClientWriter, type Connection, type Reader as ClientReader } from '@platformatic/kafka';
import { toolVersion } from '../version.js';

/**
 * The few Kafka requests failover writes and reads itself, sent through
 * the client's public protocol layer (`createAPI`) over the connections of
 * its pool, so they share its authentication, TLS, request timeout and
 * request queue. Why our own: for requests naming thousands of partitions,
 * a client that decodes every record of every batch of a Fetch answer
 * (and keeps fetch sessions, and wants topic ids) costs a large part of
 * `failover check`'s CPU time (bench/check-scale.mjs); ours decode only
 * what is asked for (recordBatch.ts).
 *
 * Both classic and "flexible" (compact strings and arrays, tagged fields)
 * encodings are here. The client writes the request header (with its
 * tagged fields for a flexible version) and skips the response header; a
 * body here is the request's own fields only, and a decoder starts at the
 * response's first field.
 */

export interface ApiVersionRange {
  minVersion: number;
  maxVersion: number;
}

/** One of our own requests: which API, which version, and whether that version is flexible. */
export interface OwnApi {
  apiKey: number;
  apiVersion: number;
  apiName: string;
  flexible: boolean;
}

/**
 * Sends `body` as a request of `api` on `conn` and decodes the answer with
 * `decode`, which reads from the first field after the response header.
 * Byte fields it returns are views into the answer, not copies.
 */
export function sendRequest<T>(conn: Connection, api: OwnApi, body: Buffer, decode: (r: Reader) => T): Promise<T> {
  const request = createAPI<[Buffer], T>(
    api.apiKey,
    api.apiVersion,
    (b: Buffer) => ClientWriter.create().append(b),
    (_correlationId: number, _apiKey: number, _apiVersion: number, reader: ClientReader) => decode(new Reader(reader.buffer.slice(reader.position))),
    api.flexible,
    api.flexible,
  );
  return request.async(conn, body);
}

const versionsOf = new WeakMap<Connection, Promise<Record<string, ApiVersionRange>>>();

/** What the broker behind `conn` answered to ApiVersions (v3, Kafka 2.4 and later), by API key; asked once per connection. */
export function brokerApiVersions(conn: Connection): Promise<Record<string, ApiVersionRange>> {
  let v = versionsOf.get(conn);
  if (!v) {
    v = apiVersionsV3.api.async(conn, 'failover', toolVersion.replace(/[^a-zA-Z0-9.-]/g, '-')).then((r) => {
      const out: Record<string, ApiVersionRange> = {};
      for (const k of r.apiKeys) out[String(k.apiKey)] = { minVersion: k.minVersion, maxVersion: k.maxVersion };
      return out;
    });
    v.catch(() => versionsOf.delete(conn));
    versionsOf.set(conn, v);
  }
  return v;
}

export function supports(versions: Record<string, ApiVersionRange> | undefined, apiKey: number, version: number): boolean {
  const v = versions?.[String(apiKey)];
  return v !== undefined && v.minVersion <= version && v.maxVersion >= version;
}

/** Whether the broker behind `conn` takes `api` at its version. */
export async function canSend(conn: Connection, api: { apiKey: number; apiVersion: number }): Promise<boolean> {
  return supports(await brokerApiVersions(conn), api.apiKey, api.apiVersion);
}

/** Nothing, when the broker behind `conn` takes `api`; else an error naming the broker and the Kafka version needed. */
export async function requireApi(conn: Connection, nodeId: number, api: { apiKey: number; apiVersion: number; apiName: string }, kafka: string): Promise<void> {
  if (!(await canSend(conn, api))) throw new Error(`broker ${nodeId} does not speak ${api.apiName} v${api.apiVersion}; failover needs Kafka ${kafka} or later`);
}

/** The client's error for a Kafka error code: a ProtocolError whose `apiId` names the code (e.g. NOT_LEADER_OR_FOLLOWER). */
export function protocolError(code: number, serverMessage: string | null = null): ProtocolError & { apiId: string; apiCode: number } {
  // A code newer than the client's table is reported as Kafka's UNKNOWN_SERVER_ERROR, with the number kept in the message.
  const known = protocolErrorsCodesById[code] !== undefined;
  const e = new ProtocolError(known ? code : -1, known ? serverMessage : `Kafka error code ${code}${serverMessage ? `: ${serverMessage}` : ''}`) as ProtocolError & { apiId: string; apiCode: number };
  if (!known) e.message = `Kafka error code ${code}, unknown to the client`;
  return e;
}

/**
 * Fails on the first partition of an answer that carries an error (other
 * than those in `tolerated`), naming the Kafka error and the partition.
 */
export function throwPartitionError(answers: readonly { topic: string; partition: number; errorCode: number }[], tolerated: readonly number[] = []): void {
  const failed = answers.find((a) => a.errorCode !== 0 && !tolerated.includes(a.errorCode));
  if (!failed) return;
  const e = protocolError(failed.errorCode);
  e.message = `${e.apiId} (${failed.topic}-${failed.partition}): ${e.message}`;
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
  /** int64 as a bigint: producer ids */
  bigInt64(): bigint {
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
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
