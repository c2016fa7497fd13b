import { ExitCode, FailoverError } from '../errors.js';

/**
 * Codecs for MirrorMaker 2's internal records: checkpoints, offset syncs and
 * heartbeats.
 *
 * MM2 does not use Connect converters for these. It serializes them with
 * Kafka's protocol `Schema`/`Struct` types (org.apache.kafka.common.protocol.types),
 * which write each field in declaration order, big-endian, with no framing:
 *
 *   INT16  2 bytes, signed
 *   INT32  4 bytes, signed
 *   INT64  8 bytes, signed
 *   STRING INT16 byte length (must be >= 0, at most 32767) + that many UTF-8 bytes
 *
 * Layouts (checked against apache/kafka connect/mirror-client Checkpoint.java,
 * Heartbeat.java, connect/mirror OffsetSync.java and clients Schema.java/Type.java):
 *
 *   Checkpoint key    group STRING, topic STRING, partition INT32
 *   Checkpoint value  version INT16 (= 0), upstreamOffset INT64, offset INT64, metadata STRING
 *   OffsetSync key    topic STRING, partition INT32
 *   OffsetSync value  upstreamOffset INT64, offset INT64            (no version header)
 *   Heartbeat key     sourceClusterAlias STRING, targetClusterAlias STRING
 *   Heartbeat value   version INT16 (= 0), timestamp INT64
 *
 * Where we are stricter than Kafka, on purpose:
 * - Kafka's readers `assert version == 0`, and assertions are off in
 *   production, so a newer layout would be misread silently. We refuse any
 *   version we do not know, because a misread checkpoint becomes a wrong
 *   committed offset after a failover.
 * - Kafka's `Schema.read` ignores bytes left over after the last field. We
 *   reject them: leftovers mean the record is not what we think it is (the
 *   wrong topic, or a layout we do not know).
 * - Kafka decodes malformed UTF-8 to U+FFFD. Kafka's own writer cannot produce
 *   malformed UTF-8, so we treat it as garbage.
 */

/** Offsets are INT64 and are kept as bigint so that nothing is rounded. */
export interface Checkpoint {
  group: string;
  topic: string;
  partition: number;
  /** the committed offset on the source cluster */
  upstreamOffset: bigint;
  /** the translated offset on the target cluster (MM2 calls the field `offset`) */
  downstreamOffset: bigint;
  metadata: string;
}

export interface OffsetSync {
  topic: string;
  partition: number;
  upstreamOffset: bigint;
  /** the offset on the target cluster (MM2 calls the field `offset`) */
  downstreamOffset: bigint;
}

export interface Heartbeat {
  sourceClusterAlias: string;
  targetClusterAlias: string;
  /** epoch milliseconds, as MM2 writes System.currentTimeMillis() */
  timestamp: number;
}

export type Mm2RecordKind = 'checkpoint' | 'offset sync' | 'heartbeat';

/** The only value-schema version MM2 has written so far, for both versioned records. */
export const CHECKPOINT_VERSION = 0;
export const HEARTBEAT_VERSION = 0;

/** A record that is not a well-formed MM2 record of the kind we expected. */
export class Mm2RecordError extends FailoverError {
  readonly kind: Mm2RecordKind;
  readonly part: 'key' | 'value';

  constructor(kind: Mm2RecordKind, part: 'key' | 'value', detail: string, hint?: string) {
    super(`cannot decode MirrorMaker 2 ${kind} ${part}: ${detail}`, {
      exitCode: ExitCode.findings,
      hint: hint ?? `check that the record comes from MM2's ${kind} topic (${topicFor(kind)}) and that MM2 wrote it`,
    });
    this.name = 'Mm2RecordError';
    this.kind = kind;
    this.part = part;
  }
}

function topicFor(kind: Mm2RecordKind): string {
  switch (kind) {
    case 'checkpoint':
      return '<source alias>.checkpoints.internal on the target cluster';
    case 'offset sync':
      return 'mm2-offset-syncs.<alias>.internal';
    case 'heartbeat':
      return 'heartbeats, or <alias>.heartbeats where replicated';
  }
}

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const STRING_MAX_BYTES = 32767; // Short.MAX_VALUE, Type.STRING's limit

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** A bounds-checked big-endian cursor; every read names the field it is for. */
class StructReader {
  private pos = 0;

  constructor(
    private readonly buf: Buffer,
    private readonly kind: Mm2RecordKind,
    private readonly part: 'key' | 'value',
  ) {}

  private need(field: string, type: string, n: number): void {
    const left = this.buf.length - this.pos;
    if (left < n) {
      throw new Mm2RecordError(
        this.kind,
        this.part,
        `truncated at byte ${this.pos} of ${this.buf.length}: field '${field}' (${type}) needs ${n} bytes, ${left} left`,
      );
    }
  }

  int16(field: string): number {
    this.need(field, 'INT16', 2);
    const v = this.buf.readInt16BE(this.pos);
    this.pos += 2;
    return v;
  }

  int32(field: string): number {
    this.need(field, 'INT32', 4);
    const v = this.buf.readInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  int64(field: string): bigint {
    this.need(field, 'INT64', 8);
    const v = this.buf.readBigInt64BE(this.pos);
    this.pos += 8;
    return v;
  }

  string(field: string): string {
    const at = this.pos;
    const len = this.int16(field);
    if (len < 0) {
      throw new Mm2RecordError(this.kind, this.part, `field '${field}' (STRING) at byte ${at} has negative length ${len}`);
    }
    this.need(field, `STRING of ${len} bytes`, len);
    const bytes = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    try {
      return strictUtf8.decode(bytes);
    } catch {
      throw new Mm2RecordError(this.kind, this.part, `field '${field}' (STRING) at byte ${at} is not valid UTF-8`);
    }
  }

  end(): void {
    const left = this.buf.length - this.pos;
    if (left !== 0) {
      throw new Mm2RecordError(this.kind, this.part, `${left} unexpected bytes after the last field (byte ${this.pos} of ${this.buf.length})`);
    }
  }
}

function checkVersion(kind: Mm2RecordKind, version: number, known: number): void {
  if (version !== known) {
    throw new Mm2RecordError(
      kind,
      'value',
      `unknown version ${version} (this failover reads version ${known})`,
      `a newer MirrorMaker 2 may have written it; upgrade failover before trusting ${kind}s from this cluster`,
    );
  }
}

function asBuffer(kind: Mm2RecordKind, part: 'key' | 'value', b: Buffer | Uint8Array | null | undefined): Buffer {
  if (b === null || b === undefined) {
    throw new Mm2RecordError(kind, part, `the record has no ${part} (null)`);
  }
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export function decodeCheckpoint(key: Buffer | Uint8Array | null, value: Buffer | Uint8Array | null): Checkpoint {
  const k = new StructReader(asBuffer('checkpoint', 'key', key), 'checkpoint', 'key');
  const group = k.string('group');
  const topic = k.string('topic');
  const partition = k.int32('partition');
  k.end();

  const v = new StructReader(asBuffer('checkpoint', 'value', value), 'checkpoint', 'value');
  checkVersion('checkpoint', v.int16('version'), CHECKPOINT_VERSION);
  const upstreamOffset = v.int64('upstreamOffset');
  const downstreamOffset = v.int64('offset');
  const metadata = v.string('metadata');
  v.end();

  return { group, topic, partition, upstreamOffset, downstreamOffset, metadata };
}

/** The source partition an offset sync is about: its key alone, so that a record with a bad value still names its partition. */
export function decodeOffsetSyncKey(key: Buffer | Uint8Array | null): Pick<OffsetSync, 'topic' | 'partition'> {
  const k = new StructReader(asBuffer('offset sync', 'key', key), 'offset sync', 'key');
  const topic = k.string('topic');
  const partition = k.int32('partition');
  k.end();
  return { topic, partition };
}

export function decodeOffsetSync(key: Buffer | Uint8Array | null, value: Buffer | Uint8Array | null): OffsetSync {
  const { topic, partition } = decodeOffsetSyncKey(key);

  const v = new StructReader(asBuffer('offset sync', 'value', value), 'offset sync', 'value');
  const upstreamOffset = v.int64('upstreamOffset');
  const downstreamOffset = v.int64('offset');
  v.end();

  return { topic, partition, upstreamOffset, downstreamOffset };
}

export function decodeHeartbeat(key: Buffer | Uint8Array | null, value: Buffer | Uint8Array | null): Heartbeat {
  const k = new StructReader(asBuffer('heartbeat', 'key', key), 'heartbeat', 'key');
  const sourceClusterAlias = k.string('sourceClusterAlias');
  const targetClusterAlias = k.string('targetClusterAlias');
  k.end();

  const v = new StructReader(asBuffer('heartbeat', 'value', value), 'heartbeat', 'value');
  checkVersion('heartbeat', v.int16('version'), HEARTBEAT_VERSION);
  const ts = v.int64('timestamp');
  v.end();
  // MM2 writes wall-clock milliseconds; anything beyond 2^53 is not a clock.
  if (ts > BigInt(Number.MAX_SAFE_INTEGER) || ts < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Mm2RecordError('heartbeat', 'value', `timestamp ${ts} is not a plausible epoch-milliseconds value`);
  }
  return { sourceClusterAlias, targetClusterAlias, timestamp: Number(ts) };
}

/** Grows as fields are written; checks each value against its Kafka type as Schema.write does. */
class StructWriter {
  private readonly chunks: Buffer[] = [];

  constructor(private readonly kind: Mm2RecordKind) {}

  private fail(field: string, detail: string): never {
    throw new FailoverError(`cannot encode MirrorMaker 2 ${this.kind}: field '${field}' ${detail}`, { exitCode: ExitCode.findings });
  }

  int16(field: string, v: number): this {
    if (!Number.isInteger(v) || v < -32768 || v > 32767) this.fail(field, `${v} is not an INT16`);
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.chunks.push(b);
    return this;
  }

  int32(field: string, v: number): this {
    if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) this.fail(field, `${v} is not an INT32`);
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.chunks.push(b);
    return this;
  }

  int64(field: string, v: bigint | number): this {
    if (typeof v === 'number' && !Number.isSafeInteger(v)) this.fail(field, `${v} is not a whole number that converts exactly to INT64`);
    const big = BigInt(v);
    if (big < INT64_MIN || big > INT64_MAX) this.fail(field, `${v} is not an INT64`);
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(big);
    this.chunks.push(b);
    return this;
  }

  string(field: string, v: string): this {
    const bytes = Buffer.from(javaWellFormed(v), 'utf8');
    if (bytes.length > STRING_MAX_BYTES) this.fail(field, `is ${bytes.length} UTF-8 bytes; a Kafka STRING holds at most ${STRING_MAX_BYTES}`);
    const len = Buffer.alloc(2);
    len.writeInt16BE(bytes.length);
    this.chunks.push(len, bytes);
    return this;
  }

  done(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/**
 * Java's String.getBytes(UTF_8) replaces an unpaired surrogate with '?',
 * where Node would write U+FFFD; match Java so that encoded bytes are MM2's.
 */
function javaWellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '?');
}

export interface EncodedRecord {
  key: Buffer;
  value: Buffer;
}

/** Encodes as MirrorCheckpointTask does (version 0). For fixtures and tests. */
export function encodeCheckpoint(c: Checkpoint): EncodedRecord {
  const key = new StructWriter('checkpoint').string('group', c.group).string('topic', c.topic).int32('partition', c.partition).done();
  const value = new StructWriter('checkpoint')
    .int16('version', CHECKPOINT_VERSION)
    .int64('upstreamOffset', c.upstreamOffset)
    .int64('offset', c.downstreamOffset)
    .string('metadata', c.metadata)
    .done();
  return { key, value };
}

/** Encodes as MirrorSourceTask does. For fixtures and tests. */
export function encodeOffsetSync(s: OffsetSync): EncodedRecord {
  const key = new StructWriter('offset sync').string('topic', s.topic).int32('partition', s.partition).done();
  const value = new StructWriter('offset sync').int64('upstreamOffset', s.upstreamOffset).int64('offset', s.downstreamOffset).done();
  return { key, value };
}

/** Encodes as MirrorHeartbeatTask does (version 0). For fixtures and tests. */
export function encodeHeartbeat(h: Heartbeat): EncodedRecord {
  const key = new StructWriter('heartbeat')
    .string('sourceClusterAlias', h.sourceClusterAlias)
    .string('targetClusterAlias', h.targetClusterAlias)
    .done();
  const value = new StructWriter('heartbeat').int16('version', HEARTBEAT_VERSION).int64('timestamp', h.timestamp).done();
  return { key, value };
}
