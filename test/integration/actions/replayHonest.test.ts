import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { fetchGroupOffsets } from '../../../src/kafka/groups.js';
import { parseTranscript } from '../../../src/transcript/reader.js';
import { TEST_LAB, cli, resetPairState } from '../labHarness.js';
import { connectAs, newestTranscript, preparedRunbook, type TestRunbook } from './actionLab.js';

/**
 * Revert must not rewind the home groups (issue: "revert rewinds the home
 * groups and says replay 0"). With nothing consumed on the promoted side,
 * promote and revert, again and again, leave every group's commit on the
 * home cluster exactly where it was, and the plan says why.
 */
const NO_FENCE = ['wait-replication: { maxLagRecords: 0, timeout: 1m }', 'translate-offsets: {}', 'switch-route: { to: secondary }'];

describe('no silent rewind: revert keeps the home commits a group did not move past', () => {
  let admin: { east: KafkaConnection; west: KafkaConnection };
  beforeAll(() => {
    admin = { east: connectAs(TEST_LAB, 'east'), west: connectAs(TEST_LAB, 'west') };
  });
  beforeEach(() => resetPairState(TEST_LAB));
  afterAll(async () => {
    await admin.east.close();
    await admin.west.close();
  });

  const run = (rb: TestRunbook, args: string[]) => cli([...args, '--transcripts', join(rb.dir, 'transcripts')], { env: rb.env, timeoutMs: 300_000 });
  const commits = async (conn: KafkaConnection, groups: string[]) =>
    Object.fromEntries([...(await fetchGroupOffsets(conn, groups)).entries()].map(([g, r]) => [g, 'offsets' in r ? [...r.offsets].map((o) => `${o.topic}-${o.partition}@${o.offset}`).sort() : r]));

  it('three promote/revert cycles with nothing consumed on west leave the east commits where they were', async () => {
    const rb = await preparedRunbook(TEST_LAB, admin, { promote: NO_FENCE, revert: ['switch-route: { to: primary }', 'translate-offsets: { direction: reverse }'], groups: 2 }, 350);
    const home = await commits(admin.east, rb.groups);
    expect(Object.values(home).flat().length).toBe(6);
    for (let cycle = 1; cycle <= 3; cycle++) {
      const p = await run(rb, ['promote', rb.path, '--yes']);
      expect(p.exitCode, p.all).toBe(0);
      const r = await run(rb, ['revert', rb.path, '--yes']);
      expect(r.exitCode, r.all).toBe(0);
      expect(await commits(admin.east, rb.groups), `cycle ${cycle}`).toEqual(home);
      // The revert's plan kept every home commit, and said so: nothing moved back, replay 0 because nothing is read again.
      const entries = parseTranscript(readFileSync(newestTranscript(join(rb.dir, 'transcripts'), rb.name, 'revert'), 'utf8')).entries;
      const planned = entries.find((e) => e.type === 'step-planned' && (e as unknown as { step: string }).step === 'translate-offsets') as unknown as {
        plan: { rewind: number; kept: number; replay?: number; groups: { partitions: { kept?: boolean; current?: number; translated?: number }[] }[] };
      };
      expect(planned.plan.rewind).toBe(0);
      expect(planned.plan.replay).toBe(0);
      for (const p of planned.plan.groups.flatMap((g) => g.partitions)) {
        // Either the translation lands exactly on the home commit, or it is behind and the home commit is kept.
        if (p.kept) expect(p.translated!).toBeLessThan(p.current!);
        else expect(p.translated).toBe(p.current);
      }
    }
  }, 1_800_000);
});
