import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeCluster } from '../../../src/kafka/clusterInfo.js';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { TEST_LAB, cli, repoRoot, resetPairState } from '../labHarness.js';
import { connectAs, writeRoute, writeTestRunbook, type RunbookOptions, type TestRunbook } from './actionLab.js';

/**
 * One operator per pair (issue: two operators at once). The lock and the
 * phase belong to the pair of clusters, whatever runbook acts on it; an
 * operator who cannot see both clusters is refused unless they declare the
 * silent one down; and two sides that each did so are named as a conflict
 * when the partition heals, never merged.
 */
const QUICK = ['wait: { duration: 1s }', 'switch-route: { to: secondary }'];

describe('one operator per pair: the lock and phase are keyed by the two clusters', () => {
  let admin: { east: KafkaConnection; west: KafkaConnection };
  let ids: { east: string; west: string };
  beforeAll(async () => {
    admin = { east: connectAs(TEST_LAB, 'east'), west: connectAs(TEST_LAB, 'west') };
    ids = { east: (await describeCluster(admin.east)).clusterId, west: (await describeCluster(admin.west)).clusterId };
  });
  beforeEach(() => resetPairState(TEST_LAB));
  afterAll(async () => {
    await admin.east.close();
    await admin.west.close();
  });

  async function runbook(opts: RunbookOptions = {}): Promise<TestRunbook> {
    const rb = writeTestRunbook(TEST_LAB, { promote: QUICK, revert: ['switch-route: { to: primary }'], ...opts });
    writeRoute(rb, 'east');
    return rb;
  }
  const run = (rb: TestRunbook, args: string[], env: NodeJS.ProcessEnv = {}) =>
    cli([...args, '--transcripts', join(rb.dir, 'transcripts')], { env: { ...rb.env, ...env }, timeoutMs: 240_000 });
  const status = async (rb: TestRunbook) => {
    const r = await cli(['status', rb.path, '--json'], { env: rb.env, timeoutMs: 120_000 });
    return { exitCode: r.exitCode, json: JSON.parse(r.stdout) as { phase: { phase: string; runbook?: string }; hazards: { severity: string; text: string }[]; pair: { topic?: string } }, all: r.all };
  };

  it('a second runbook on the same clusters is refused while the first promotes, and while the pair is promoted by it', async () => {
    const a = await runbook({ promote: ['wait: { duration: 8s }', ...QUICK] });
    const b = await runbook();
    const first = execa('node', [join(repoRoot, 'bin', 'failover.js'), 'promote', a.path, '--yes', '--transcripts', join(a.dir, 'transcripts')], {
      env: { ...process.env, ...a.env, NO_COLOR: '1', FAILOVER_OPERATOR: 'alice' },
      reject: false,
      all: true,
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`a's promote never reached its phase:\n${out}`)), 120_000);
      first.all!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('phase -> promoting')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    // While a promotes, b (another name, the same two clusters) is refused, naming a's run: by the phase a wrote, or by a's lock.
    const during = await run(b, ['promote', b.path, '--yes'], { FAILOVER_OPERATOR: 'bob' });
    expect(during.exitCode, during.all).toBe(2);
    expect(during.stderr).toMatch(new RegExp(`the pair is (promoting by runbook ${a.name} \\(promote by alice on |locked by alice on \\S+ \\(pid \\d+\\), running promote of ${a.name} since)`));
    const done = await first;
    expect(done.exitCode, out + done.all).toBe(0);
    // Promoted by a: b can neither promote nor revert it; a's revert can.
    const after = await run(b, ['promote', b.path, '--yes']);
    expect(after.exitCode).toBe(2);
    expect(after.stderr).toContain(`the pair is promoted by runbook ${a.name}`);
    expect((await run(b, ['revert', b.path, '--yes'])).stderr).toContain(`by runbook ${a.name}`);
    // Both runbooks read the same state: one topic named by the two cluster ids.
    const sa = await status(a);
    const sb = await status(b);
    expect(sa.json.pair.topic).toBe(`__failover.pair.${[ids.east, ids.west].sort().join('.')}`);
    expect(sb.json.pair.topic).toBe(sa.json.pair.topic);
    expect(sb.json.phase).toMatchObject({ phase: 'promoted', runbook: a.name });
    expect(sb.exitCode).toBe(1);
    expect(sb.json.hazards.map((h) => h.text).join('\n')).toContain(`promoted by runbook ${a.name}`);
    const back = await run(a, ['revert', a.path, '--yes']);
    expect(back.exitCode, back.all).toBe(0);
    expect((await run(b, ['promote', b.path, '--yes'])).exitCode).toBe(0);
  });

  it('two runbooks on the same clusters promoting at the same moment: exactly one proceeds', async () => {
    const a = await runbook({ promote: ['wait: { duration: 3s }', ...QUICK] });
    const b = await runbook({ promote: ['wait: { duration: 3s }', ...QUICK] });
    const [ra, rb] = await Promise.all([run(a, ['promote', a.path, '--yes'], { FAILOVER_OPERATOR: 'alice' }), run(b, ['promote', b.path, '--yes'], { FAILOVER_OPERATOR: 'bob' })]);
    expect([ra.exitCode, rb.exitCode].sort(), `${ra.all}\n----\n${rb.all}`).toEqual([0, 2]);
    const [winner, won, lost] = ra.exitCode === 0 ? ['alice', a, rb] : ['bob', b, ra];
    expect(lost.stderr).toMatch(new RegExp(`the pair is (locked by ${winner} on \\S+ \\(pid \\d+\\), running promote of ${won.name}|promoting by runbook ${won.name} \\(promote by ${winner} )`));
    expect((await status(won)).json.phase.phase).toBe('promoted');
  });

  it('an operator who sees one cluster is refused; declared down, each side acts alone; healed, the conflict is named and refused until resolved', async () => {
    // Alice's network reaches east only, Bob's west only (the other bootstrap is a closed port).
    const alice = await runbook({ clusters: { west: { bootstrap: '127.0.0.1:1', clusterId: ids.west } } });
    const bob = await runbook({ clusters: { east: { bootstrap: '127.0.0.1:1', clusterId: ids.east } } });
    // Alice's runbook, once her network reaches both clusters again.
    const healed = await runbook({ name: alice.name });
    const routeBefore = readFileSync(alice.routeFile, 'utf8');

    for (const [rb, silent] of [[alice, 'west'], [bob, 'east']] as const) {
      const r = await run(rb, ['promote', rb.path, '--yes']);
      expect(r.exitCode, r.all).toBe(2);
      expect(r.stderr).toContain(`the lock of the pair must be held on both clusters, and ${silent} does not answer`);
      expect(r.stderr).toContain(`--declare-down ${silent} --declare-reason`);
      expect(readFileSync(rb.routeFile, 'utf8')).toBe(routeBefore);
    }
    // Refused: nothing was written to either cluster.
    expect((await status(healed)).json.phase.phase).toBe('steady');
    expect((await admin.east.admin().then((a) => a.listTopics())).some((t) => t.startsWith('__failover.pair.'))).toBe(false);

    // A cluster that answers cannot be declared down.
    const wrong = await run(healed, ['promote', healed.path, '--yes', '--declare-down', 'west', '--declare-reason', 'test']);
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toMatch(/west answers \(cluster id \S+\); it is not down/);

    const a = await run(alice, ['promote', alice.path, '--yes', '--declare-down', 'west', '--declare-reason', 'west is unreachable from the east DC'], { FAILOVER_OPERATOR: 'alice' });
    expect(a.exitCode, a.all).toBe(0);
    const b = await run(bob, ['promote', bob.path, '--yes', '--declare-down', 'east', '--declare-reason', 'east is unreachable from the west DC'], { FAILOVER_OPERATOR: 'bob' });
    expect(b.exitCode, b.all).toBe(0);
    // Each declaration is in its transcript.
    expect(a.stderr + a.stdout).toContain('declared down: west');

    // The partition heals: a runbook that sees both names the conflict, and nothing runs until it is resolved.
    const s = await status(healed);
    expect(s.exitCode, s.all).toBe(1);
    const text = s.json.hazards.map((h) => h.text).join('\n');
    expect(text).toMatch(/the clusters disagree about the pair: (east|west) says promoted .*alice.*; (east|west) says promoted .*bob|the clusters disagree about the pair: .*bob.*alice/);
    for (const action of ['promote', 'revert']) {
      const r = await run(healed, [action, healed.path, '--yes']);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain('the clusters disagree about the pair');
      expect(r.stderr).toContain('failover resolve');
    }
    const check = await cli(['check', healed.path, '--json'], { env: healed.env, timeoutMs: 120_000 });
    expect(check.exitCode).toBe(1);
    expect((JSON.parse(check.stdout) as { readiness: { dangers?: string[] } }).readiness.dangers?.join('\n')).toContain('disagree');

    const r = await cli(['resolve', healed.path, '--keep', 'east', '--reason', "alice's promote is the one clients followed", '--yes', '--transcripts', join(healed.dir, 'transcripts')], { env: healed.env, timeoutMs: 120_000 });
    expect(r.exitCode, r.all).toBe(0);
    const settled = await status(healed);
    expect(settled.exitCode, settled.all).toBe(0);
    expect(settled.json.phase.phase).toBe('promoted');
    expect(settled.json.hazards).toEqual([]);
  });
});
