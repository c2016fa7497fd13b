import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureTopics } from '../../../src/kafka/clusterInfo.js';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { partitionEndsOf } from '../../../src/kafka/listOffsets.js';
import { loadOffsetSyncs } from '../../../src/kafka/mm2Translation.js';
import { tpKey } from '../../../src/kafka/metadata.js';
import { TEST_LAB, cli, eventually, resetPairState, unique, type CliResult } from '../labHarness.js';
import { evidence, labUp, FAULT_TIMEOUT_MS } from '../gates/checkHarness.js';
import type { CheckResult } from '../../../src/gates/scorecard.js';
import { connectAs, preparedRunbook, writeRoute, writeTestRunbook, type TestRunbook } from './actionLab.js';
import { testProducer } from '../testClients.js';

/**
 * Issue 10, defect 1: after MirrorMaker 2 restarted (and duplicated records
 * on west), the copy was longer than the source, so comparing end offsets
 * said "caught up" while 50 records were only on east. Lag is measured
 * through MM2's offset syncs now; where no mapping exists it is unknown, and
 * unknown is never caught up.
 */

const SYNCS_TOPIC = 'mm2-offset-syncs.west.internal';
const PROMOTE = ['wait-replication: { maxLagRecords: 0, timeout: 10s }', 'switch-route: { to: secondary }'];

interface StatusJson {
  lag: { source: string; target: string; maxLag?: number; totalLag?: number; unknown?: { topic: string; partition: number; kind: string; reason: string }[]; error?: string }[];
}

describe('replication lag on the lab, through the link mapping', () => {
  let admin: { east: KafkaConnection; west: KafkaConnection };

  beforeAll(() => {
    admin = { east: connectAs(TEST_LAB, 'east'), west: connectAs(TEST_LAB, 'west') };
  });
  afterAll(async () => {
    await Promise.all([admin.east.close(), admin.west.close()]);
  });
  // The pair's phase and lock are the lab's, whatever the runbook: start from a pair with no state.
  beforeEach(() => resetPairState(TEST_LAB));
  // One place for the cleanup, whatever a test left: MirrorMaker 2 back up, and no pair left promoting (the
  // failed promotes here do), so that the next files find a healthy, steady lab.
  afterEach(async () => {
    await labUp(TEST_LAB);
    await resetPairState(TEST_LAB);
  }, FAULT_TIMEOUT_MS);

  const run = (rb: TestRunbook, args: string[]) => cli([...args, '--transcripts', join(rb.dir, 'transcripts')], { env: rb.env, timeoutMs: 300_000 });
  const statusJson = async (rb: TestRunbook): Promise<StatusJson> => {
    const r = await run(rb, ['status', rb.path, '--json']);
    return JSON.parse(r.stdout) as StatusJson;
  };
  const eastToWest = (s: StatusJson) => s.lag.find((l) => l.source === 'east' && l.target === 'west')!;
  const ends = async (conn: KafkaConnection, topic: string, partition: number) => {
    const e = (await partitionEndsOf(conn, [topic])).get(topic)?.find((x) => x.partition === partition);
    if (!e) throw new Error(`${conn.name}: no ${topic}-${partition}`);
    return e.latest;
  };
  const newestSync = async (topic: string, partition: number) => {
    const s = await loadOffsetSyncs(admin.east, SYNCS_TOPIC, true);
    const list = s.syncs.get(tpKey(topic, partition));
    return list?.[list.length - 1];
  };
  const mm2 = async (action: 'kill') => {
    const r = await cli(['lab', action, 'mm2', '--dir', TEST_LAB.dir]);
    expect(r.exitCode, r.all).toBe(0);
  };

  /** Writes to one partition of `topic` on east as fast as acks=all allows, until stopped. */
  function burst(topic: string, partition: number) {
    const producer = testProducer(admin.east, { retries: 3 });
    let running = true;
    let sent = 0;
    const loop = (async () => {
      while (running) {
        await producer.send({ topic, acks: -1, messages: Array.from({ length: 200 }, (_, i) => ({ key: `b${i}`, value: `burst-${sent + i}`, partition })) });
        sent += 200;
      }
      await producer.close();
    })();
    return { stop: async () => ((running = false), await loop, sent) };
  }

  it('after MM2 restarted and duplicated records, 50 records only on east are not "caught up": promote waits, fails and leaves the route; status and check say 50 behind', { timeout: FAULT_TIMEOUT_MS }, async () => {
    // The offsets gate's bound, below the 50 records that will lag.
    const rb = await preparedRunbook(TEST_LAB, admin, { promote: PROMOTE, requires: [], extra: 'gates:\n  offsets: { maxLagRecords: 10 }\n' });
    const topic = rb.topics[0]!;
    const copy = `east.${topic}`;

    // MM2 killed while a producer writes, restarted: it replays from its last committed position, so
    // west holds some records twice. Repeat until the copy is at least 50 records longer than the source
    // (the kill must land well after an offset commit; MM2 commits every second in the lab).
    let surplus = 0;
    for (let cycle = 0; cycle < 4 && surplus < 50; cycle++) {
      const b = burst(topic, 0);
      await new Promise((r) => setTimeout(r, 2500));
      await mm2('kill');
      await new Promise((r) => setTimeout(r, 1000));
      await b.stop();
      await labUp(TEST_LAB);
      const sourceEnd = await ends(admin.east, topic, 0);
      await eventually('MM2 has replicated partition 0 again and synced its last record', 180_000, async () =>
        (await newestSync(topic, 0))?.upstreamOffset === sourceEnd - 1 ? true : undefined,
      );
      surplus = (await ends(admin.west, copy, 0)) - sourceEnd;
    }
    // The precondition: the copy is longer than the source by more than what comes next.
    expect(surplus).toBeGreaterThanOrEqual(50);

    // MM2 killed again, then 50 records on east that nothing copies.
    await mm2('kill');
    const p = testProducer(admin.east);
    await p.send({ topic, acks: -1, messages: Array.from({ length: 50 }, (_, i) => ({ key: `late${i}`, value: `only-on-east-${i}`, partition: 0 })) });
    await p.close();

    const human = await run(rb, ['status', rb.path]);
    expect(human.stdout, human.all).toMatch(/lag east->west: 50 record\(s\) behind/);
    expect(human.stdout).not.toMatch(/lag east->west: 0 record\(s\) behind/);
    const flow = eastToWest(await statusJson(rb));
    expect(flow).toMatchObject({ totalLag: 50, maxLag: 50 });

    const check = await run(rb, ['check', rb.path, '--json', '--gate', 'offsets']);
    const lag = evidence(JSON.parse(check.stdout) as CheckResult, 'offsets.lag');
    expect(lag.status, lag.finding).toBe('fail');
    expect(lag.finding).toMatch(new RegExp(`^replication lag over bound \\(10 records, 30 s\\): ${topic}-0 lags 50 records`));
    const rows = (lag.data as { partitions: { primaryTopic: string; partition: number; lagRecords?: number }[] }).partitions;
    expect(rows.find((r) => r.primaryTopic === topic && r.partition === 0)?.lagRecords, JSON.stringify(rows)).toBe(50);

    const routeBefore = readFileSync(rb.routeFile, 'utf8');
    const promote: CliResult = await run(rb, ['promote', rb.path, '--yes']);
    expect(promote.all).not.toMatch(/caught up/);
    expect(promote.all).toMatch(/still 50 behind after 10s/);
    expect(promote.exitCode, promote.all).toBe(1);
    expect(readFileSync(rb.routeFile, 'utf8')).toBe(routeBefore);
  });

  it('a partition with data and no offset sync lags an unknown amount, never 0; an empty one lags 0', { timeout: FAULT_TIMEOUT_MS }, async () => {
    // A topic outside MM2's filter (the lab mirrors /it-.*/): no sync will ever exist for it. Its "copy"
    // on west is written by hand and is longer than the source, as a duplicated copy would be.
    const rb = writeTestRunbook(TEST_LAB, { promote: PROMOTE, requires: [], groups: 1 });
    const topic = `nomirror-${unique('lag').slice(3)}`;
    writeFileSync(rb.path, readFileSync(rb.path, 'utf8').replace(rb.topics[0]!, topic));
    writeRoute(rb, 'east');
    await ensureTopics(admin.east, [{ topic, partitions: 3 }]);
    await ensureTopics(admin.west, [{ topic: `east.${topic}`, partitions: 3 }]);
    const write = async (conn: KafkaConnection, t: string, counts: number[]) => {
      const p = testProducer(conn, { retries: 8 });
      for (const [partition, n] of counts.entries()) {
        if (n > 0) await p.send({ topic: t, acks: -1, messages: Array.from({ length: n }, (_, i) => ({ value: `v${i}`, partition })) });
      }
      await p.close();
    };
    await write(admin.east, topic, [5, 0, 0]);
    await write(admin.west, `east.${topic}`, [10, 0, 3]);

    const flow = eastToWest(await statusJson(rb));
    expect(flow.unknown, JSON.stringify(flow)).toEqual([{ topic, partition: 0, of: 'records', kind: 'no-mapping', reason: expect.stringMatching(/no offset sync/) }]);
    expect(flow).toMatchObject({ maxLag: 0, totalLag: 0 });
    const human = await run(rb, ['status', rb.path]);
    expect(human.stdout, human.all).toMatch(new RegExp(`lag east->west: unknown for 1 of 3 partition\\(s\\) \\(${topic}-0: no offset sync`));
    expect(human.stdout).not.toMatch(/lag east->west: .*record\(s\) behind/);

    const routeBefore = readFileSync(rb.routeFile, 'utf8');
    const promote = await run(rb, ['promote', rb.path, '--yes']);
    expect(promote.all).not.toMatch(/caught up/);
    expect(promote.all).toMatch(new RegExp(`${topic}-0 unknown \\(no offset sync`));
    expect(promote.exitCode, promote.all).toBe(1);
    expect(readFileSync(rb.routeFile, 'utf8')).toBe(routeBefore);
  });

  it('a committed transaction leaves a marker MM2 does not copy; the lag still reaches 0', { timeout: FAULT_TIMEOUT_MS }, async () => {
    const rb = writeTestRunbook(TEST_LAB, { promote: PROMOTE, requires: [] });
    const topic = rb.topics[0]!;
    await ensureTopics(admin.east, [{ topic, partitions: 3 }]);
    const producer = testProducer(admin.east, { transactionalId: unique('tx') });
    await producer.transaction([{ topic, messages: Array.from({ length: 5 }, (_, i) => ({ value: `tx-${i}`, partition: 1 })) }]);
    await producer.close();
    // The marker sits after the last record: the source ends one past what MM2 copies.
    await eventually('MM2 copies the 5 records', 120_000, async () => ((await ends(admin.west, `east.${topic}`, 1).catch(() => 0)) === 5 ? true : undefined));
    expect(await ends(admin.east, topic, 1)).toBe(6);
    const settled = await eventually('the lag reaches 0', 60_000, async () => {
      const flow = eastToWest(await statusJson(rb));
      return flow.totalLag === 0 && (flow.unknown ?? []).length === 0 ? flow : undefined;
    });
    expect(settled.maxLag).toBe(0);
  });
});
