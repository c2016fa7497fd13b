import { describe, expect, it } from 'vitest';
import {
  Mm2RecordError,
  decodeCheckpoint,
  decodeHeartbeat,
  decodeOffsetSync,
  encodeCheckpoint,
  encodeHeartbeat,
  encodeOffsetSync,
  type Checkpoint,
  type Heartbeat,
  type OffsetSync,
} from '../../../src/kafka/mm2Records.js';

/*
 * The fixtures below were written out by hand from MM2's Java sources
 * (Checkpoint.java, OffsetSync.java, Heartbeat.java with Kafka's protocol
 * Type.java: big-endian INT16/INT32/INT64, STRING = INT16 length + UTF-8),
 * not produced by our encoder, so an encoder and decoder that agree with each
 * other but not with Kafka fail here. Spaces separate fields.
 */
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// group "billing", topic "orders", partition 3
const CHECKPOINT_KEY = hex('0007 62696c6c696e67  0006 6f7264657273  00000003');
// version 0, upstreamOffset 1234, offset 1200, metadata ""
const CHECKPOINT_VALUE = hex('0000  00000000000004d2  00000000000004b0  0000');
const CHECKPOINT: Checkpoint = { group: 'billing', topic: 'orders', partition: 3, upstreamOffset: 1234n, downstreamOffset: 1200n, metadata: '' };

// group "käse" (5 UTF-8 bytes), topic "orders", partition 0
const CHECKPOINT_KEY_UTF8 = hex('0005 6bc3a47365  0006 6f7264657273  00000000');
// version 0, upstreamOffset 2^40, offset 2^63-1, metadata "m"
const CHECKPOINT_VALUE_BIG = hex('0000  0000010000000000  7fffffffffffffff  0001 6d');

// topic "orders", partition 0
const OFFSET_SYNC_KEY = hex('0006 6f7264657273  00000000');
// upstreamOffset 100, offset 98; no version header
const OFFSET_SYNC_VALUE = hex('0000000000000064  0000000000000062');
const OFFSET_SYNC: OffsetSync = { topic: 'orders', partition: 0, upstreamOffset: 100n, downstreamOffset: 98n };

// sourceClusterAlias "east", targetClusterAlias "west"
const HEARTBEAT_KEY = hex('0004 65617374  0004 77657374');
// version 0, timestamp 1700000000000 (0x18bcfe56800)
const HEARTBEAT_VALUE = hex('0000  0000018bcfe56800');
const HEARTBEAT: Heartbeat = { sourceClusterAlias: 'east', targetClusterAlias: 'west', timestamp: 1_700_000_000_000 };

function decodeError(fn: () => unknown): Mm2RecordError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(Mm2RecordError);
    return e as Mm2RecordError;
  }
  throw new Error('expected a decode error');
}

describe('checkpoint', () => {
  it('decodes the bytes MM2 writes', () => {
    expect(decodeCheckpoint(CHECKPOINT_KEY, CHECKPOINT_VALUE)).toEqual(CHECKPOINT);
  });

  it('encodes exactly the bytes MM2 writes', () => {
    const { key, value } = encodeCheckpoint(CHECKPOINT);
    expect(key.toString('hex')).toBe(CHECKPOINT_KEY.toString('hex'));
    expect(value.toString('hex')).toBe(CHECKPOINT_VALUE.toString('hex'));
  });

  it('counts STRING lengths in UTF-8 bytes and keeps INT64 offsets exact', () => {
    const c = decodeCheckpoint(CHECKPOINT_KEY_UTF8, CHECKPOINT_VALUE_BIG);
    expect(c).toEqual({ group: 'käse', topic: 'orders', partition: 0, upstreamOffset: 2n ** 40n, downstreamOffset: 2n ** 63n - 1n, metadata: 'm' });
    const again = encodeCheckpoint(c);
    expect(again.key.equals(CHECKPOINT_KEY_UTF8)).toBe(true);
    expect(again.value.equals(CHECKPOINT_VALUE_BIG)).toBe(true);
  });

  it('reads negative offsets as signed INT64', () => {
    const value = hex('0000 ffffffffffffffff fffffffffffffffe 0000');
    const c = decodeCheckpoint(CHECKPOINT_KEY, value);
    expect(c.upstreamOffset).toBe(-1n);
    expect(c.downstreamOffset).toBe(-2n);
  });

  it('accepts a Uint8Array view into a larger buffer', () => {
    const backing = Buffer.concat([hex('ffff'), CHECKPOINT_VALUE, hex('ffff')]);
    const view = new Uint8Array(backing.buffer, backing.byteOffset + 2, CHECKPOINT_VALUE.length);
    expect(decodeCheckpoint(CHECKPOINT_KEY, view)).toEqual(CHECKPOINT);
  });

  it('refuses an unknown value version', () => {
    const v1 = Buffer.from(CHECKPOINT_VALUE);
    v1.writeInt16BE(1, 0);
    const e = decodeError(() => decodeCheckpoint(CHECKPOINT_KEY, v1));
    expect(e.message).toMatch(/checkpoint value: unknown version 1/);
    expect(e.hint).toMatch(/upgrade failover/);
  });

  it('refuses a negative version too', () => {
    const e = decodeError(() => decodeCheckpoint(CHECKPOINT_KEY, hex('ffff  00000000000004d2  00000000000004b0  0000')));
    expect(e.message).toMatch(/unknown version -1/);
  });

  it('reports truncation at every length of key and value, never a RangeError', () => {
    for (let n = 0; n < CHECKPOINT_KEY.length; n++) {
      const e = decodeError(() => decodeCheckpoint(CHECKPOINT_KEY.subarray(0, n), CHECKPOINT_VALUE));
      expect(e.part).toBe('key');
      expect(e.message).toMatch(/checkpoint key: truncated at byte \d+ of \d+: field '\w+'/);
    }
    for (let n = 0; n < CHECKPOINT_VALUE.length; n++) {
      const e = decodeError(() => decodeCheckpoint(CHECKPOINT_KEY, CHECKPOINT_VALUE.subarray(0, n)));
      expect(e.part).toBe('value');
      expect(e.message).toMatch(/truncated/);
    }
  });

  it('names the field a truncation stops in', () => {
    const e = decodeError(() => decodeCheckpoint(CHECKPOINT_KEY, CHECKPOINT_VALUE.subarray(0, 13)));
    expect(e.message).toBe("cannot decode MirrorMaker 2 checkpoint value: truncated at byte 10 of 13: field 'offset' (INT64) needs 8 bytes, 3 left");
  });

  it('rejects a STRING whose length runs past the end, or is negative', () => {
    const tooLong = hex('00ff 62696c6c696e67');
    expect(decodeError(() => decodeCheckpoint(tooLong, CHECKPOINT_VALUE)).message).toMatch(/field 'group' \(STRING of 255 bytes\)/);
    const negative = hex('fffe 62696c6c696e67');
    expect(decodeError(() => decodeCheckpoint(negative, CHECKPOINT_VALUE)).message).toMatch(/field 'group' \(STRING\) at byte 0 has negative length -2/);
  });

  it('rejects malformed UTF-8 and leftover bytes', () => {
    const badUtf8 = hex('0002 c328  0006 6f7264657273  00000003');
    expect(decodeError(() => decodeCheckpoint(badUtf8, CHECKPOINT_VALUE)).message).toMatch(/not valid UTF-8/);
    const trailing = Buffer.concat([CHECKPOINT_VALUE, hex('00')]);
    expect(decodeError(() => decodeCheckpoint(CHECKPOINT_KEY, trailing)).message).toMatch(/1 unexpected bytes after the last field/);
  });

  it('rejects a null key or value (a tombstone)', () => {
    expect(decodeError(() => decodeCheckpoint(null, CHECKPOINT_VALUE)).message).toMatch(/no key/);
    expect(decodeError(() => decodeCheckpoint(CHECKPOINT_KEY, null)).message).toMatch(/no value/);
  });

  it('does not read an offset sync as a checkpoint', () => {
    expect(() => decodeCheckpoint(OFFSET_SYNC_KEY, OFFSET_SYNC_VALUE)).toThrow(Mm2RecordError);
  });
});

describe('offset sync', () => {
  it('decodes the bytes MM2 writes (no version header)', () => {
    expect(decodeOffsetSync(OFFSET_SYNC_KEY, OFFSET_SYNC_VALUE)).toEqual(OFFSET_SYNC);
  });

  it('encodes exactly the bytes MM2 writes', () => {
    const { key, value } = encodeOffsetSync(OFFSET_SYNC);
    expect(key.toString('hex')).toBe(OFFSET_SYNC_KEY.toString('hex'));
    expect(value.toString('hex')).toBe(OFFSET_SYNC_VALUE.toString('hex'));
  });

  it('reports truncation and leftovers', () => {
    for (let n = 0; n < OFFSET_SYNC_VALUE.length; n++) {
      expect(decodeError(() => decodeOffsetSync(OFFSET_SYNC_KEY, OFFSET_SYNC_VALUE.subarray(0, n))).message).toMatch(/offset sync value: truncated/);
    }
    // A checkpoint value is two bytes longer: the version header.
    expect(decodeError(() => decodeOffsetSync(OFFSET_SYNC_KEY, CHECKPOINT_VALUE)).message).toMatch(/unexpected bytes/);
  });

  it('round-trips', () => {
    const s: OffsetSync = { topic: 'east.orders', partition: 2147483647, upstreamOffset: 9_007_199_254_740_993n, downstreamOffset: 0n };
    const { key, value } = encodeOffsetSync(s);
    expect(decodeOffsetSync(key, value)).toEqual(s);
  });
});

describe('heartbeat', () => {
  it('decodes the bytes MM2 writes', () => {
    expect(decodeHeartbeat(HEARTBEAT_KEY, HEARTBEAT_VALUE)).toEqual(HEARTBEAT);
  });

  it('encodes exactly the bytes MM2 writes', () => {
    const { key, value } = encodeHeartbeat(HEARTBEAT);
    expect(key.toString('hex')).toBe(HEARTBEAT_KEY.toString('hex'));
    expect(value.toString('hex')).toBe(HEARTBEAT_VALUE.toString('hex'));
  });

  it('refuses an unknown version', () => {
    const e = decodeError(() => decodeHeartbeat(HEARTBEAT_KEY, hex('0002 0000018bcfe56800')));
    expect(e.message).toMatch(/heartbeat value: unknown version 2 \(this failover reads version 0\)/);
  });

  it('reports truncation', () => {
    for (let n = 0; n < HEARTBEAT_KEY.length; n++) {
      expect(decodeError(() => decodeHeartbeat(HEARTBEAT_KEY.subarray(0, n), HEARTBEAT_VALUE)).part).toBe('key');
    }
    for (let n = 0; n < HEARTBEAT_VALUE.length; n++) {
      expect(decodeError(() => decodeHeartbeat(HEARTBEAT_KEY, HEARTBEAT_VALUE.subarray(0, n))).part).toBe('value');
    }
  });

  it('rejects a timestamp that is not epoch milliseconds', () => {
    expect(decodeError(() => decodeHeartbeat(HEARTBEAT_KEY, hex('0000 7fffffffffffffff'))).message).toMatch(/not a plausible/);
  });

  it('round-trips', () => {
    const h: Heartbeat = { sourceClusterAlias: 'us-east-1', targetClusterAlias: 'eu-west-1', timestamp: Date.UTC(2026, 0, 2, 3, 4, 5) };
    const { key, value } = encodeHeartbeat(h);
    expect(decodeHeartbeat(key, value)).toEqual(h);
  });
});

describe('encoders', () => {
  it('refuse values their Kafka type cannot hold', () => {
    expect(() => encodeOffsetSync({ ...OFFSET_SYNC, partition: 2 ** 31 })).toThrow(/'partition' 2147483648 is not an INT32/);
    expect(() => encodeOffsetSync({ ...OFFSET_SYNC, upstreamOffset: 2n ** 63n })).toThrow(/not an INT64/);
    expect(() => encodeCheckpoint({ ...CHECKPOINT, metadata: 'x'.repeat(32768) })).toThrow(/at most 32767/);
    expect(() => encodeHeartbeat({ ...HEARTBEAT, timestamp: 1.5 })).toThrow(/timestamp/);
  });

  it('write an unpaired surrogate as "?" like Java does', () => {
    const { key } = encodeCheckpoint({ ...CHECKPOINT, group: 'a\uD800b' });
    expect(key.subarray(0, 5).toString('hex')).toBe('0003613f62');
  });
});
