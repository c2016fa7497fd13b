import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { parseTranscript } from '../../../src/transcript/reader.js';
import { TEST_LAB, cli, repoRoot, resetPairState } from '../labHarness.js';
import { connectAs, onlyTranscript, prepareWorkload, seedWorkload, writeRoute, writeTestRunbook, type TestRunbook } from './actionLab.js';

/** The plain lab has no authorizer, so these runbooks move the route and the offsets without fencing. */
const NO_FENCE = ['wait-replication: { maxLagRecords: 0, timeout: 1m }', 'translate-offsets: {}', 'switch-route: { to: secondary }'];

describe('one action per runbook at a time; the phase decides which action may run', () => {
  let admin: { east: KafkaConnection; west: KafkaConnection };
  beforeAll(async () => {
    admin = { east: connectAs(TEST_LAB, 'east'), west: connectAs(TEST_LAB, 'west') };
  });
  beforeEach(() => resetPairState(TEST_LAB));
  afterAll(async () => {
    await admin.east.close();
    await admin.west.close();
  });

  async function fresh(promote = NO_FENCE): Promise<TestRunbook> {
    const rb = writeTestRunbook(TEST_LAB, { promote, revert: ['switch-route: { to: primary }', 'translate-offsets: { direction: reverse }'] });
    await prepareWorkload(rb, admin);
    await seedWorkload(rb, admin, 10);
    writeRoute(rb, 'east');
    return rb;
  }
  const run = (rb: TestRunbook, args: string[], env: NodeJS.ProcessEnv = {}) =>
    cli([...args, '--transcripts', join(rb.dir, 'transcripts')], { env: { ...rb.env, ...env }, timeoutMs: 300_000 });

  it('two concurrent promotes: exactly one proceeds, the other exits 2 naming the holder', async () => {
    const rb = await fresh(['wait: { duration: 4s }', ...NO_FENCE]);
    const [a, b] = await Promise.all([
      run(rb, ['promote', rb.path, '--yes'], { FAILOVER_OPERATOR: 'alice' }),
      run(rb, ['promote', rb.path, '--yes'], { FAILOVER_OPERATOR: 'bob' }),
    ]);
    const codes = [a.exitCode, b.exitCode].sort();
    expect(codes, `${a.all}\n----\n${b.all}`).toEqual([0, 2]);
    const [winner, loser] = a.exitCode === 0 ? ['alice', b] : ['bob', a];
    expect(loser.stderr).toMatch(new RegExp(`the pair is locked by ${winner} on \\S+ \\(pid \\d+\\), running promote of ${rb.name} since \\d{4}-\\d\\d-\\d\\dT`));
    expect(loser.stderr).toContain('hint:');
  });

  it('promote twice is refused; continue-forward makes west the primary in the recorded roles; revert then is refused', async () => {
    const rb = await fresh();
    expect((await run(rb, ['revert', rb.path, '--yes'])).exitCode).toBe(2);
    expect((await run(rb, ['continue-forward', rb.path, '--yes'])).exitCode).toBe(2);
    const p = await run(rb, ['promote', rb.path, '--yes']);
    expect(p.exitCode, p.all).toBe(0);
    const again = await run(rb, ['promote', rb.path, '--yes']);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain('promote needs the pair steady, and it is promoted');

    const cf = await run(rb, ['continue-forward', rb.path, '--yes']);
    expect(cf.exitCode, cf.all).toBe(0);
    const status = await cli(['status', rb.path, '--json', '--transcripts', join(rb.dir, 'transcripts')], { env: rb.env });
    expect(status.exitCode, status.all).toBe(0);
    const s = JSON.parse(status.stdout) as Record<string, unknown>;
    expect(s).toMatchObject({ phase: { phase: 'steady', roles: { primary: 'west', secondary: 'east' } }, writer: 'west', homeRoles: { primary: 'east' } });
    expect(s.lastTranscript).toMatchObject({ action: 'continue-forward', outcome: 'ok' });
    const human = await cli(['status', rb.path], { env: rb.env });
    expect(human.stdout).toMatch(/roles: +west primary, east secondary/);
    // The runbook file is never edited.
    expect(readFileSync(rb.path, 'utf8')).toContain('roles: { primary: east, secondary: west }');
    expect((await run(rb, ['revert', rb.path, '--yes'])).exitCode).toBe(2);

    // With west the primary, the next promote moves the route to east.
    const plan = await cli(['plan', rb.path, 'promote', '--json'], { env: rb.env });
    expect(plan.exitCode, plan.all).toBe(0);
    const steps = (JSON.parse(plan.stdout) as { steps: { type: string; plan: { to?: string; source?: string; target?: string } }[] }).steps;
    expect(steps.find((x) => x.type === 'switch-route')!.plan.to).toBe('east');
    expect(steps.find((x) => x.type === 'translate-offsets')!.plan).toMatchObject({ source: 'west', target: 'east' });
  });

  it('Ctrl-C stops at a safe point: exit 130, a resumable transcript, and --resume finishes', async () => {
    const rb = await fresh(['wait: { duration: 20s }', ...NO_FENCE]);
    const child = execa('node', [join(repoRoot, 'bin', 'failover.js'), 'promote', rb.path, '--yes', '--transcripts', join(rb.dir, 'transcripts')], {
      env: { ...process.env, ...rb.env, NO_COLOR: '1' },
      reject: false,
      all: true,
    });
    let out = '';
    child.all!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('phase -> promoting') && !child.killed) child.kill('SIGINT');
    });
    const r = await child;
    expect(r.exitCode, out).toBe(130);
    const path = onlyTranscript(join(rb.dir, 'transcripts'), rb.name);
    const entries = parseTranscript(readFileSync(path, 'utf8')).entries;
    expect(entries.find((e) => e.type === 'stopped')).toMatchObject({ resumable: true, reason: expect.stringContaining('interrupted') });
    expect(entries.at(-1)).toMatchObject({ type: 'run-finished', outcome: 'interrupted', exitCode: 130 });
    expect(out).toContain(`--resume ${path}`);
    const resumed = await run(rb, ['promote', rb.path, '--yes', '--resume', path]);
    expect(resumed.exitCode, resumed.all).toBe(0);
    expect(readFileSync(rb.routeFile, 'utf8')).toContain(`bootstrap.servers=127.0.0.1:${TEST_LAB.westPort}`);
  });
});
