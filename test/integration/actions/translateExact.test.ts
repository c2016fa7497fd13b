import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureTopics } from '../../../src/kafka/clusterInfo.js';
import { commitOffsetsToEmptyGroup } from '../../../src/kafka/commitOffsets.js';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { fetchGroupOffsets } from '../../../src/kafka/groups.js';
import { partitionEndsOf } from '../../../src/kafka/listOffsets.js';
import { tpKey } from '../../../src/kafka/metadata.js';
import { loadOffsetSyncs } from '../../../src/kafka/mm2Translation.js';
import { offsetSyncsTopic } from '../../../src/kafka/naming.js';
import { readTopic } from '../../../src/kafka/readTopic.js';
import { parseTranscript } from '../../../src/transcript/reader.js';
import { FAULT_TIMEOUT_MS, labUp } from '../gates/checkHarness.js';
import { TEST_LAB, cli, eventually, resetPairState } from '../labHarness.js';
import { testProducer } from '../testClients.js';
import { checkpointsSettled, connectAs, onlyTranscript, writeRoute, writeTestRunbook, type TestRunbook } from './actionLab.js';

/**
 * translate-offsets commits exactly what it planned, and what it planned is
 * where the group's next record sits on the other cluster, on a topic whose
 * copy does NOT have the source's offsets. On a fresh lab topic MirrorMaker 2's
 * copy has the very offsets of its source, so a translation that returned the
 * source offset, or swapped a sync's upstream and downstream, would pass every
 * other test. Here, while MM2 is stopped, each partition of the workload topic
 * gets records on east (and on west, for its own topic there) that are then
 * deleted (DeleteRecords): MM2 starts mirroring at the log start, so the copy
 * begins at 0 where the source begins at 40-54 (25-37 for west's topic), a
 * different shift per partition and per cluster.
 *
 * The expected offsets are derived from the records, not from failover's
 * translation: the record a group reads next on the source (the first at or
 * after its commit) is found by its value on the target, and its offset there
 * is where the group must resume; with nothing left to read, the target
 * topic's end. Commits are placed where MM2 has an offset sync of the record
 * before (each round of writes waits for them), so its rule (d + 1) is exact
 * and there is one right answer, in both directions: east->west on promote,
 * and on revert, west->east for west's own topic and back home for the copy.
 */

const PARTITIONS = 3;
/** records written then deleted before MM2 mirrors the topic, per partition */
const GONE = { east: [40, 47, 54], west: [25, 31, 37] };
/** records per partition in each round of writes */
const ROUND = 10;
const PROMOTE = ['wait-replication: { maxLagRecords: 0, timeout: 2m }', 'translate-offsets: {}', 'switch-route: { to: secondary }'];
const REVERT = ['wait-replication: { direction: reverse, maxLagRecords: 0, timeout: 2m }', 'translate-offsets: { direction: reverse }', 'switch-route: { to: primary }'];

type Side = 'east' | 'west';
type Commit = { topic: string; partition: number; offset: number };
const key = (c: Commit) => `${c.topic}-${c.partition}@${c.offset}`;

describe('translate-offsets on a topic whose copy has other offsets than its source', () => {
  let admin: Record<Side, KafkaConnection>;
  let rb: TestRunbook;
  let topic: string;
  /** per side and partition: the end offset after each write (the first record, then each round) */
  const boundaries: Record<Side, number[][]> = { east: [], west: [] };

  const run = (args: string[]) => cli([...args, '--transcripts', join(rb.dir, 'transcripts')], { env: rb.env, timeoutMs: 300_000 });
  const other = (s: Side): Side => (s === 'east' ? 'west' : 'east');
  // MM2's offset syncs of the flow out of a cluster live on that cluster (offset-syncs.topic.location=source).
  const syncsOf = (from: Side) => offsetSyncsTopic({ sourceAlias: from, targetAlias: other(from) }, 'source');

  async function ends(conn: KafkaConnection, t: string): Promise<{ earliest: number; latest: number }[]> {
    const e = (await partitionEndsOf(conn, [t])).get(t);
    if (!e) throw new Error(`${conn.name}: no topic ${t}`);
    return [...e].sort((a, b) => a.partition - b.partition);
  }

  /** Writes `count` records to each partition of the workload topic on `side`, then waits until MM2 has copied them and synced the last one. */
  async function write(side: Side, count: number): Promise<void> {
    const conn = admin[side];
    const before = await ends(conn, topic);
    const p = testProducer(conn, { retries: 5 });
    try {
      for (let part = 0; part < PARTITIONS; part++) {
        const from = before[part]!.latest;
        await p.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ key: `k${part}`, value: `${side}-${topic}-p${part}-at-${from + i}`, partition: part })) });
      }
    } finally {
      await p.close();
    }
    const after = await ends(conn, topic);
    after.forEach((e, part) => (boundaries[side][part] ??= []).push(e.latest));
    await eventually(`MM2 has synced the last record of each partition of ${topic} on ${side}`, 240_000, async () => {
      const { syncs } = await loadOffsetSyncs(conn, syncsOf(side), true);
      return after.every((e, part) => (syncs.get(tpKey(topic, part)) ?? []).some((s) => s.upstreamOffset === e.latest - 1)) ? true : undefined;
    });
  }

  /** The offset of the record holding `value` in one partition of `t` on `conn`; it must be there exactly once. */
  async function offsetOfValue(conn: KafkaConnection, t: string, partition: number, value: string): Promise<number> {
    const hits = (await readTopic(conn, t, { partitions: [partition] })).filter((r) => r.value?.toString('utf8') === value);
    if (hits.length !== 1) throw new Error(`${conn.name} ${t}-${partition}: ${hits.length} record(s) hold ${value}`);
    return hits[0]!.offset;
  }

  /**
   * Where a group at `position` of `src` resumes on `dst`: the target offset of the record it reads next (found by
   * its value), or the target's end when it has read everything.
   */
  async function resumeAt(src: Side, srcTopic: string, dst: Side, dstTopic: string, partition: number, position: number): Promise<number> {
    const next = (await readTopic(admin[src], srcTopic, { partitions: [partition], from: () => position }))
      .filter((r) => r.offset >= position)
      .sort((a, b) => a.offset - b.offset)[0];
    if (!next) return (await ends(admin[dst], dstTopic))[partition]!.latest;
    return offsetOfValue(admin[dst], dstTopic, partition, next.value!.toString('utf8'));
  }

  async function committed(side: Side, group: string): Promise<Commit[]> {
    const r = (await fetchGroupOffsets(admin[side], [group])).get(group);
    return r && 'offsets' in r ? r.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })) : [];
  }

  function plannedCommits(action: 'promote' | 'revert'): Map<string, Commit[]> {
    const entries = parseTranscript(readFileSync(onlyTranscript(join(rb.dir, 'transcripts'), rb.name, action), 'utf8')).entries;
    const planned = entries.filter((e) => e.type === 'step-planned' && (e as unknown as { step: string }).step === 'translate-offsets');
    expect(planned).toHaveLength(1);
    const plan = (planned[0] as unknown as { plan: { groups: { group: string; commits: Commit[] }[] } }).plan;
    return new Map(plan.groups.map((g) => [g.group, g.commits]));
  }

  /** For every commit of `group` on `src`: the offset the records say it resumes at on `dst`. */
  async function expectedOn(src: Side, group: string, dst: Side, targetTopic: (t: string) => string): Promise<{ expected: Commit[]; sourceOffsets: Commit[] }> {
    const sourceOffsets = await committed(src, group);
    const expected: Commit[] = [];
    for (const c of sourceOffsets) {
      expected.push({ topic: targetTopic(c.topic), partition: c.partition, offset: await resumeAt(src, c.topic, dst, targetTopic(c.topic), c.partition, c.offset) });
    }
    return { expected, sourceOffsets };
  }

  const sorted = (cs: Commit[]) => cs.map(key).sort();

  beforeAll(async () => {
    admin = { east: connectAs(TEST_LAB, 'east'), west: connectAs(TEST_LAB, 'west') };
    await resetPairState(TEST_LAB);
    rb = writeTestRunbook(TEST_LAB, { topics: 1, groups: 2, promote: PROMOTE, revert: REVERT, requires: [] });
    topic = rb.topics[0]!;
    writeRoute(rb, 'east');

    // MM2 stopped: the topic (on east, and west's own on west) is made, written and emptied before MM2 ever sees it.
    const kill = await cli(['lab', 'kill', 'mm2', '--dir', TEST_LAB.dir]);
    expect(kill.exitCode, kill.all).toBe(0);
    try {
      for (const side of ['east', 'west'] as const) {
        await ensureTopics(admin[side], [{ topic, partitions: PARTITIONS }]);
        const p = testProducer(admin[side], { retries: 5 });
        for (let part = 0; part < PARTITIONS; part++) {
          await p.send({ topic, messages: Array.from({ length: GONE[side][part]! }, (_, i) => ({ key: `k${part}`, value: `${side}-${topic}-p${part}-gone-${i}`, partition: part })) });
        }
        await p.close();
        const a = await admin[side].admin();
        await a.deleteRecords({ topics: [{ name: topic, partitions: GONE[side].map((n, part) => ({ partition: part, offset: BigInt(n) })) }] });
        expect((await ends(admin[side], topic)).map((e) => [e.earliest, e.latest]), `${topic} on ${side} after DeleteRecords`).toEqual(GONE[side].map((n) => [n, n]));
      }
    } finally {
      await labUp(TEST_LAB);
    }

    // East: one record per partition first (MM2's first sync is then of the log start), then three rounds.
    await write('east', 1);
    for (let r = 0; r < 3; r++) await write('east', ROUND);
    // The copy starts at 0: the premise of every assertion below.
    await eventually(`east.${topic} on west`, 60_000, async () => ((await ends(admin.west, `east.${topic}`)).every((e, part) => e.earliest === 0 && e.latest === boundaries.east[part]!.at(-1)! - GONE.east[part]!) ? true : undefined));

    // Commits at the log start, after the first record, inside and at the end of the data (b[part][k]: after write k).
    const b = boundaries.east;
    const [g0, g1] = rb.groups as [string, string];
    await commitOffsetsToEmptyGroup(admin.east, g0, [
      { topic, partition: 0, offset: b[0]![1]! },
      { topic, partition: 1, offset: b[1]![2]! },
      { topic, partition: 2, offset: b[2]![3]! },
    ]);
    await commitOffsetsToEmptyGroup(admin.east, g1, [
      { topic, partition: 0, offset: b[0]![2]! },
      { topic, partition: 1, offset: GONE.east[1]! },
      { topic, partition: 2, offset: b[2]![0]! },
    ]);
    // MM2 has checkpointed them, and its checkpoints stopped moving: from here only failover changes anything.
    await checkpointsSettled(rb, admin);
  }, FAULT_TIMEOUT_MS);

  afterAll(async () => {
    await resetPairState(TEST_LAB);
    await admin.east.close();
    await admin.west.close();
  }, 120_000);

  it('promote commits on west exactly the offsets it planned, and each is where the group\'s next record sits on the copy', async () => {
    const r = await run(['promote', rb.path, '--yes']);
    expect(r.exitCode, r.all).toBe(0);
    const planned = plannedCommits('promote');
    for (const g of rb.groups) {
      const { expected, sourceOffsets } = await expectedOn('east', g, 'west', (t) => `east.${t}`);
      expect(expected, `group ${g}: one commit per partition`).toHaveLength(PARTITIONS);
      // The premise: on this topic the copy's offset of a record is not its source offset.
      for (const c of expected) expect(c.offset, `${g} ${c.topic}-${c.partition}`).not.toBe(sourceOffsets.find((s) => s.partition === c.partition)!.offset);
      expect(sorted(planned.get(g) ?? []), `group ${g}: the plan`).toEqual(sorted(expected));
      expect(sorted(await committed('west', g)), `group ${g}: committed on west`).toEqual(sorted(expected));
    }
    process.stderr.write(`[translate-exact] promote: ${JSON.stringify(Object.fromEntries([...planned].map(([g, cs]) => [g, sorted(cs)])))}\n`);
  });

  it('after the group moved on west and west took writes of its own, revert commits on east exactly the offsets it planned, for the copy going home and for west\'s topic', async () => {
    // West's own topic: one record per partition, then two rounds (its copy on east, west.<topic>, starts at 0 too).
    await write('west', 1);
    for (let r = 0; r < 2; r++) await write('west', ROUND);
    await eventually(`west.${topic} on east`, 60_000, async () => ((await ends(admin.east, `west.${topic}`)).every((e, part) => e.earliest === 0 && e.latest === boundaries.west[part]!.at(-1)! - GONE.west[part]!) ? true : undefined));

    // The groups read on west (as consumers there would), at positions where MM2 has syncs of the record before.
    // Copy positions are the east boundaries shifted by what was deleted; one partition of g1 stays where promote put it.
    const [g0, g1] = rb.groups as [string, string];
    const be = boundaries.east;
    const bw = boundaries.west;
    const copy = `east.${topic}`;
    const onCopy = (part: number, k: number) => be[part]![k]! - GONE.east[part]!;
    const g1Before = await committed('west', g1);
    await commitOffsetsToEmptyGroup(admin.west, g0, [
      { topic: copy, partition: 0, offset: onCopy(0, 2) },
      { topic: copy, partition: 1, offset: onCopy(1, 3) },
      { topic: copy, partition: 2, offset: onCopy(2, 3) },
      { topic, partition: 0, offset: bw[0]![1]! },
      { topic, partition: 1, offset: bw[1]![2]! },
      { topic, partition: 2, offset: GONE.west[2]! },
    ]);
    await commitOffsetsToEmptyGroup(admin.west, g1, [
      { topic: copy, partition: 1, offset: onCopy(1, 0) },
      { topic: copy, partition: 2, offset: onCopy(2, 3) },
      { topic, partition: 0, offset: bw[0]![2]! },
      { topic, partition: 1, offset: bw[1]![0]! },
      { topic, partition: 2, offset: bw[2]![1]! },
    ]);
    const eastBefore = await committed('east', g1);

    const r = await run(['revert', rb.path, '--yes']);
    expect(r.exitCode, r.all).toBe(0);
    const planned = plannedCommits('revert');
    // east.<topic> on west goes home to <topic> on east; west's <topic> goes to west.<topic> on east.
    const home = (t: string) => (t === copy ? topic : `west.${t}`);
    for (const g of rb.groups) {
      const { expected, sourceOffsets } = await expectedOn('west', g, 'east', home);
      expect(expected, `group ${g}: both topics, every partition`).toHaveLength(2 * PARTITIONS);
      for (const c of expected) {
        const from = sourceOffsets.find((s) => home(s.topic) === c.topic && s.partition === c.partition)!;
        expect(c.offset, `${g} ${from.topic}-${c.partition} -> ${c.topic}`).not.toBe(from.offset);
      }
      expect(sorted(planned.get(g) ?? []), `group ${g}: the plan`).toEqual(sorted(expected));
      expect(sorted((await committed('east', g)).filter((c) => expected.some((e) => e.topic === c.topic && e.partition === c.partition))), `group ${g}: committed on east`).toEqual(sorted(expected));
    }
    // The partition g1 did not move on west comes home to the very commit it left east with.
    const unmoved = g1Before.find((c) => c.topic === copy && c.partition === 0)!;
    expect(unmoved.offset).toBe(onCopy(0, 2));
    expect((await committed('east', g1)).find((c) => c.topic === topic && c.partition === 0)).toEqual(eastBefore.find((c) => c.topic === topic && c.partition === 0));
    process.stderr.write(`[translate-exact] revert: ${JSON.stringify(Object.fromEntries([...planned].map(([g, cs]) => [g, sorted(cs)])))}\n`);
  });
});
