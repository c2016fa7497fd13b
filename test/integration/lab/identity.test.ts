import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commitOffsetsToEmptyGroup } from '../../../src/kafka/commitOffsets.js';
import { ensureTopics } from '../../../src/kafka/clusterInfo.js';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { fetchGroupOffsets } from '../../../src/kafka/groups.js';
import { loadOffsetSyncs } from '../../../src/kafka/mm2Translation.js';
import { tpKey } from '../../../src/kafka/metadata.js';
import { partitionEndsOf } from '../../../src/kafka/listOffsets.js';
import { readTopic } from '../../../src/kafka/readTopic.js';
import { labConnections } from '../../../src/lab/lab.js';
import { labPaths } from '../../../src/lab/labConfig.js';
import { IDENTITY_LAB as LAB, cli, eventually, resetPairState, startProfileLab, unique } from '../labHarness.js';
import { testProducer } from '../testClients.js';

/**
 * MirrorMaker 2 with IdentityReplicationPolicy (`lab up --replication-policy
 * identity`): `orders` on east is `orders` on west, checkpoints and offset
 * syncs keep their alias names, and only east->west runs. The lab's own
 * runbook (`replicationPolicy: identity`) must find the copies under their
 * own names, translate a group's offsets to the right records, promote and
 * pass a planned drill; the rollback gate must say that failback needs
 * west->east started, before and after the promote.
 */

interface Evidence {
  check: string;
  status: string;
  finding: string;
  hint?: string;
  data?: unknown;
}
interface CheckJson {
  gates: { gate: string; score: number; evidence: Evidence[] }[];
}
const evidence = (j: CheckJson, check: string): Evidence | undefined => j.gates.flatMap((g) => g.evidence).find((e) => e.check === check);

describe('lab --replication-policy identity: same names, east->west only', () => {
  const paths = labPaths(LAB.dir);
  const route = join(paths.route, 'orders.properties');
  const routeHome = () => writeFileSync(route, `bootstrap.servers=127.0.0.1:${LAB.eastPort}\n`);
  let stop: () => Promise<void> = async () => {};
  let conns: { east: KafkaConnection; west: KafkaConnection };

  beforeAll(async () => {
    stop = await startProfileLab(LAB);
    conns = labConnections(LAB.dir, 10_000);
    await resetPairState(LAB);
    routeHome();
  }, 900_000);
  afterAll(async () => {
    await resetPairState(LAB).catch(() => undefined);
    routeHome();
    await Promise.all([conns?.east.close(), conns?.west.close()]);
    await stop();
  }, 120_000);

  /** A runbook for this test: the lab's own, on this test's topic and group, in the lab folder (its route file is relative). */
  function testRunbook(topic: string, group: string): string {
    const text = readFileSync(paths.runbook, 'utf8')
      .replace('  topics: [orders, payments]', `  topics: [${topic}]`)
      .replace('  groups: [billing, shipping]', `  groups: [${group}]`)
      .replace('name: "lab-1b-identity"', `name: "${topic}"`);
    expect(text).toContain(`topics: [${topic}]`);
    const file = join(LAB.dir, `${topic}.yaml`);
    writeFileSync(file, text);
    return file;
  }

  it('lab up writes a runbook for the identity shape, which validates', async () => {
    const text = readFileSync(paths.runbook, 'utf8');
    expect(text).toContain('  replicationPolicy: identity\n');
    const v = await cli(['validate', paths.runbook, '--json']);
    expect(v.exitCode, v.all).toBe(0);
    expect(v.stdout).toMatch(/"valid": ?true/);
  });

  it('check finds the copy under its own name; translate commits, on west, the offsets of the records the group would read next on east', { timeout: 600_000 }, async () => {
    const topic = unique('ident');
    const group = unique('ident-g');
    await ensureTopics(conns.east, [{ topic, partitions: 2 }]);
    // The group read to the end of a first burst and stopped; a second burst follows. MirrorMaker 2 keeps
    // offset syncs sparse under a burst, but syncs the newest record once writes pause, so the position the
    // group committed is exactly translatable: MM2's rule (the sync below it, plus one) lands on it.
    const committed = [
      { topic, partition: 0, offset: 37 },
      { topic, partition: 1, offset: 11 },
    ];
    const p = testProducer(conns.east);
    let n = 0;
    const burst = async (partition: number, from: number, to: number) => {
      const messages = [];
      for (let i = from; i < to; i++) messages.push({ key: `k${n % 7}`, value: `${topic}-v${n++}`, partition });
      await p.send({ topic, messages });
    };
    try {
      for (const c of committed) await burst(c.partition, 0, c.offset);
      await eventually(`offset syncs of ${topic} at the end of the first burst`, 120_000, async () => {
        const loaded = await loadOffsetSyncs(conns.east, 'mm2-offset-syncs.west.internal', true);
        const at = (c: (typeof committed)[number]) => loaded.syncs.get(tpKey(topic, c.partition))?.some((x) => x.upstreamOffset === c.offset - 1);
        return committed.every(at) ? true : undefined;
      });
      for (const c of committed) await burst(c.partition, c.offset, 60);
    } finally {
      await p.close();
    }
    const eastEnds = (await partitionEndsOf(conns.east, [topic])).get(topic)!;
    expect(eastEnds.map((e) => e.latest)).toEqual([60, 60]);
    await commitOffsetsToEmptyGroup(conns.east, group, committed);

    // The copy on west: the same name (no east. prefix), every record there.
    const westRecords = await eventually(`${topic} copied to west under its own name`, 120_000, async () => {
      const ends = (await partitionEndsOf(conns.west, [topic]).catch(() => undefined))?.get(topic);
      if (!ends || ends.reduce((n, e) => n + e.latest, 0) < 120) return undefined;
      return readTopic(conns.west, topic);
    });
    const westByValue = new Map<string, { partition: number; offset: number }>();
    for (const r of westRecords) {
      const v = r.value?.toString('utf8');
      if (v !== undefined && !westByValue.has(v)) westByValue.set(v, { partition: r.partition, offset: r.offset });
    }
    const eastRecords = await readTopic(conns.east, topic);
    // Expected on west: the west offset of the record at the group's committed offset on east (the next it would read).
    const expected = committed.map((c) => {
      const next = eastRecords.find((r) => r.partition === c.partition && r.offset === c.offset)!;
      const there = westByValue.get(next.value!.toString('utf8'))!;
      expect(there.partition).toBe(c.partition);
      return { topic, partition: c.partition, offset: there.offset };
    });
    const rb = testRunbook(topic, group);

    const check = await eventually('check passes on the identity pair, with the group checkpointed', 120_000, async () => {
      const r = await cli(['check', rb, '--json'], { timeoutMs: 180_000 });
      const j = JSON.parse(r.stdout) as CheckJson;
      return r.exitCode === 0 && evidence(j, 'offsets.lag')?.status === 'pass' && evidence(j, 'offsets.translation')?.status === 'pass' ? j : undefined;
    });
    const byGate = Object.fromEntries(check.gates.map((g) => [g.gate, g.score]));
    expect(byGate.compatibility, JSON.stringify(check.gates.find((g) => g.gate === 'compatibility'))).toBeGreaterThan(0);
    expect(evidence(check, 'compatibility.counterparts')?.status, JSON.stringify(evidence(check, 'compatibility.counterparts'))).toBe('pass');
    expect(JSON.stringify(evidence(check, 'compatibility.counterparts')?.data)).not.toContain(`east.${topic}`);
    expect(evidence(check, 'observability.heartbeats')?.status).toBe('pass');
    // The failback flow cannot run beside east->west under identity naming: named, with what to do, and not a pass.
    const back = evidence(check, 'rollback.reverse-replication')!;
    expect(back.status).toBe('warn');
    expect(back.finding).toContain('identity naming: west->east cannot run beside east->west');
    expect(back.hint).toContain('stop east->west, then start west->east');

    const plan = await cli(['plan', rb, 'promote', '--json'], { timeoutMs: 180_000 });
    expect(plan.exitCode, plan.all).toBe(0);
    const steps = (JSON.parse(plan.stdout) as { steps: { type: string; plan: { groups?: { group: string; commits: { topic: string; partition: number; offset: number }[] }[] } }[] }).steps;
    const translate = steps.find((s) => s.type === 'translate-offsets')!;
    const commits = translate.plan.groups!.find((g) => g.group === group)!.commits;
    expect([...commits].sort((a, b) => a.partition - b.partition)).toEqual(expected);
    expect((translate.plan as { replay?: number }).replay).toBe(0);

    const transcripts = mkdtempSync(join(tmpdir(), 'failover-identity-'));
    const promote = await cli(['promote', rb, '--yes', '--transcripts', transcripts], { timeoutMs: 600_000 });
    expect(promote.exitCode, promote.all).toBe(0);
    expect(readFileSync(route, 'utf8')).toContain(`127.0.0.1:${LAB.westPort}`);
    const onWest = (await fetchGroupOffsets(conns.west, [group])).get(group);
    expect(onWest && 'offsets' in onWest ? onWest.offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset })).sort((a, b) => a.partition - b.partition) : onWest).toEqual(expected);

    // Promoted: west takes the writes, and nothing brings them home until west->east runs.
    const after = await cli(['check', rb, '--json', '--gate', 'rollback'], { timeoutMs: 180_000 });
    const afterBack = evidence(JSON.parse(after.stdout) as CheckJson, 'rollback.reverse-replication')!;
    expect(afterBack.status, JSON.stringify(afterBack)).toBe('fail');
    expect(afterBack.finding).toMatch(/^identity naming: west->east is not running \(west\.heartbeats on east does not exist\), so a revert now would find none of west's writes on east$/);
    expect(afterBack.hint).toContain('stop east->west, then start west->east with IdentityReplicationPolicy');

    await resetPairState(LAB);
    routeHome();
  });

  it('a planned drill passes on the lab runbook: the probe reads its topic on west under its own name after the switch', { timeout: 900_000 }, async () => {
    const transcripts = mkdtempSync(join(tmpdir(), 'failover-identity-drill-'));
    const t0 = Date.now();
    const d = await cli(['drill', paths.runbook, '--scenario', 'planned', '--yes', '--json', '--transcripts', transcripts], { timeoutMs: 900_000 });
    const took = (Date.now() - t0) / 1000;
    expect(d.exitCode, d.all).toBe(0);
    const r = JSON.parse(d.stdout) as { ok: boolean; measurement: { lost: number; writeDowntimeMs: number; duplicates: number; predictedReplay?: number } };
    const m = r.measurement;
    process.stderr.write(`[identity] planned drill in ${took.toFixed(1)} s: lost ${m.lost}, write downtime ${(m.writeDowntimeMs / 1000).toFixed(2)} s, duplicates ${m.duplicates} (predicted replay ${m.predictedReplay})\n`);
    expect(r.ok).toBe(true);
    expect(m.lost).toBe(0);
    expect(readFileSync(route, 'utf8')).toContain(`127.0.0.1:${LAB.westPort}`);
    await resetPairState(LAB);
    routeHome();
  });
});
