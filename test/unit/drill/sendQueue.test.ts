import { describe, expect, it } from 'vitest';
import { ProbeLog } from '../../../src/drill/probeLog.js';
import { SendQueue, newEvents } from '../../../src/drill/sendQueue.js';

describe("a probe producer's send queue", () => {
  it('sends what waits in one request while a slot is free, and keeps the rest for the next', () => {
    const q = new SendQueue(2, 3);
    expect(q.idle).toBe(true);
    expect(q.take()).toBeUndefined();
    q.add([1, 2]);
    expect(q.idle).toBe(false);
    expect(q.take()).toEqual([1, 2]);
    q.add([3, 4, 5, 6, 7]);
    expect(q.take()).toEqual([3, 4, 5]);
    expect(q.inFlight).toBe(2);
    // Both slots taken: events wait, in order, however many ticks come.
    expect(q.take()).toBeUndefined();
    q.add([8]);
    expect(q.queued).toBe(3);
    q.done();
    expect(q.inFlight).toBe(1);
    expect(q.take()).toEqual([6, 7, 8]);
    expect(q.queued).toBe(0);
    q.done();
    q.done();
    expect(q.idle).toBe(true);
    q.done();
    expect(q.inFlight).toBe(0);
  });

  it('gives up everything waiting at once, for a producer that is not there', () => {
    const q = new SendQueue(1, 10);
    q.add([1, 2, 3]);
    expect(q.drain()).toEqual([1, 2, 3]);
    expect(q.drain()).toEqual([]);
    expect(q.take()).toBeUndefined();
    expect(q.idle).toBe(true);
  });
});

describe('new probe events', () => {
  it('take the keys in turn, each with its own next sequence number, at the given time', () => {
    const log = new ProbeLog(() => 0, () => Date.UTC(2026, 0, 1));
    const seq = new Uint32Array(3);
    expect(newEvents(log, seq, 3, 4, 10)).toEqual([0, 1, 2, 3]);
    expect(newEvents(log, seq, 3, 0, 20)).toEqual([]);
    expect(newEvents(log, seq, 3, 2, 30)).toEqual([4, 5]);
    expect([...log.key.slice(0, 6)]).toEqual([0, 1, 2, 0, 1, 2]);
    expect([...log.seq.slice(0, 6)]).toEqual([0, 0, 0, 1, 1, 1]);
    expect([...seq]).toEqual([2, 2, 2]);
    expect(log.sentAt[3]).toBe(10);
    expect(log.sentAt[5]).toBe(30);
  });
});
