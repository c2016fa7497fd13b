import { describe, expect, it } from 'vitest';
import {
  STALE_COORDINATOR_CODES,
  STALE_LEADER_CODES,
  isStaleCoordinator,
  mergeLeaders,
  movesCoordinator,
  movesPartitions,
  pauseBefore,
  routeWhileLeadersMove,
  whileLeadersMove,
} from '../../../src/kafka/leaderRetry.js';
import type { LeaderIndex } from '../../../src/kafka/metadata.js';
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

describe('whileLeadersMove with another test of what moves', () => {
  it('asks again for what `moving` accepts, and throws anything else at once', async () => {
    const time = fakeTime();
    let calls = 0;
    const moved = new Error('coordinator moved');
    const answer = await whileLeadersMove(
      async () => {
        if (calls++ < 2) throw moved;
        return 'ok';
      },
      10_000,
      time.sleep,
      time.now,
      (e) => e === moved,
    );
    expect(answer).toBe('ok');
    expect(calls).toBe(3);
    // a stale-leader code is not retried under another test
    await expect(whileLeadersMove(async () => { throw protocolError(6); }, 10_000, time.sleep, time.now, (e) => e === moved)).rejects.toMatchObject({ apiId: 'NOT_LEADER_OR_FOLLOWER' });
  });
});

describe('pauseBefore', () => {
  it('doubles from 100 ms and stays at a second', () => {
    expect([0, 1, 2, 3, 4, 5, 9].map(pauseBefore)).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });
});

describe('stale answers', () => {
  it('names the stale-leader and stale-coordinator codes, and nothing else', () => {
    expect([...STALE_LEADER_CODES].sort((a, b) => a - b)).toEqual([3, 5, 6, 74]);
    expect([...STALE_COORDINATOR_CODES].sort((a, b) => a - b)).toEqual([14, 15, 16]);
    expect(isStaleCoordinator(protocolError(16))).toBe(true);
    expect(isStaleCoordinator(protocolError(14))).toBe(true);
    expect(isStaleCoordinator(protocolError(15))).toBe(true);
    expect(isStaleCoordinator(protocolError(6))).toBe(false);
    expect(movesCoordinator(protocolError(16))).toBe(true);
    expect(movesCoordinator(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(movesCoordinator(protocolError(29))).toBe(false);
    expect(movesPartitions(protocolError(74))).toBe(true);
    expect(movesPartitions(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(movesPartitions(protocolError(16))).toBe(false);
    expect(movesPartitions(new Error('bad answer'))).toBe(false);
  });
});

type Item = { topic: string; partition: number };
const idx = (entries: [string, [number, number][]][]): LeaderIndex => new Map(entries.map(([t, ps]) => [t, new Map(ps)]));

describe('routeWhileLeadersMove', () => {
  it('sends one request per leader, and asks only the moved partition again, of its new leader, with metadata of its topic', async () => {
    const time = fakeTime();
    const asked: [number, string[]][] = [];
    const refreshed: string[][] = [];
    const items: Item[] = [
      { topic: 'a', partition: 0 },
      { topic: 'a', partition: 1 },
      { topic: 'b', partition: 0 },
    ];
    const answers = await routeWhileLeadersMove<Item, string>({
      leaders: idx([['a', [[0, 1], [1, 2]]], ['b', [[0, 1]]]]),
      items,
      cluster: 'east',
      ask: async (nodeId, its) => {
        asked.push([nodeId, its.map((i) => `${i.topic}-${i.partition}`)]);
        // broker 2 no longer leads a-1
        if (nodeId === 2) return { answers: [], moved: its };
        return { answers: its.map((i) => `${i.topic}-${i.partition}@${nodeId}`), moved: [] };
      },
      refresh: async (topics) => {
        refreshed.push(topics);
        return idx([['a', [[0, 1], [1, 3]]]]);
      },
      sleep: time.sleep,
      now: time.now,
    });
    expect(answers.sort()).toEqual(['a-0@1', 'a-1@3', 'b-0@1']);
    expect(asked).toEqual([
      [1, ['a-0', 'b-0']],
      [2, ['a-1']],
      [3, ['a-1']],
    ]);
    expect(refreshed).toEqual([['a']]);
    expect(time.sleeps).toEqual([100]);
  });

  it('asks again the partitions of a broker that does not answer, and those without a leader', async () => {
    const time = fakeTime();
    let round = 0;
    const answers = await routeWhileLeadersMove<Item, string>({
      leaders: idx([['a', [[0, 2], [1, -1]]]]),
      items: [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }],
      cluster: 'east',
      ask: async (nodeId, its) => {
        if (nodeId === 2) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        return { answers: its.map((i) => `${i.topic}-${i.partition}@${nodeId}`), moved: [] };
      },
      refresh: async () => (++round === 1 ? idx([['a', [[0, 2], [1, -1]]]]) : idx([['a', [[0, 1], [1, 3]]]])),
      sleep: time.sleep,
      now: time.now,
    });
    expect(answers.sort()).toEqual(['a-0@1', 'a-1@3']);
    expect(time.sleeps).toEqual([100, 200]);
  });

  it('throws any other error at once', async () => {
    const time = fakeTime();
    const e = protocolError(29);
    await expect(
      routeWhileLeadersMove<Item, string>({
        leaders: idx([['a', [[0, 1]]]]),
        items: [{ topic: 'a', partition: 0 }],
        cluster: 'east',
        ask: async () => {
          throw e;
        },
        refresh: async () => new Map(),
        sleep: time.sleep,
        now: time.now,
      }),
    ).rejects.toBe(e);
    expect(time.sleeps).toEqual([]);
  });

  it('gives up within the wait, naming the cluster, the first partition still moving and how many more, with the last error as cause', async () => {
    const time = fakeTime();
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const err = await routeWhileLeadersMove<Item, string>({
      leaders: idx([['a', [[0, 2], [1, 2], [2, 2]]]]),
      items: [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }, { topic: 'a', partition: 2 }],
      cluster: 'east',
      ask: async () => {
        throw refused;
      },
      refresh: async () => idx([['a', [[0, 2], [1, 2], [2, 2]]]]),
      withinMs: 1_000,
      sleep: time.sleep,
      now: time.now,
    }).then(
      () => new Error('resolved'),
      (x: unknown) => x as Error,
    );
    expect(err.message).toBe('east: a-0 and 2 more partitions: the leader did not answer or was not the leader within the wait for a new leader; run `failover check` to see which partitions are offline');
    expect(err.cause).toBe(refused);
    expect(time.sleeps).toEqual([100, 200, 400]);
  });

  it('says no leader serves when the partitions never had one, and counts one more partition in the singular', async () => {
    const time = fakeTime();
    const err = await routeWhileLeadersMove<Item, string>({
      leaders: idx([['a', [[0, -1], [1, -1]]]]),
      items: [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 1 }],
      cluster: 'west',
      ask: async () => ({ answers: [], moved: [] }),
      refresh: async () => idx([['a', [[0, -1], [1, -1]]]]),
      withinMs: 250,
      sleep: time.sleep,
      now: time.now,
    }).then(
      () => new Error('resolved'),
      (x: unknown) => x as Error,
    );
    expect(err.message).toBe('west: a-0 and 1 more partition: no leader serves within the wait for a new leader; run `failover check` to see which partitions are offline');
    expect(err.cause).toBeUndefined();
    expect(time.sleeps).toEqual([100]);
  });

  it('returns at once when nothing is asked', async () => {
    const time = fakeTime();
    expect(await routeWhileLeadersMove<Item, string>({ leaders: new Map(), items: [], cluster: 'east', ask: async () => ({ answers: ['x'], moved: [] }), refresh: async () => new Map(), sleep: time.sleep, now: time.now })).toEqual([]);
  });
});

describe('mergeLeaders', () => {
  it('replaces the refreshed topics only, leaving the base unchanged', () => {
    const base = idx([['a', [[0, 1]]], ['b', [[0, 2]]]]);
    const merged = mergeLeaders(base, idx([['a', [[0, 3]]]]));
    expect(merged.get('a')?.get(0)).toBe(3);
    expect(merged.get('b')?.get(0)).toBe(2);
    expect(base.get('a')?.get(0)).toBe(1);
  });
});
