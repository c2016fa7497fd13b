import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DrillResult } from '../../../src/drill/result.js';
import { readTopic } from '../../../src/kafka/readTopic.js';
import { SECURE_LAB, TEST_LAB, cli, resetPairState, testLabConnections } from '../labHarness.js';
import { drillRunbook, type DrillRunbook } from './drillLab.js';

/**
 * Drills on the real lab: the probe writes and reads through the route, the
 * faults are the lab's own kill/pause/resume, the action runs through the
 * engine. Every drill here reverts, so the pair is home again afterwards.
 */
const DRILL_TIMEOUT = 600_000;

async function drill(rb: DrillRunbook, scenario: string, extra: string[] = []): Promise<{ exitCode: number; result: DrillResult; stderr: string; ms: number }> {
  const t0 = Date.now();
  const r = await cli(['drill', rb.path, '--scenario', scenario, '--revert', '--yes', '--json', '--transcripts', rb.transcripts, ...extra], { timeoutMs: DRILL_TIMEOUT - 20_000, env: rb.env });
  let result: DrillResult;
  try {
    result = JSON.parse(r.stdout) as DrillResult;
  } catch {
    throw new Error(`drill ${scenario}: no JSON on stdout (exit ${r.exitCode}):\n${r.all}`);
  }
  return { exitCode: r.exitCode, result, stderr: r.stderr, ms: Date.now() - t0 };
}

function explain(r: DrillResult): string {
  return JSON.stringify({ problem: r.problem, breached: r.breached, phases: r.phases, actions: r.actions.map((a) => ({ action: a.action, outcome: a.outcome, summary: a.summary })), errors: r.errors.slice(0, 5) }, null, 1);
}

interface ProbeLine {
  id: string;
  stale?: boolean;
  ackedAt?: number;
  ackedBy?: string;
  partition?: number;
  offset?: number;
}

function probeLines(r: DrillResult): ProbeLine[] {
  return readFileSync(r.files.probeRecords, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as ProbeLine);
}

describe('failover drill on the lab', () => {
  // Every drill starts from steady pairs, whatever the one before it left: the pair's state is shared by every runbook on it.
  beforeEach(async () => {
    await resetPairState(TEST_LAB);
    await resetPairState(SECURE_LAB);
  }, 120_000);

  it('planned with revert: nothing lost, write downtime measured and reported, duplicates within the predicted replay; the HTML report renders in Chromium; rollback scores 2', async () => {
    const rb = drillRunbook();
    const { result: r } = await drill(rb, 'planned');
    expect(r.completed, explain(r)).toBe(true);
    expect(r.actions.map((a) => [a.action, a.outcome])).toEqual([['promote', 'ok'], ['revert', 'ok']]);
    const m = r.measurement;
    expect(m.events.acked).toBeGreaterThan(1000);
    expect(m.events.ackedBy.west ?? 0, 'the probe wrote to west while promoted').toBeGreaterThan(0);
    expect(m.reads.map((x) => x.cluster)).toEqual(['west', 'east']);
    expect(m.lost).toBe(0);
    expect(m.writeDowntimeMs).toBeGreaterThan(0);
    expect(m.predictedReplay).toBeDefined();
    expect(m.duplicates).toBeLessThanOrEqual(m.predictedReplay!);

    // Split brain, as the plain lab has it: nothing can fence east, so the stale client, which keeps
    // east's address, is acknowledged by east after the promote's switch.
    const st = m.stale!;
    expect(r.probe.stale).toMatchObject({ cluster: 'east', topic: 'failover.probe', ratePerSecond: 20 });
    expect(st.switches.map((x) => [x.action, x.demoted])).toEqual([['promote', 'east'], ['revert', 'west']]);
    expect(st.ackedBeforeSwitch).toBeGreaterThan(0);
    expect(m.writesToDemoted).toBeGreaterThan(0);
    expect(r.expectations.find((x) => x.name === 'maxWritesToDemoted')).toMatchObject({ ok: true, actual: m.writesToDemoted, limit: 100000 });
    // From the raw records: the stale events east acknowledged between the two switches.
    const [promoteSwitch, revertSwitch] = st.switches;
    const staleLines = probeLines(r).filter((l) => l.stale);
    expect(staleLines.length).toBe(st.created);
    const toDemoted = staleLines.filter((l) => l.ackedBy === 'east' && l.ackedAt! >= promoteSwitch!.at - 0.05 && l.ackedAt! < revertSwitch!.at + 0.05);
    expect(toDemoted.length).toBe(m.writesToDemoted);
    expect(r.writesToDemotedIds).toEqual(toDemoted.slice(0, 100).map((l) => l.id));
    // Those acknowledgements are real: east holds each of those events where its acknowledgement said.
    const { east } = testLabConnections(15_000);
    try {
      const onEast = new Map<string, string>();
      for (const rec of await readTopic(east, 'failover.probe', { from: (p) => Math.max(p.earliest, p.latest - 20_000) })) {
        const id = rec.headers['event-id']?.toString();
        if (id?.startsWith(`${r.runId}-s`)) onEast.set(id, `${rec.partition}:${rec.offset}`);
      }
      for (const l of toDemoted.slice(0, 100)) expect(onEast.get(l.id), l.id).toBe(`${l.partition}:${l.offset}`);
    } finally {
      await east.close();
    }
    // The probe's consumer met the stale events on failover.probe and left them out of its figures.
    expect(st.receipts).toBeGreaterThan(0);
    expect(m.events.created).toBe(probeLines(r).filter((l) => !l.stale).length);
    expect(readFileSync(r.files.markdown, 'utf8')).toContain(`| writes to the demoted cluster | ${m.writesToDemoted} (promote left east at`);

    const md = readFileSync(r.files.markdown, 'utf8');
    expect(md).toContain(`| write downtime | ${(m.writeDowntimeMs / 1000).toFixed(2)} s`);
    const transcript = readFileSync(r.files.transcript, 'utf8');
    expect(transcript).toContain(r.files.html);
    expect(transcript).toContain(r.files.markdown);
    const verify = await cli(['transcript', 'verify', r.files.transcript]);
    expect(verify.exitCode, verify.all).toBe(0);

    // The HTML report: loads with no console error, and its timeline is captured.
    const profile = mkdtempSync(join(tmpdir(), 'failover-chromium-'));
    const flags = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`];
    const url = `file://${r.files.html}`;
    const dom = await execa('chromium', [...flags, '--enable-logging=stderr', '--v=0', '--dump-dom', url], { reject: false, timeout: 90_000 });
    expect(dom.exitCode, dom.stderr).toBe(0);
    expect(dom.stdout).toContain('<svg');
    expect(dom.stdout).toContain('write downtime');
    expect(dom.stderr).not.toMatch(/CONSOLE\(|Uncaught|Failed to load resource|net::ERR_/);
    const shot = join(rb.dir, 'timeline.png');
    const png = await execa('chromium', [...flags, '--window-size=1200,1500', `--screenshot=${shot}`, url], { reject: false, timeout: 90_000 });
    expect(png.exitCode, png.stderr).toBe(0);
    expect(statSync(shot).size).toBeGreaterThan(20_000);
    process.stderr.write(`[drill] planned: ${JSON.stringify({ writeDowntimeMs: Math.round(m.writeDowntimeMs), readDowntimeMs: Math.round(m.readDowntimeMs), lost: m.lost, duplicates: m.duplicates, predictedReplay: m.predictedReplay, reorderings: m.reorderings })}; screenshot ${shot}\n`);

    const check = await cli(['check', rb.path, '--gate', 'rollback', '--transcripts', rb.transcripts, '--json']);
    const scorecard = JSON.parse(check.stdout) as { gates: { gate: string; score: number }[] };
    expect(scorecard.gates.find((g) => g.gate === 'rollback')?.score, check.all).toBe(2);
  }, DRILL_TIMEOUT);

  it('planned on the secure lab with revert: east is fenced before the switch, so the stale client (orders-svc on east\'s address), acknowledged by east until the fence, gets 0 writes acknowledged by east after the switch', async () => {
    const rb = drillRunbook({ secure: true });
    const { exitCode, result: r } = await drill(rb, 'planned');
    expect(r.completed, explain(r)).toBe(true);
    expect(r.actions.map((a) => [a.action, a.outcome])).toEqual([['promote', 'ok'], ['revert', 'ok']]);
    const promote = r.actions[0]!.steps.filter((x) => x.status === 'applied').map((x) => x.step);
    expect(promote).toEqual(['fence-writes', 'wait-replication', 'translate-offsets', 'switch-route', 'verify']);
    const m = r.measurement;
    const st = m.stale!;
    expect(r.probe.stale).toMatchObject({ cluster: 'east', topic: 'orders', principal: 'User:orders-svc' });
    expect(st.switches.map((x) => [x.action, x.demoted])).toEqual([['promote', 'east'], ['revert', 'west']]);
    // It really wrote to east, and the fence refused it from then on: the 0 below is the fence's doing.
    expect(st.ackedBeforeSwitch, JSON.stringify(st)).toBeGreaterThan(0);
    expect(st.errorsByKind.fenced ?? 0, JSON.stringify(st)).toBeGreaterThan(0);
    expect(m.writesToDemoted, JSON.stringify(r.writesToDemotedIds)).toBe(0);
    expect(r.expectations.find((x) => x.name === 'maxWritesToDemoted')).toMatchObject({ ok: true, actual: 0, limit: 0 });
    expect(st.lost).toBe(0);
    expect(m.lost).toBe(0);
    expect(r.breached, explain(r)).toEqual([]);
    expect(exitCode).toBe(0);
    process.stderr.write(`[drill] secure planned: ${JSON.stringify({ writeDowntimeMs: Math.round(m.writeDowntimeMs), lost: m.lost, stale: { acked: st.acked, ackedBeforeSwitch: st.ackedBeforeSwitch, errorsByKind: st.errorsByKind, writesToDemoted: st.writesToDemoted } })}\n`);
  }, DRILL_TIMEOUT);

  it('primary-down with revert, the lab promote whole (its verify too): the verdict holds, a real loss is counted exactly, event by event, while east is dead', async () => {
    const rb = drillRunbook({ crossCheck: true });
    const { exitCode, result: r } = await drill(rb, 'primary-down');
    expect(r.completed, explain(r)).toBe(true);
    // The verify step ran and passed: the dead east was declared down for the promote, reported, not scored 0.
    const promote = r.actions.find((a) => a.action === 'promote')!;
    expect(promote.steps.filter((x) => x.status === 'verified').map((x) => x.step)).toContain('verify');
    expect(promote.outcome).toBe('ok');
    // The verdict against the scenario's bounds, not only "completed".
    expect(r.breached, explain(r)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(exitCode).toBe(0);
    const stem = r.files.transcript.replace(/\.jsonl$/, '');
    expect(existsSync(`${stem}.crosscheck.json`), 'the recover command ran the independent count').toBe(true);
    const independent = JSON.parse(readFileSync(`${stem}.crosscheck.json`, 'utf8')) as { acked: number; absent: number; absentIds: string[] };
    const atSwitch = r.measurement.reads.find((x) => x.label === 'switch')!;
    expect(independent.acked, 'the independent count looked up acknowledged events on west').toBeGreaterThan(0);
    expect(atSwitch.cluster).toBe('west');
    // Killing east while the probe writes 200 events/s always strands some on it: a loss of 0 here would mean nothing was measured.
    expect(independent.absent, 'events east acknowledged and took down with it').toBeGreaterThan(0);
    expect(atSwitch.lost).toBe(independent.absent);
    // lostEventIds also holds what the home read after the revert finds missing, so the switch's ids are a subset.
    expect([...r.lostEventIds].sort()).toEqual(expect.arrayContaining([...independent.absentIds].sort()));
    // The RPO counts the events the independent count found missing, over a real span of time.
    expect(r.measurement.rpo.events).toBe(independent.absent);
    expect(r.measurement.rpo.seconds).toBeGreaterThan(0);
    expect(readFileSync(r.files.markdown, 'utf8')).toMatch(/\| RPO \| \d+ events, \d+\.\d\d s \|/);
    process.stderr.write(`[drill] primary-down: ${JSON.stringify({ writeDowntimeMs: Math.round(r.measurement.writeDowntimeMs), lost: r.measurement.lost, independent: independent.absent, acked: independent.acked, rpo: r.measurement.rpo, duplicates: r.measurement.duplicates })}\n`);
  }, DRILL_TIMEOUT);

  it('primary-hung with revert, the lab promote whole: the verdict holds, and every call against the paused broker gave up at the runbook timeout', async () => {
    const rb = drillRunbook();
    const { exitCode, result: r, ms } = await drill(rb, 'primary-hung');
    expect(r.completed, explain(r)).toBe(true);
    expect(r.breached, explain(r)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(exitCode).toBe(0);
    const promote = r.actions.find((a) => a.action === 'promote')!;
    expect(promote.outcome).toBe('ok');
    expect(promote.steps.filter((x) => x.status === 'verified').map((x) => x.step)).toContain('verify');
    // The paused east is asked once per command, within the runbook's request timeout (15 s here): the promote's
    // own time stays within a few of them, far from its stopWhen.maxDuration (10 minutes) and the drill's deadline.
    expect(promote.ms).toBeLessThan(150_000);
    expect(ms).toBeLessThan(DRILL_TIMEOUT - 60_000);
    expect(r.faults.map((f) => [f.label, f.ok])).toEqual([['inject', true], ['recover', true]]);
    const status = await cli(['lab', 'status', '--dir', TEST_LAB.dir, '--json']);
    const st = JSON.parse(status.stdout) as { processes: { name: string; state: string }[] };
    expect(st.processes.find((p) => p.name === 'east')?.state).toBe('running');
    process.stderr.write(`[drill] primary-hung: ${JSON.stringify({ ms, promoteMs: Math.round(promote.ms), writeDowntimeMs: Math.round(r.measurement.writeDowntimeMs), lost: r.measurement.lost, duplicates: r.measurement.duplicates })}\n`);
  }, DRILL_TIMEOUT);

  it('primary-down on the secure lab: the promote records east\'s fence as pending, the drill applies it through east\'s controllers while east restarts, and east acknowledges no write after the switch', async () => {
    const rb = drillRunbook({ secure: true });
    const { exitCode, result: r } = await drill(rb, 'primary-down');
    expect(r.completed, explain(r)).toBe(true);
    expect(r.actions.map((a) => [a.action, a.outcome])).toEqual([['promote', 'ok'], ['fence', 'ok'], ['revert', 'ok']]);
    const promote = r.actions[0]!;
    expect(promote.steps.find((x) => x.step === 'fence-writes' && x.status === 'verified')?.summary).toMatch(/the fence of east is pending/);
    const fence = r.actions[1]!;
    expect(fence.steps.find((x) => x.step === 'fence-writes' && x.status === 'applied')?.summary).toMatch(/wrote \d+ DENY WRITE ACL\(s\) to its controllers/);
    const st = r.measurement.stale!;
    // East acknowledged the stale client before it died (so the 0 below is the fence's doing), and refused it after.
    expect(st.ackedBeforeSwitch, JSON.stringify(st)).toBeGreaterThan(0);
    expect(st.errorsByKind.fenced ?? 0, JSON.stringify(st)).toBeGreaterThan(0);
    expect(r.measurement.writesToDemoted, JSON.stringify(r.writesToDemotedIds)).toBe(0);
    expect(r.breached, explain(r)).toEqual([]);
    expect(exitCode).toBe(0);
    process.stderr.write(`[drill] secure primary-down: ${JSON.stringify({ lost: r.measurement.lost, stale: { ackedBeforeSwitch: st.ackedBeforeSwitch, errorsByKind: st.errorsByKind, writesToDemoted: st.writesToDemoted } })}\n`);
  }, DRILL_TIMEOUT);

  it('accuracy: a scenario that pauses the probe producer for 4 s through the control file measures a write downtime within 200 ms of it', async () => {
    const rb = drillRunbook({
      scenarios: {
        'probe-pause': {
          kind: 'custom',
          description: 'the probe producer stops for 4 s (the accuracy hook)',
          fault: { inject: ['sh', '-c', 'printf "pause 4s\\n" > "${0%.jsonl}.probe-control"', '{{transcript.path}}'] },
          dwell: '6s',
        },
      },
    });
    const { result: r } = await drill(rb, 'probe-pause');
    expect(r.completed, explain(r)).toBe(true);
    expect(r.timeline.markers.some((mk) => mk.kind === 'control' && /paused for 4000 ms/.test(mk.label))).toBe(true);
    const m = r.measurement;
    process.stderr.write(`[drill] accuracy: write downtime ${m.writeDowntimeMs.toFixed(1)} ms for a 4000 ms pause; gaps ${JSON.stringify(m.writeGaps.map((g) => Math.round(g.ms)))}\n`);
    expect(Math.abs(m.writeDowntimeMs - 4000)).toBeLessThanOrEqual(200);
  }, DRILL_TIMEOUT);

  it('a breached expectation exits 1 and names it', async () => {
    const rb = drillRunbook({
      scenarios: { strict: { kind: 'planned', description: 'planned, with a write downtime bound no switch can meet', expect: { maxWriteDowntimeSeconds: 0.001 } } },
    });
    const junit = join(rb.dir, 'drill.xml');
    const t0 = Date.now();
    const r = await cli(['drill', rb.path, '--scenario', 'strict', '--revert', '--yes', '--transcripts', rb.transcripts, '--junit', junit], { timeoutMs: DRILL_TIMEOUT - 20_000 });
    expect(r.exitCode, r.all).toBe(1);
    expect(r.stdout).toMatch(/FAIL breached: maxWriteDowntimeSeconds/);
    expect(r.stdout).toMatch(/breached maxWriteDowntimeSeconds: write downtime \d+(\.\d+)? s, above the bound of 0\.001 s/);
    expect(readFileSync(junit, 'utf8')).toMatch(/<testcase [^>]*name="maxWriteDowntimeSeconds"[^>]*><failure message="maxWriteDowntimeSeconds: write downtime/);
    process.stderr.write(`[drill] breach run took ${Date.now() - t0} ms\n`);
  }, DRILL_TIMEOUT);
});
