import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { SECURE_LAB, cli, labSyncsGroupOffsets } from '../labHarness.js';
import { connectAs, pairSnapshot, preparedRunbook, type TestRunbook } from './actionLab.js';

describe('failover plan: every step concrete, nothing changed', () => {
  let rb: TestRunbook;
  let admin: { east: KafkaConnection; west: KafkaConnection };

  beforeAll(async () => {
    admin = { east: connectAs(SECURE_LAB, 'east'), west: connectAs(SECURE_LAB, 'west') };
    // MirrorMaker 2's checkpoints of the group settled (and, on a lab with its group offset sync, its copy on west): only we could change anything.
    rb = await preparedRunbook(SECURE_LAB, admin, { topics: 2 });
    await new Promise((r) => setTimeout(r, 2500));
  });
  afterAll(async () => {
    await admin.east.close();
    await admin.west.close();
  });

  it('prints the ACLs, each group partition with its translation and replay, and the route change; then everything reads the same', async () => {
    const before = await pairSnapshot(rb, admin);
    expect(before.stateTopic).toEqual({ east: { exists: false, records: {} }, west: { exists: false, records: {} } });

    const r = await cli(['plan', rb.path, 'promote'], { env: rb.env });
    expect(r.exitCode, r.all).toBe(0);
    for (const t of rb.topics) expect(r.stdout).toContain(`create DENY User:orders-svc Write Topic:${t} from *`);
    // West's group holds a commit ("now"), and exists (Empty rather than Dead), only where MirrorMaker 2's group offset
    // sync wrote one: the test labs run without it.
    const synced = await labSyncsGroupOffsets(SECURE_LAB);
    const now = synced ? ' \\(now \\d+\\)' : '';
    for (const t of rb.topics) for (const p of [0, 1, 2]) expect(r.stdout).toMatch(new RegExp(`${t}-${p}: east \\d+ -> east\\.${t}-${p}: \\d+${now}, replay \\d+`));
    expect(r.stdout).toContain(`group ${rb.groups[0]} on west (${synced ? 'Empty' : 'Dead'}): 6 offset(s), replay 0`);
    expect(r.stdout).toContain(`bootstrap.servers=127.0.0.1:${SECURE_LAB.eastPort} -> bootstrap.servers=127.0.0.1:${SECURE_LAB.westPort}`);
    expect(r.stdout).toMatch(/wait-replication: wait up to 2m until east->west lags at most 0/);

    const human = await cli(['promote', rb.path, '--dry-run'], { env: rb.env });
    expect(human.exitCode, human.all).toBe(0);
    expect(human.stdout).toBe(r.stdout);

    const json = await cli(['plan', rb.path, 'promote', '--json'], { env: rb.env });
    expect(json.exitCode, json.all).toBe(0);
    const dry = await cli(['promote', rb.path, '--dry-run', '--json'], { env: rb.env });
    expect(dry.exitCode, dry.all).toBe(0);
    // --dry-run is the same plan, to the byte.
    expect(JSON.parse(dry.stdout)).toEqual(JSON.parse(json.stdout));
    const plan = JSON.parse(json.stdout) as { steps: { type: string; plan: { acls?: unknown[]; groups?: { commits: unknown[] }[]; next?: string } }[] };
    expect(plan.steps.map((s) => s.type)).toEqual(['fence-writes', 'wait-replication', 'translate-offsets', 'switch-route']);
    expect(plan.steps[0]!.plan.acls).toHaveLength(2);
    expect(plan.steps[2]!.plan.groups![0]!.commits).toHaveLength(6);
    expect(plan.steps[3]!.plan.next).toBe(`127.0.0.1:${SECURE_LAB.westPort}`);

    // A plan of revert while steady names why it would not start (exit 1), and still changes nothing.
    const rev = await cli(['plan', rb.path, 'revert'], { env: rb.env });
    expect(rev.exitCode, rev.all).toBe(1);
    expect(rev.stdout).toContain('would not start: revert needs the pair promoted');

    expect(await pairSnapshot(rb, admin)).toEqual(before);
  });
});
