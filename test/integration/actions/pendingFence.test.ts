import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { aclKey, listAcls } from '../../../src/kafka/acls.js';
import { describeCluster } from '../../../src/kafka/clusterInfo.js';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { fenceAcl } from '../../../src/steps/fenceAcls.js';
import { parseTranscript } from '../../../src/transcript/reader.js';
import { SECURE_LAB, cli, eventually, labUpArgs, resetPairState } from '../labHarness.js';
import { outcome, testProducer } from '../testClients.js';
import { connectAs, labPromote, newestTranscript, preparedRunbook, routeTo, type TestRunbook } from './actionLab.js';

/**
 * A promote with the primary down (issue: "a promote with the primary down
 * leaves it writable when it returns"). The fence that cannot be applied is
 * recorded as pending on the pair; every command that reaches the returned
 * cluster says so and fails; `failover fence` applies it; and a resume looks
 * at the live cluster, never at the evidence it recorded while it was down.
 */
describe('a fence that cannot be applied stays pending until it is, and nothing forgets it', () => {
  let admin: { east: KafkaConnection; west: KafkaConnection };
  let eastId: string;
  const lab = labPromote();
  beforeAll(async () => {
    admin = { east: connectAs(SECURE_LAB, 'east'), west: connectAs(SECURE_LAB, 'west') };
    eastId = (await describeCluster(admin.east)).clusterId;
  });
  beforeEach(() => resetPairState(SECURE_LAB));
  afterEach(async () => {
    // East always comes back, whatever the test did to it.
    const up = await cli(labUpArgs(SECURE_LAB), { timeoutMs: 420_000 });
    if (up.exitCode !== 0) throw new Error(`lab up failed:\n${up.all}`);
  }, 450_000);
  afterAll(async () => {
    await admin.east.close();
    await admin.west.close();
  });

  const run = (rb: TestRunbook, args: string[], env: NodeJS.ProcessEnv = {}) =>
    cli([...args, '--transcripts', join(rb.dir, 'transcripts')], { env: { ...rb.env, ...env }, timeoutMs: 300_000 });
  const status = async (rb: TestRunbook) => {
    const r = await cli(['status', rb.path, '--json'], { env: rb.env, timeoutMs: 120_000 });
    return { ...r, json: JSON.parse(r.stdout) as { phase: { phase: string }; fences: { cluster: string; pending?: { clusterAnswers: boolean } }[]; hazards: { severity: string; text: string }[] } };
  };
  /** One record written to east as the workload's producer: acknowledged, or refused with why. */
  async function writeAsOrdersSvc(topic: string): Promise<'acknowledged' | string> {
    const conn = connectAs(SECURE_LAB, 'east', 'orders-svc');
    const p = testProducer(conn);
    try {
      return await outcome(p.send({ topic, messages: [{ key: 'stale', value: 'written to the demoted primary' }] }));
    } finally {
      await p.close();
      await conn.close();
    }
  }
  const eastFenced = async (rb: TestRunbook) => {
    const keys = new Set((await listAcls(admin.east)).map(aclKey));
    return rb.topics.every((t) => keys.has(aclKey(fenceAcl('User:orders-svc', t))));
  };

  it('promote with east down: pending, flagged by status and check once east returns, applied by `failover fence`', async () => {
    // A production runbook declares its clusters' ids, so that the pair's state is found with either one down.
    const rb = await preparedRunbook(SECURE_LAB, admin, { ...lab, clusters: { east: { clusterId: eastId } } });
    const undeclared = await preparedRunbook(SECURE_LAB, admin, lab);
    expect((await cli(['lab', 'kill', 'east', '--dir', SECURE_LAB.dir])).exitCode).toBe(0);

    // With east down before the pair ever recorded anything, and no id in the runbook, the pair cannot be found: say how to fix it.
    const lost = await run(undeclared, ['promote', undeclared.path, '--yes', '--declare-down', 'east', '--declare-reason', 'killed']);
    expect(lost.exitCode, lost.all).toBe(2);
    expect(lost.stderr).toContain('declare clusters.east.clusterId in the runbook');

    // Without both locks, the promote is refused and names the flag.
    const refused = await run(rb, ['promote', rb.path, '--yes']);
    expect(refused.exitCode, refused.all).toBe(2);
    expect(refused.stderr).toContain('--declare-down east');
    expect(readFileSync(rb.routeFile, 'utf8')).toContain(routeTo(rb, 'east'));

    const p = await run(rb, ['promote', rb.path, '--yes', '--declare-down', 'east', '--declare-reason', 'east was killed by the test']);
    expect(p.exitCode, p.all).toBe(0);
    expect(readFileSync(rb.routeFile, 'utf8')).toContain(routeTo(rb, 'west'));
    const entries = parseTranscript(readFileSync(newestTranscript(join(rb.dir, 'transcripts'), rb.name), 'utf8')).entries;
    const fence = entries.find((e) => e.type === 'step-verified' && (e as unknown as { step: string }).step === 'fence-writes');
    expect(fence).toMatchObject({ status: 'warn', finding: expect.stringContaining('the fence of east is pending') });
    // The final verify judged the pair as the promote left it: the dead old primary is expected, not a score of 0.
    const verify = entries.find((e) => e.type === 'step-verified' && (e as unknown as { step: string }).step === 'verify');
    expect(verify).toMatchObject({ status: 'pass' });
    expect(entries.some((e) => e.type === 'note' && (e as unknown as { text: string }).text.includes('east declared down'))).toBe(true);

    const down = await status(rb);
    expect(down.exitCode, down.all).toBe(0);
    expect(down.json.phase.phase).toBe('promoted');
    expect(down.json.fences).toContainEqual(expect.objectContaining({ cluster: 'east', pending: expect.objectContaining({ clusterAnswers: false }) }));

    // East returns, writable: two writable primaries, and every command says so.
    const up = await cli(labUpArgs(SECURE_LAB), { timeoutMs: 300_000 });
    expect(up.exitCode, up.all).toBe(0);
    expect(await writeAsOrdersSvc(rb.topics[0]!)).toBe('acknowledged');
    const back = await status(rb);
    expect(back.exitCode, back.all).toBe(1);
    expect(back.json.hazards).toContainEqual({ severity: 'fail', text: expect.stringMatching(/east answers again and is NOT fenced.*failover fence /) });
    const human = await cli(['status', rb.path], { env: rb.env });
    expect(human.exitCode).toBe(1);
    expect(human.stdout).toContain(`failover fence ${rb.path}`);
    const check = await cli(['check', rb.path, '--json'], { env: rb.env, timeoutMs: 180_000 });
    expect(check.exitCode).toBe(1);
    expect((JSON.parse(check.stdout) as { readiness: { dangers?: string[] } }).readiness.dangers?.join()).toContain('NOT fenced');

    const f = await run(rb, ['fence', rb.path, '--yes']);
    expect(f.exitCode, f.all).toBe(0);
    expect(await eastFenced(rb)).toBe(true);
    expect(await writeAsOrdersSvc(rb.topics[0]!)).toMatch(/AUTHORIZATION/);
    const fenced = await status(rb);
    expect(fenced.exitCode, fenced.all).toBe(0);
    expect(fenced.json.fences).toContainEqual(expect.not.objectContaining({ pending: expect.anything() }));
    // Nothing is pending any more: `fence` says so rather than pretending.
    expect((await run(rb, ['fence', rb.path, '--yes'])).stderr).toContain('no fence is pending');
  }, 900_000);

  it('--resume looks at the live cluster: a promote killed after recording a pending fence fences east once it is back', async () => {
    const rb = await preparedRunbook(SECURE_LAB, admin, { ...lab, clusters: { east: { clusterId: eastId } } });
    expect((await cli(['lab', 'kill', 'east', '--dir', SECURE_LAB.dir])).exitCode).toBe(0);
    const killed = await run(rb, ['promote', rb.path, '--yes', '--declare-down', 'east', '--declare-reason', 'east was killed'], { FAILOVER_TEST_CRASH_AFTER_APPLY: '0' });
    expect(killed.exitCode).not.toBe(0);
    const path = newestTranscript(join(rb.dir, 'transcripts'), rb.name);
    expect(parseTranscript(readFileSync(path, 'utf8')).entries.at(-1)).toMatchObject({ type: 'step-applied', step: 'fence-writes', outcome: { pending: expect.anything() } });

    const up = await cli(labUpArgs(SECURE_LAB), { timeoutMs: 300_000 });
    expect(up.exitCode, up.all).toBe(0);
    await eventually('east answers', 60_000, async () => ((await listAcls(admin.east)).length >= 0 ? true : undefined));
    // East answers now, so the resume needs no declaration; it verifies the fence against east and applies it.
    const resumed = await run(rb, ['promote', rb.path, '--yes', '--resume', path]);
    expect(resumed.exitCode, resumed.all).toBe(0);
    expect(await eastFenced(rb)).toBe(true);
    expect(await writeAsOrdersSvc(rb.topics[0]!)).toMatch(/AUTHORIZATION/);
    const after = parseTranscript(readFileSync(path, 'utf8')).entries;
    const fenceEntries = after.filter((e) => (e as unknown as { step?: string }).step === 'fence-writes');
    expect(fenceEntries.filter((e) => e.type === 'step-verified').map((e) => (e as unknown as { status: string }).status)).toEqual(['fail', 'pass']);
    expect((await status(rb)).exitCode).toBe(0);
  }, 900_000);
});
