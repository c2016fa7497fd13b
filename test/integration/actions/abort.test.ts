import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RunbookConnections } from '../../../src/engine/connections.js';
import { acquireLock } from '../../../src/engine/lock.js';
import { PairStore } from '../../../src/engine/state.js';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { loadRunbookOrThrow } from '../../../src/runbook/load.js';
import { parseTranscript } from '../../../src/transcript/reader.js';
import { SECURE_LAB, cli, resetPairState } from '../labHarness.js';
import { connectAs, newestTranscript, pairSnapshot, preparedRunbook, routeTo, type RunbookOptions, type TestRunbook } from './actionLab.js';

/**
 * `failover abort` (issue: no way back). A pair left promoting, reverting or
 * continuing goes back to where that action started: the applied steps are
 * undone in reverse, from the stuck run's own transcript, so that neither a
 * stop criterion, a failing step, an edited runbook nor a killed process
 * can trap the pair in a half-done switch.
 */
const FENCE = 'fence-writes: { cluster: primary }';
const DRAIN = 'wait-replication: { maxLagRecords: 0, timeout: 1m }';
const TRANSLATE = 'translate-offsets: {}';
const SWITCH = 'switch-route: { to: secondary }';
const node = process.execPath.replace(/\\/g, '/');
const failing = (code: number) => `run: { command: [${JSON.stringify(node)}, -e, "process.exit(${code})"], timeout: 30s }`;

describe('failover abort takes a half-done action back, from its transcript', () => {
  let admin: { east: KafkaConnection; west: KafkaConnection };
  beforeAll(() => {
    admin = { east: connectAs(SECURE_LAB, 'east'), west: connectAs(SECURE_LAB, 'west') };
  });
  beforeEach(() => resetPairState(SECURE_LAB));
  afterAll(async () => {
    await admin.east.close();
    await admin.west.close();
  });

  const run = (rb: TestRunbook, args: string[], env: NodeJS.ProcessEnv = {}) =>
    cli([...args, '--transcripts', join(rb.dir, 'transcripts')], { env: { ...rb.env, ...env }, timeoutMs: 300_000 });
  const phaseOf = async (rb: TestRunbook) => {
    const r = await cli(['status', rb.path, '--json'], { env: rb.env, timeoutMs: 120_000 });
    return JSON.parse(r.stdout) as { phase: { phase: string }; writer: string; locks: { holder: unknown }[]; fences: unknown[] };
  };
  /** What an action may change on the pair and the route; the state topic aside (abort writes the phase). */
  const world = async (rb: TestRunbook) => {
    const s = await pairSnapshot(rb, admin);
    return { acls: s.acls, offsets: s.offsets, route: s.route };
  };
  const prepared = (opts: RunbookOptions) => preparedRunbook(SECURE_LAB, admin, { groups: 2, ...opts });

  it('a promote stopped by a stop criterion (exit 3) leaves east fenced and the route on east; revert refuses; abort restores it', async () => {
    // The criterion fires while the step after the fence waits: the promote's gates and plan take well under 25 s.
    const rb = await prepared({ promote: [FENCE, 'wait: { duration: 90s }', DRAIN, TRANSLATE, SWITCH], stopWhen: '{ maxDuration: 25s }' });
    const before = await world(rb);
    const p = await run(rb, ['promote', rb.path, '--yes']);
    expect(p.exitCode, p.all).toBe(3);
    expect(p.stderr).toContain('the action has run longer than 25 s');
    expect(p.stderr).toContain(`failover abort ${rb.path}`);
    // The outage the stop left: east fenced, the route still on east.
    const stuck = await world(rb);
    expect(stuck.acls.east.length).toBeGreaterThan(before.acls.east.length);
    expect(stuck.route).toBe(before.route);
    expect((await phaseOf(rb)).phase.phase).toBe('promoting');
    const revert = await run(rb, ['revert', rb.path, '--yes']);
    expect(revert.exitCode).toBe(2);
    expect(revert.stderr).toContain('failover abort');

    const plan = await run(rb, ['abort', rb.path, '--dry-run', '--json']);
    expect(plan.exitCode, plan.all).toBe(0);
    expect((JSON.parse(plan.stdout) as { steps: { label?: string }[] }).steps.map((s) => s.label)).toEqual(['undo fence-writes']);

    const a = await run(rb, ['abort', rb.path, '--yes']);
    expect(a.exitCode, a.all).toBe(0);
    expect(await world(rb)).toEqual(before);
    const s = await phaseOf(rb);
    expect(s.phase.phase).toBe('steady');
    expect(s.writer).toBe('east');
    expect(s.locks.every((l) => l.holder === null)).toBe(true);
    // The pair can be promoted again.
    expect((await run(rb, ['promote', rb.path, '--dry-run'])).exitCode).toBe(0);
  }, 900_000);

  it('a promote whose last step fails after the switch: resume refuses the edited runbook; abort undoes route, offsets and fence from the transcript', async () => {
    const rb = await prepared({ promote: [FENCE, DRAIN, TRANSLATE, SWITCH, failing(4)] });
    const before = await world(rb);
    const p = await run(rb, ['promote', rb.path, '--yes']);
    expect(p.exitCode, p.all).toBe(1);
    expect((await world(rb)).route).toContain(routeTo(rb, 'west'));
    // Fixing the failing command edits the runbook: the recorded run refuses to resume with it, and says abort does not need it.
    writeFileSync(rb.path, readFileSync(rb.path, 'utf8').replace('process.exit(4)', 'process.exit(0)'));
    const resumed = await run(rb, ['promote', rb.path, '--yes', '--resume', newestTranscript(join(rb.dir, 'transcripts'), rb.name, 'promote')]);
    expect(resumed.exitCode).toBe(2);
    expect(resumed.stderr).toContain('changed since');
    expect(resumed.stderr).toContain('failover abort');

    const a = await run(rb, ['abort', rb.path, '--yes']);
    expect(a.exitCode, a.all).toBe(0);
    expect(a.stderr).toContain('step 5 (run) was applied and cannot be undone by failover');
    expect(await world(rb)).toEqual(before);
    const entries = parseTranscript(readFileSync(newestTranscript(join(rb.dir, 'transcripts'), rb.name, 'abort'), 'utf8')).entries;
    const undone = entries.filter((e) => e.type === 'step-verified').map((e) => `${(e as unknown as { step: string }).step}: ${(e as unknown as { status: string }).status}`);
    expect(undone).toEqual(['undo switch-route: pass', 'undo translate-offsets: pass', 'undo fence-writes: pass']);
    expect((await phaseOf(rb)).phase.phase).toBe('steady');
  }, 900_000);

  it('a revert that fails half-way goes back to promoted: east fenced again, the route on west', async () => {
    const rb = await prepared({ promote: [FENCE, DRAIN, TRANSLATE, SWITCH], revert: ['unfence-writes: { cluster: primary }', 'switch-route: { to: primary }', failing(5)] });
    expect((await run(rb, ['promote', rb.path, '--yes'])).exitCode).toBe(0);
    const promoted = await world(rb);
    const r = await run(rb, ['revert', rb.path, '--yes']);
    expect(r.exitCode, r.all).toBe(1);
    expect((await phaseOf(rb)).phase.phase).toBe('reverting');
    const a = await run(rb, ['abort', rb.path, '--yes']);
    expect(a.exitCode, a.all).toBe(0);
    expect(await world(rb)).toEqual(promoted);
    const s = await phaseOf(rb);
    expect(s.phase.phase).toBe('promoted');
    expect(s.writer).toBe('west');
  }, 900_000);

  it('a promote killed mid-way keeps its lock; abort takes it over (once told the run is gone) and restores the pair', async () => {
    const rb = await prepared({ promote: [FENCE, DRAIN, TRANSLATE, SWITCH] });
    const before = await world(rb);
    const killed = await run(rb, ['promote', rb.path, '--yes'], { FAILOVER_TEST_CRASH_AFTER_APPLY: '2' });
    expect(killed.exitCode).not.toBe(0);
    expect((await phaseOf(rb)).locks.some((l) => l.holder !== null)).toBe(true);
    const a = await run(rb, ['abort', rb.path, '--yes']);
    expect(a.exitCode, a.all).toBe(0);
    expect(await world(rb)).toEqual(before);
    const s = await phaseOf(rb);
    expect(s.phase.phase).toBe('steady');
    expect(s.locks.every((l) => l.holder === null)).toBe(true);
    const entries = parseTranscript(readFileSync(newestTranscript(join(rb.dir, 'transcripts'), rb.name, 'abort'), 'utf8')).entries;
    expect(entries.some((e) => e.type === 'confirmed' && (e as unknown as { message: string }).message.includes('Take it over'))).toBe(true);
  }, 900_000);

  it('a lock left behind by a run that died before giving it back: other actions are refused and told of abort, which frees it and changes nothing else', async () => {
    const rb = await prepared({ promote: [TRANSLATE, SWITCH] });
    const before = await world(rb);
    // The lock as a run of this host leaves it when its process dies between its last phase change and the unlock.
    const loaded = await loadRunbookOrThrow(rb.path, { env: { ...process.env, ...rb.env } });
    const conns = new RunbookConnections(loaded.runbook);
    const store = await PairStore.open(loaded.runbook, (c) => conns.get(c));
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    try {
      await acquireLock(store, { runId: 'run-left-behind', action: 'promote', operator: 'ghost', host: hostname(), pid: gone, startedAt: new Date().toISOString(), transcript: '/nowhere/promote.jsonl' });
    } finally {
      await store.close();
      await conns.close();
    }
    const refused = await run(rb, ['promote', rb.path, '--yes']);
    expect(refused.exitCode, refused.all).toBe(2);
    expect(refused.all).toMatch(/locked by ghost/);
    expect(refused.all).toMatch(/failover abort/);

    const a = await run(rb, ['abort', rb.path, '--yes']);
    expect(a.exitCode, a.all).toBe(0);
    expect(a.all).toMatch(/lock .* is free again/);
    const s = await phaseOf(rb);
    expect(s.phase.phase).toBe('steady');
    expect(s.locks.every((l) => l.holder === null)).toBe(true);
    expect(await world(rb)).toEqual(before);
    const entries = parseTranscript(readFileSync(newestTranscript(join(rb.dir, 'transcripts'), rb.name, 'abort'), 'utf8')).entries;
    expect(entries.some((e) => e.type === 'confirmed' && (e as unknown as { message: string }).message.includes('did not give it back'))).toBe(true);

    // With the lock free and the pair steady, there is nothing left to abort.
    const again = await run(rb, ['abort', rb.path, '--yes']);
    expect(again.exitCode, again.all).toBe(2);
    expect(again.all).toMatch(/nothing to abort: the pair is steady/);
  }, 600_000);
});
