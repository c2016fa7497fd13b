import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionTranslation } from '../../../src/kafka/translateOffsets.js';
import { checkpointOf, indexCheckpoints, loadCheckpoints } from '../../../src/kafka/mm2Translation.js';
import { checkpointsTopic } from '../../../src/kafka/naming.js';
import { cli, eventually, testLabConnections, unique } from '../labHarness.js';
import { checkResultSchema, commitOnEast, evidence, gate, runCheck, scorecard, seedTopics, tempDir, writeRunbook } from './checkHarness.js';
import { TestConsumer } from '../testClients.js';

/**
 * A healthy lab: MM2 replicates east->west and back, the workload groups
 * committed on east, and MM2 checkpointed them on west. Nothing here needs
 * MM2's group offset sync (off on the test labs): translations are compared
 * with MM2's checkpoints.
 */
describe('failover check on a healthy lab', () => {
  const topics = [unique('orders'), unique('payments')];
  const groups = [unique('billing'), unique('shipping')];
  const conns = testLabConnections(10_000);
  const dir = tempDir();
  let runbook: string;

  beforeAll(async () => {
    await seedTopics(conns, topics, { partitions: 3, records: 90 });
    // Commits inside the data, not only at its end, so that translation has something to do. Each lies
    // after MM2's first offset sync, which seedTopics waits to be at offset 0 before writing the rest (each
    // round then leaves a sync near its end: 9, 19, 29): MM2 cannot translate a commit before its first
    // sync, and the gate would rightly fall back to timestamps.
    await commitOnEast(conns.east, groups[0]!, topics[0]!, { 0: 17, 1: 30, 2: 25 });
    await commitOnEast(conns.east, groups[0]!, topics[1]!, { 0: 30, 1: 30, 2: 30 });
    await commitOnEast(conns.east, groups[1]!, topics[0]!, { 0: 29, 1: 21 });
    runbook = writeRunbook(dir, { topics, groups });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([conns.east.close(), conns.west.close()]);
  });

  it('every gate scores at least 1, and offsets scores 2 once the groups have checkpoints', async () => {
    // MM2 checkpoints within seconds on an idle machine; on a loaded 2-core one (CI beside other labs) it took over 90 s.
    const run = await eventually('offsets scores 2', 180_000, async () => {
      const r = await runCheck(runbook);
      return gate(r.result, 'offsets').score === 2 ? r : undefined;
    }).catch(async (e: Error) => {
      const last = await runCheck(runbook);
      throw new Error(`${e.message}\n${scorecard(last.result)}\n${JSON.stringify(gate(last.result, 'offsets').evidence.filter((x) => x.status !== 'pass'), null, 1).slice(0, 3000)}`);
    });
    const { result } = run;
    for (const g of result.gates) expect(g.score, scorecard(result)).toBeGreaterThanOrEqual(1);
    expect(gate(result, 'compatibility').score, scorecard(result)).toBe(2);
    expect(gate(result, 'routing').score, scorecard(result)).toBe(2);
    expect(evidence(result, 'offsets.translation').finding).toContain(groups[0]!);
    expect(evidence(result, 'offsets.rpo').finding).toMatch(/switching now loses at most [\d.]+ s of events/);
    expect(result.readiness.ready).toBe(true);
    expect(run.cli.exitCode, run.cli.stderr).toBe(0);
    expect(checkResultSchema(result), JSON.stringify(checkResultSchema.errors)).toBe(true);
  }, 420_000);

  it("our MM2 translation of a group is never ahead of MirrorMaker 2's checkpoint of the same commit, and equals it once settled", async () => {
    // MM2's checkpoint of a commit is what MM2 itself would commit into the group with sync.group.offsets (the test
    // labs run without it, as MM2 does by default). Ours ahead of it would skip records MM2 keeps. MM2 checkpoints once
    // per interval, so a commit our check translated (from offset syncs, when the checkpoint lags) may not have MM2's
    // checkpoint yet: at every poll, each of our translations must be reached by MM2's checkpoint of that very commit
    // (which only moves forward for one commit), or it was ahead. A failure is recorded, not retried.
    const checkpoints = checkpointsTopic('east');
    const theirs = async (tp: string, committed: number | undefined): Promise<number | undefined> => {
      const index = indexCheckpoints((await loadCheckpoints(conns.west, checkpoints, true)).records);
      const [topic, partition] = [tp.slice(0, tp.lastIndexOf('-')), Number(tp.slice(tp.lastIndexOf('-') + 1))];
      const cp = checkpointOf(index, groups[0]!, topic, partition);
      return cp && cp.upstreamOffset === committed ? cp.downstreamOffset : undefined;
    };
    const ahead: string[] = [];
    const poll = async () => {
      const { result } = await runCheck(runbook, ['--gate', 'offsets']);
      const ours = (evidence(result, 'offsets.translation').data as { translations: PartitionTranslation[] }).translations.filter((t) => t.group === groups[0]);
      const pairs = ours.map((t) => ({ tp: `${t.targetTopic}-${t.partition}`, committed: t.committed, ours: t.targetOffset }));
      for (const p of pairs) {
        if (p.ours === undefined) continue;
        const until = Date.now() + 60_000;
        let mm2 = await theirs(p.tp, p.committed);
        while ((mm2 === undefined || mm2 < p.ours) && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 250));
          mm2 = await theirs(p.tp, p.committed);
        }
        if (mm2 === undefined || mm2 < p.ours) ahead.push(`${p.tp}@${p.committed}: ours ${p.ours}, MM2's checkpoint ${mm2 ?? 'none'} after 60 s`);
      }
      return Promise.all(pairs.map(async (p) => ({ ...p, mm2: await theirs(p.tp, p.committed) })));
    };
    const settled = (pairs: { ours?: number; mm2?: number }[]) => pairs.length === 6 && pairs.every((p) => p.ours !== undefined && p.ours === p.mm2);
    const first = await eventually("MM2's checkpoints of the group's commits equal our translations", 180_000, async () => {
      const pairs = await poll();
      return settled(pairs) ? pairs : undefined;
    });
    expect(ahead).toEqual([]);
    expect(first.map((p) => p.tp).sort()).toEqual(topics.flatMap((t) => [0, 1, 2].map((p) => `east.${t}-${p}`)).sort());

    // Move the group on east and translate again: both must follow.
    // 17 -> 25 crosses the offset sync near 19, so MM2's translation moves forward (it never moves back).
    await commitOnEast(conns.east, groups[0]!, topics[0]!, { 0: 25, 1: 30, 2: 29 });
    const moved = (pairs: { tp: string; ours?: number }[]) => pairs.find((p) => p.tp === `east.${topics[0]}-0`)?.ours;
    const second = await eventually('both follow a new commit', 180_000, async () => {
      const pairs = await poll();
      return settled(pairs) && moved(pairs)! > moved(first)! ? pairs : undefined;
    });
    expect(ahead).toEqual([]);
    expect(second.every((p) => p.ours === p.mm2)).toBe(true);
  }, 420_000);

  it('writes JUnit XML and Markdown from the same result', async () => {
    const junit = join(dir, 'reports', 'check.xml');
    const md = join(dir, 'reports', 'check.md');
    const { result } = await runCheck(runbook, ['--junit', junit, '--markdown', md]);
    const xml = readFileSync(junit, 'utf8');
    const suites = [...xml.matchAll(/<testsuite name="([a-z]+)" tests="(\d+)" failures="(\d+)"/g)].map((m) => ({ gate: m[1], tests: Number(m[2]), failures: Number(m[3]) }));
    expect(suites.map((s) => s.gate)).toEqual(result.gates.map((g) => g.gate));
    for (const s of suites) {
      const g = gate(result, s.gate as 'offsets');
      expect(s.tests).toBe(g.evidence.length);
      expect(s.failures).toBe(g.evidence.filter((e) => e.status === 'fail' && e.blocking !== false).length);
    }
    expect(xml.match(/<testcase /g)?.length).toBe(result.gates.reduce((n, g) => n + g.evidence.length, 0));
    expect(readFileSync(md, 'utf8')).toContain(`# failover check: ${result.runbook.name}`);
  });

  it('the human scorecard names each gate with its score and the readiness rule', async () => {
    const r = await cli(['check', runbook, '--gate', 'routing', 'compatibility']);
    expect(r.exitCode, r.all).toBe(0);
    expect(r.stdout).toMatch(/│ compatibility\s+│ 2\s+│ ready/);
    expect(r.stdout).toMatch(/│ routing\s+│ 2\s+│ ready/);
    expect(r.stdout).toMatch(/ready: compatibility, offsets, routing, rollback must not score 0/);
    expect(r.stdout).not.toMatch(/offsets \(/);
  });

  it('names the group and the member when a workload group has an active member on west', async () => {
    const group = unique('active');
    await commitOnEast(conns.east, group, topics[1]!, { 0: 10, 1: 10, 2: 10 });
    const rb = writeRunbook(tempDir(), { topics: [topics[1]!], groups: [group] });
    const consumer = new TestConsumer(conns.west, group, [`east.${topics[1]}`]);
    await consumer.start();
    try {
      const westAdmin = await conns.west.admin();
      const member = await eventually('the consumer joins on west', 60_000, async () => {
        const g = (await westAdmin.describeGroups({ groups: [group] })).get(group);
        const first = g ? [...g.members.values()][0] : undefined;
        return g && g.state === 'Stable' && first ? { memberId: first.id } : undefined;
      });
      const { result } = await runCheck(rb, ['--gate', 'offsets']);
      const e = evidence(result, 'offsets.active-members');
      expect(e.status).toBe('fail');
      expect(e.finding).toContain(group);
      expect(e.finding).toContain(member.memberId);
      expect(gate(result, 'offsets').score).toBe(0);
    } finally {
      await consumer.stop();
    }
  });

  it('fails routing when the route points at west while the phase says east', async () => {
    const rb = writeRunbook(tempDir(), { topics, groups, routeTo: 'west' });
    const { result, cli: r } = await runCheck(rb, ['--gate', 'routing']);
    const e = evidence(result, 'routing.route');
    expect(e.status).toBe('fail');
    expect(e.finding).toMatch(/reaches west \(cluster id [\w-]+\), but the phase \(steady\) says east is primary/);
    expect(gate(result, 'routing').score).toBe(0);
    expect(r.exitCode).toBe(1);
  });

  it('rollback: no revert action scores 0; no reverse flow fails; a revert transcript within the window scores 2', async () => {
    const noRevert = writeRunbook(tempDir(), { topics, groups, revert: false });
    const a = await runCheck(noRevert, ['--gate', 'rollback']);
    expect(gate(a.result, 'rollback').score).toBe(0);
    expect(evidence(a.result, 'rollback.revert-undoes-promote').finding).toMatch(/^no revert action/);

    const noReverse = writeRunbook(tempDir(), { topics, groups, reverse: false });
    const b = await runCheck(noReverse, ['--gate', 'rollback']);
    expect(evidence(b.result, 'rollback.reverse-replication')).toMatchObject({ status: 'fail', finding: expect.stringMatching(/^no reverse flow/) });

    const rehearsedDir = tempDir();
    const rehearsed = writeRunbook(rehearsedDir, { topics, groups, name: 'it-rehearsed' });
    const before = await runCheck(rehearsed, ['--gate', 'rollback']);
    expect(gate(before.result, 'rollback').score, scorecard(before.result)).toBe(1);
    const { TranscriptWriter } = await import('../../../src/transcript/writer.js');
    const w = TranscriptWriter.create(join(rehearsedDir, 'transcripts', 'it-rehearsed', 'revert-1.jsonl'));
    w.append({ type: 'run-started', runbook: { path: rehearsed, name: 'it-rehearsed', sha256: '0'.repeat(64) }, action: 'revert', toolVersion: '0.1.0', operator: 'it', host: 'lab', pid: 1, argv: ['revert', rehearsed] });
    w.append({ type: 'step-verified', index: 0, step: 'switch-route', status: 'pass', finding: 'the route reaches east' });
    w.append({ type: 'run-finished', outcome: 'ok', exitCode: 0 });
    w.close();
    const after = await runCheck(rehearsed, ['--gate', 'rollback']);
    expect(gate(after.result, 'rollback').score, scorecard(after.result)).toBe(2);
    expect(evidence(after.result, 'rollback.rehearsal').finding).toMatch(/a successful revert is on record: .*revert-1\.jsonl/);
  });

  it('exits 2 for an unknown gate name', async () => {
    const r = await cli(['check', runbook, '--gate', 'speed']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/unknown gate "speed"/);
  });
});
