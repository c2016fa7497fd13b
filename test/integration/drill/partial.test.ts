import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DrillResult } from '../../../src/drill/result.js';
import { aclKey, listAcls } from '../../../src/kafka/acls.js';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { fetchGroupOffsets } from '../../../src/kafka/groups.js';
import { labPaths } from '../../../src/lab/labConfig.js';
import { readState } from '../../../src/lab/labState.js';
import { TLS_SCRAM512_LAB as LAB, cli, eventually, resetPairState, startProfileLab, testLabConnections } from '../labHarness.js';
import { tempDir } from '../gates/checkHarness.js';
import { testProducer } from '../testClients.js';

/**
 * Partial failures on the production-shaped lab (`lab up --brokers 3 --tls
 * --sasl scram-sha-512`), with the runbook the lab writes for its shape: one
 * broker of the primary lost (broker-down), and the replication link lost
 * while a promote waits for it (link-down). Before them, the plain promote,
 * revert and planned drill on the same lab.
 */
const paths = labPaths(LAB.dir);
const route = join(paths.route, 'orders.properties');
const GROUPS = ['billing', 'shipping'];

/**
 * The lab's runbook with what a loaded 2-core test machine needs (requests
 * may take longer than the lab's 5 s), written beside it so that its
 * relative paths (passwords, CA, route) resolve; `edit` changes more.
 */
function variant(name: string, edit: (text: string) => string = (t) => t): string {
  const text = readFileSync(paths.runbook, 'utf8').replaceAll('timeouts: { requestTimeout: 5s, connectionTimeout: 3s }', 'timeouts: { requestTimeout: 15s, connectionTimeout: 5s }');
  const f = join(LAB.dir, `it-${name}.yaml`);
  writeFileSync(f, edit(text));
  return f;
}

async function phaseOf(runbook: string): Promise<{ phase: string; lock: string }> {
  const r = await cli(['status', runbook], { timeoutMs: 120_000 });
  expect(r.exitCode, r.all).toBe(0);
  return { phase: /^phase: +(\S+)/m.exec(r.stdout)?.[1] ?? '?', lock: /^lock: +(.+)$/m.exec(r.stdout)?.[1] ?? '?' };
}

async function westOffsets(west: KafkaConnection): Promise<string> {
  const m = await fetchGroupOffsets(west, GROUPS);
  return JSON.stringify(GROUPS.map((g) => m.get(g)));
}

async function fenceAcls(conn: KafkaConnection): Promise<string[]> {
  return (await listAcls(conn)).filter((a) => a.permission === 'DENY').map(aclKey).sort();
}

interface Entry {
  type: string;
  step?: string;
  index?: number;
  criterion?: string;
  reason?: string;
  status?: string;
  check?: string;
  finding?: string;
  plan?: { lag?: { totalLag: number } };
}

function entries(file: string): Entry[] {
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Entry);
}

function transcriptsOf(dir: string, action: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith(`-${action}.jsonl`)).map((f) => join(dir, f)).sort();
}

async function drill(runbook: string, scenario: string, transcripts: string, extra: string[] = []): Promise<{ exitCode: number; result: DrillResult; all: string }> {
  const r = await cli(['drill', runbook, '--scenario', scenario, '--yes', '--json', '--transcripts', transcripts, ...extra], { timeoutMs: 900_000 });
  try {
    return { exitCode: r.exitCode, result: JSON.parse(r.stdout) as DrillResult, all: r.all };
  } catch {
    throw new Error(`drill ${scenario}: no JSON on stdout (exit ${r.exitCode}):\n${r.all}`);
  }
}

/** The drill's figures, for the log: what the clients felt. */
function figures(r: DrillResult): string {
  const m = r.measurement;
  return `${r.scenario.name}: ok ${r.ok}, write downtime ${(m.writeDowntimeMs / 1000).toFixed(1)} s, read downtime ${(m.readDowntimeMs / 1000).toFixed(1)} s, acked ${m.events.acked} (failed ${m.events.failed}), lost ${m.lost}, duplicates ${m.duplicates}, writes to demoted ${m.writesToDemoted ?? '-'}, breached [${r.breached.join(', ')}], ${(r.durationMs / 1000).toFixed(0)} s`;
}

function explain(r: DrillResult): string {
  return JSON.stringify({ problem: r.problem, breached: r.breached, phases: r.phases, actions: r.actions.map((a) => ({ action: a.action, outcome: a.outcome, summary: a.summary })), errors: r.errors.slice(0, 5) }, null, 1);
}

describe('partial failures on the production-shaped lab (3 brokers, TLS, SCRAM-SHA-512)', () => {
  let stop: () => Promise<void> = async () => {};
  const eastRoute = () => `bootstrap.servers=127.0.0.1:${LAB.eastPort},127.0.0.1:${LAB.eastPort + 3},127.0.0.1:${LAB.eastPort + 6}\n`;

  beforeAll(async () => {
    stop = await startProfileLab(LAB);
    await resetPairState(LAB);
  }, 900_000);
  afterAll(async () => stop(), 120_000);

  it('promote, then revert, over TLS and SCRAM-SHA-512: the route moves to west and back, the pair ends steady', async () => {
    const rb = variant('promote');
    const tx = tempDir('failover-partial-');
    expect(readFileSync(route, 'utf8')).toBe(eastRoute());
    const p = await cli(['promote', rb, '--yes', '--transcripts', tx], { timeoutMs: 300_000 });
    expect(p.exitCode, p.all).toBe(0);
    expect(readFileSync(route, 'utf8')).toContain(`127.0.0.1:${LAB.westPort}`);
    expect((await phaseOf(rb)).phase).toBe('promoted');
    const r = await cli(['revert', rb, '--yes', '--transcripts', tx], { timeoutMs: 300_000 });
    expect(r.exitCode, r.all).toBe(0);
    expect(readFileSync(route, 'utf8')).toBe(eastRoute());
    expect(await phaseOf(rb)).toEqual({ phase: 'steady', lock: 'free' });
  }, 700_000);

  it('drill planned --revert with the lab runbook: completes, loses nothing, the fence keeps the stale orders-svc off east', async () => {
    const tx = tempDir('failover-partial-');
    const { exitCode, result: r } = await drill(variant('planned'), 'planned', tx, ['--revert']);
    process.stderr.write(`[partial] planned ${figures(r)}\n`);
    expect(r.completed, explain(r)).toBe(true);
    expect(r.actions.map((a) => [a.action, a.outcome])).toEqual([['promote', 'ok'], ['revert', 'ok']]);
    expect(r.measurement.lost).toBe(0);
    expect(r.probe.stale).toMatchObject({ topic: 'orders', principal: 'User:orders-svc' });
    expect(r.measurement.writesToDemoted).toBe(0);
    expect(exitCode, explain(r)).toBe(r.ok ? 0 : 1);
    expect(readFileSync(route, 'utf8')).toBe(eastRoute());
  }, 900_000);

  it('broker-down: east-2 is killed; clients ride through, the promote it runs sees east degraded (warn, not block), nothing is lost, and east-2 comes back', async () => {
    const tx = tempDir('failover-partial-');
    const { result: r } = await drill(variant('broker-down'), 'broker-down', tx, ['--revert']);
    process.stderr.write(`[partial] broker-down ${figures(r)}\n`);
    expect(r.completed, explain(r)).toBe(true);
    expect(r.scenario.kind).toBe('broker-down');
    expect(r.faults.map((f) => [f.label, f.ok])).toEqual([['inject', true], ['recover', true]]);
    expect(r.faults[0]!.argv.slice(-4)).toEqual(['kill', 'east-2', '--dir', '.']);
    expect(r.actions.map((a) => [a.action, a.outcome])).toEqual([['promote', 'ok'], ['revert', 'ok']]);
    // acks=all with replication factor 3 and min.insync.replicas 2: one node lost loses nothing acknowledged.
    expect(r.measurement.lost).toBe(0);
    expect(r.measurement.events.ackedBy.east ?? 0).toBeGreaterThan(0);
    // What check said while east-2 was down: the promote's own gates, in its transcript.
    const promote = r.actions[0]!.transcript!;
    const health = entries(promote).filter((e) => e.type === 'check' && e.check === 'compatibility.partition-health');
    expect(health.length, promote).toBeGreaterThan(0);
    expect(health[0]!.status, health[0]!.finding).toBe('warn');
    expect(health[0]!.finding).toMatch(/east/);
    expect(health[0]!.finding).toMatch(/under-replicated/);
    // The recover restarted east-2: every node runs again.
    const s = await cli(['lab', 'status', '--dir', LAB.dir, '--json']);
    const d = JSON.parse(s.stdout) as { processes: { name: string; state: string }[] };
    expect(d.processes.filter((p) => p.state !== 'running').map((p) => p.name)).toEqual([]);
  }, 900_000);

  it('link-down as the lab runbook drills it: MM2 killed inside the promote, before its fence; the promote stops in its wait (exit 3), abort brings the pair back, nothing lost', async () => {
    const tx = tempDir('failover-partial-');
    const { east, west } = testLabConnections(15_000, LAB);
    try {
      const routeBefore = readFileSync(route, 'utf8');
      const offsetsBefore = await westOffsets(west);
      const { result: r } = await drill(variant('link-down-drill'), 'link-down', tx);
      process.stderr.write(`[partial] link-down drill ${figures(r)}\n`);
      expect(r.completed, explain(r)).toBe(true);
      expect(r.scenario.kind).toBe('link-down');
      expect(r.actions.map((a) => [a.action, a.outcome, a.exitCode])).toEqual([['promote', 'stopped', 3], ['abort', 'ok', 0]]);
      expect(r.faults.map((f) => [f.label, f.ok])).toEqual([['inject', true], ['recover', true]]);
      // The fault landed inside the promote: after its fence was planned, before the fence applied.
      const steps = r.actions[0]!.steps;
      const fencePlanned = steps.find((x) => x.step === 'fence-writes' && x.status === 'planned')!;
      const fenceApplied = steps.find((x) => x.step === 'fence-writes' && x.status === 'applied')!;
      expect(r.faults[0]!.at).toBeGreaterThanOrEqual(fencePlanned.at);
      expect(r.faults[0]!.at).toBeLessThan(fenceApplied.at);
      const log = entries(r.actions[0]!.transcript!);
      const wait = log.find((e) => e.type === 'step-planned' && e.step === 'wait-replication')!;
      expect(wait.plan?.lag?.totalLag, 'the stale client wrote orders the dead link could not carry').toBeGreaterThan(0);
      expect(log.find((e) => e.type === 'stopped')).toMatchObject({ criterion: 'lagSecondsAbove', index: wait.index });
      expect(log.filter((e) => e.type === 'step-applied').map((e) => e.step)).toEqual(['fence-writes']);
      // Nothing switched, and the abort left nothing behind.
      expect(readFileSync(route, 'utf8')).toBe(routeBefore);
      expect(await westOffsets(west)).toBe(offsetsBefore);
      expect(await fenceAcls(east)).toEqual([]);
      expect(await phaseOf(paths.runbook)).toEqual({ phase: 'steady', lock: 'free' });
      expect(r.measurement.lost).toBe(0);
      expect(r.measurement.events.ackedBy.west ?? 0, 'the probe never left east').toBe(0);
    } finally {
      await Promise.all([east.close(), west.close()]);
    }
  }, 900_000);

  it('link-down: MirrorMaker 2 dies while the promote waits for replication; the promote stops (exit 3), nothing switched; abort brings the pair back to steady with the fence removed', async () => {
    // The wait-replication timeout is 2m; the stop criterion must fire first, and the offsets gate must
    // still pass with the records the hung link holds back (a loaded machine takes half a minute for the gates).
    const rb = variant('link-down', (t) =>
      t.replace('maxLagSeconds: 10,', 'maxLagSeconds: 120,').replace('stopWhen: { lagSecondsAbove: 60, maxDuration: 10m }', 'stopWhen: { lagSecondsAbove: 75, maxDuration: 10m }'),
    );
    const tx = tempDir('failover-partial-');
    const { east, west } = testLabConnections(15_000, LAB);
    const mm2 = readState(paths.state)!.processes.mm2!.pid;
    let up: Awaited<ReturnType<typeof cli>> | undefined;
    try {
      const routeBefore = readFileSync(route, 'utf8');
      const offsetsBefore = await westOffsets(west);
      expect(await fenceAcls(east)).toEqual([]);
      // The link hangs first (SIGSTOP), so records written now are on east alone when the promote
      // plans its wait: there is something to wait for, whatever the machine's speed.
      process.kill(mm2, 'SIGSTOP');
      const p = testProducer(east);
      await p.send({ topic: 'orders', messages: Array.from({ length: 20 }, (_, i) => ({ key: `k${i}`, value: `link-down ${i}` })) });
      await p.close();

      const promote = cli(['promote', rb, '--yes', '--transcripts', tx], { timeoutMs: 400_000 });
      // The promote reached its wait with lag: MM2 is killed now, while the wait polls.
      const planned = await eventually('the promote plans wait-replication', 300_000, async () => {
        const f = transcriptsOf(tx, 'promote')[0];
        return f ? entries(f).find((e) => e.type === 'step-planned' && e.step === 'wait-replication') : undefined;
      });
      expect(planned.plan?.lag?.totalLag).toBeGreaterThan(0);
      const k = await cli(['lab', 'kill', 'mm2', '--dir', LAB.dir]);
      expect(k.exitCode, k.all).toBe(0);

      const r = await promote;
      expect(r.exitCode, r.all).toBe(3);
      const log = entries(transcriptsOf(tx, 'promote')[0]!);
      const stopped = log.find((e) => e.type === 'stopped');
      expect(stopped, JSON.stringify(log.slice(-3))).toMatchObject({ criterion: 'lagSecondsAbove', index: planned.index });
      expect(log.filter((e) => e.type === 'step-applied').map((e) => e.step)).toEqual(['fence-writes']);
      // Nothing switched: the route and the groups' offsets on west are as they were.
      expect(readFileSync(route, 'utf8')).toBe(routeBefore);
      expect(await westOffsets(west)).toBe(offsetsBefore);
      // east is fenced, as the promote left it.
      expect(await fenceAcls(east)).toEqual(['DENY User:orders-svc Write Topic:orders from *', 'DENY User:orders-svc Write Topic:payments from *']);
      expect((await phaseOf(rb)).phase).toBe('promoting');

      const ab = await cli(['abort', rb, '--yes', '--transcripts', tx], { timeoutMs: 300_000 });
      expect(ab.exitCode, ab.all).toBe(0);
      expect(await phaseOf(rb)).toEqual({ phase: 'steady', lock: 'free' });
      expect(await fenceAcls(east)).toEqual([]);
      expect(await fenceAcls(west)).toEqual([]);
      expect(readFileSync(route, 'utf8')).toBe(routeBefore);
      expect(await westOffsets(west)).toBe(offsetsBefore);
    } finally {
      try {
        process.kill(mm2, 'SIGCONT');
      } catch {
        // killed already
      }
      await Promise.all([east.close(), west.close()]);
      // MirrorMaker 2 back for whatever runs next; checked after the body, so that its own failure is the one reported.
      up = await cli(['lab', 'up', '--dir', LAB.dir], { timeoutMs: 600_000 });
    }
    expect(up?.exitCode, up?.all).toBe(0);
  }, 900_000);
});
