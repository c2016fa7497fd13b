import { describe, expect, it } from 'vitest';
import { Reader, Writer, protocolError, supports, throwPartitionError } from '../../../src/kafka/protocol.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('Writer', () => {
  it('writes Kafka primitive types big-endian, as the protocol guide lays them out', () => {
    const b = new Writer()
      .int8(-1)
      .int16(2)
      .int32(-2)
      .int64(-2)
      .int64(2 ** 40 + 1)
      .string('ab')
      .array([7, 8], (w, n) => w.int32(n))
      .done();
    expect(b.toString('hex')).toBe(
      ['ff', '0002', 'fffffffe', 'fffffffffffffffe', '0000010000000001', '0002' + '6162', '00000002' + '00000007' + '00000008'].join(''),
    );
  });

  it('writes flexible-version types: unsigned varints, compact strings and arrays (length + 1), empty tags', () => {
    const b = new Writer()
      .uvarint(0)
      .uvarint(300)
      .compactString('é')
      .compactArray(['x'], (w, s) => w.compactString(s))
      .compactArray(null, () => undefined)
      .noTags()
      .done();
    expect(b.toString('hex')).toBe(['00', 'ac02', '03' + 'c3a9', '02' + '02' + '78', '00', '00'].join(''));
  });

  it('grows past its first buffer without losing bytes', () => {
    const w = new Writer();
    for (let i = 0; i < 1000; i++) w.int32(i);
    const b = w.done();
    expect(b.length).toBe(4000);
    expect(b.readInt32BE(4 * 999)).toBe(999);
    expect(b.readInt32BE(4 * 256)).toBe(256);
  });
});

describe('Reader', () => {
  it('reads what the Writer writes', () => {
    const buf = new Writer().int8(-3).int16(-300).int32(70000).int64(-1).int64(1_795_490_993_681).string('orders').compactString('g1').uvarint(2 ** 21).done();
    const r = new Reader(buf);
    expect([r.int8(), r.int16(), r.int32(), r.int64(), r.int64(), r.string(), r.compactString(), r.uvarint()]).toEqual([-3, -300, 70000, -1, 1_795_490_993_681, 'orders', 'g1', 2 ** 21]);
    expect(r.remaining).toBe(0);
  });

  it('reads zig-zag varints, null strings and bytes, and skips tagged fields', () => {
    // zig-zag: 0 -> 0, -1 -> 1, 1 -> 2, 150 -> 300 (ac 02), -2^40 -> 2^41 - 1
    const r = new Reader(hex('00 01 02 ac02 ffffffffff3f  ffff  ffffffff  00000002 abcd  01 05 02 eeee  09'));
    expect([r.varint(), r.varint(), r.varint(), r.varint(), r.varint()]).toEqual([0, -1, 1, 150, -(2 ** 40)]);
    expect(r.string()).toBeNull();
    expect(r.bytes()).toBeNull();
    expect(r.bytes()?.toString('hex')).toBe('abcd');
    r.tags(); // one tagged field: tag 5, 2 bytes
    expect(r.int8()).toBe(9);
  });

  it('refuses a varint the response cuts short', () => {
    expect(() => new Reader(hex('ff ff')).uvarint()).toThrow(/truncated varint/);
  });
});

describe('protocol helpers', () => {
  it('knows which broker can carry a request of a given version', () => {
    const versions = { '1': { minVersion: 4, maxVersion: 17 }, '2': { minVersion: 1, maxVersion: 9 } };
    expect(supports(versions, 1, 4)).toBe(true);
    expect(supports(versions, 1, 3)).toBe(false);
    expect(supports(versions, 9, 8)).toBe(false);
    expect(supports(undefined, 1, 4)).toBe(false);
  });

  it("turns a Kafka error code into the client's ProtocolError, its apiId naming the code", () => {
    const e = protocolError(6);
    expect(e.apiId).toBe('NOT_LEADER_OR_FOLLOWER');
    expect(e.apiCode).toBe(6);
    expect(protocolError(29).apiId).toBe('TOPIC_AUTHORIZATION_FAILED');
  });

  it('keeps a code newer than the client knows, as UNKNOWN_SERVER_ERROR with the number in the message', () => {
    const e = protocolError(9999);
    expect(e.apiId).toBe('UNKNOWN_SERVER_ERROR');
    expect(e.message).toContain('Kafka error code 9999');
  });

  it('fails on the first partition error that is not tolerated, naming the partition and the error', () => {
    const answers = [
      { topic: 'orders', partition: 0, errorCode: 0 },
      { topic: 'orders', partition: 1, errorCode: 1 },
      { topic: 'orders', partition: 2, errorCode: 6 },
    ];
    expect(() => throwPartitionError(answers, [1])).toThrow(/^NOT_LEADER_OR_FOLLOWER \(orders-2\)/);
    expect(() => throwPartitionError(answers.slice(0, 2), [1])).not.toThrow();
  });
});
