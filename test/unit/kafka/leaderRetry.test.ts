import { describe, expect, it } from 'vitest';
import { whileLeadersMove } from '../../../src/kafka/leaderRetry.js';
import { protocolError } from '../../../src/kafka/protocol.js';
import { FailoverError } from '../../../src/errors.js';

/** A clock that moves only when the retry sleeps. */
function fakeTime() {
  let t = 1_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      t += ms;
    },
  };
}

describe('whileLeadersMove', () => {
  it('asks again, with growing pauses, while the leader is not serving, and returns the first answer', async () => {
    const time = fakeTime();
    let calls = 0;
    const answer = await whileLeadersMove(
      async () => {
        calls++;
        if (calls < 5) throw protocolError(6); // NOT_LEADER_OR_FOLLOWER
        return 'read';
      },
      10_000,
      time.sleep,
      time.now,
    );
    expect(answer).toBe('read');
    expect(calls).toBe(5);
    expect(time.sleeps).toEqual([100, 200, 400, 800]);
  });

  it('finds the code inside a wrapped error, as conn.call gives it', async () => {
    const time = fakeTime();
    let calls = 0;
    await whileLeadersMove(
      async () => {
        if (calls++ === 0) throw new FailoverError('east: read t@0: LEADER_NOT_AVAILABLE', { cause: protocolError(5) });
        return 1;
      },
      10_000,
      time.sleep,
      time.now,
    );
    expect(calls).toBe(2);
  });

  it('pauses at most a second between attempts', async () => {
    const time = fakeTime();
    await expect(whileLeadersMove(async () => { throw protocolError(74); }, 5_000, time.sleep, time.now)).rejects.toMatchObject({ apiId: 'FENCED_LEADER_EPOCH' });
    expect(Math.max(...time.sleeps)).toBe(1000);
    expect(time.sleeps).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('gives up within the time given and throws the last error as it came', async () => {
    const time = fakeTime();
    const e = protocolError(3); // UNKNOWN_TOPIC_OR_PARTITION
    await expect(whileLeadersMove(async () => { throw e; }, 1_000, time.sleep, time.now)).rejects.toBe(e);
    // 100 + 200 + 400 = 700; another 800 would pass the second.
    expect(time.sleeps).toEqual([100, 200, 400]);
  });

  it('throws any other error at once', async () => {
    const time = fakeTime();
    let calls = 0;
    const e = protocolError(29); // TOPIC_AUTHORIZATION_FAILED
    await expect(whileLeadersMove(async () => { calls++; throw e; }, 10_000, time.sleep, time.now)).rejects.toBe(e);
    expect(calls).toBe(1);
    expect(time.sleeps).toEqual([]);
  });

  it('waits the given bound by default on the real clock', async () => {
    let calls = 0;
    await expect(whileLeadersMove(async () => { calls++; throw protocolError(6); }, 250)).rejects.toMatchObject({ apiId: 'NOT_LEADER_OR_FOLLOWER' });
    // 100 ms, then 200 more would pass 250: two attempts.
    expect(calls).toBe(2);
  });
});
