import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineActionRunner } from '../../../src/drill/engineAction.js';
import { readPairPhase } from '../../../src/engine/phaseRead.js';
import { describeCluster } from '../../../src/kafka/clusterInfo.js';
import { KafkaConnection } from '../../../src/kafka/connection.js';
import { ClusterUnreachableError } from '../../../src/kafka/kafkaErrors.js';
import { labPaths } from '../../../src/lab/labConfig.js';
import { readLabSecrets } from '../../../src/lab/secrets.js';
import { SECURE_LAB, cli, eventually, linkFlowing, resetPairState, type CliResult } from '../labHarness.js';
import { connectAs, labPromote, loadTestRunbook, preparedRunbook, type TestRunbook } from './actionLab.js';

/**
 * Defect 6 of issue 10: with east paused (SIGSTOP: it keeps its sockets and
 * never answers), every step of a command waited for it again. A command
 * now decides each cluster's reachability once, within one request timeout,
 * so a paused cluster adds at most that timeout (+2 s) to what the same
 * command costs on the healthy pair. The healthy run is measured just
 * before, so process start and the work on west, which a loaded machine
 * makes slow, are the same on both sides of the comparison.
 */
const REQUEST_TIMEOUT_MS = 10_000; // what writeTestRunbook gives both clusters
const BUDGET_MS = REQUEST_TIMEOUT_MS + 2000;

// The lab runbook's fenced promote, without its deliberate wait (wait-replication): nothing in it waits on purpose.
const promoteSteps = (without: string[] = []) => {
  const { promote, requires } = labPromote();
  return { promote: promote!.filter((s) => !['wait-replication', ...without].some((w) => s.startsWith(w))), ...(requires ? { requires } : {}) };
};

const pause = (what: 'pause' | 'resume') => cli(['lab', what, 'east', '--dir', SECURE_LAB.dir]);

async function timedCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ r: CliResult; ms: number }> {
  const t0 = Date.now();
  const r = await cli(args, { env, timeoutMs: 300_000 });
  return { r, ms: Date.now() - t0 };
}

async function eastAnswers(): Promise<void> {
  await eventually('east answers again', 60_000, async () => {
    const c = connectAs(SECURE_LAB, 'east');
    try {
      // Answering, listing itself again (a KRaft broker paused past its session is fenced, and a fenced broker's metadata
      // lists no brokers until it registers again), and past the leader elections of a broker that has just resumed.
      const r = await c.reachability();
      return r.ok && r.brokers.length > 0 && (await describeCluster(c)).clusterId ? true : undefined;
    } finally {
      await c.close();
    }
  });
}

describe('a paused cluster costs a command one request timeout', () => {
  let admin: { east: KafkaConnection; west: KafkaConnection };
  let healthyPromote: TestRunbook;
  let rb: TestRunbook;
  let drillRb: TestRunbook;

  beforeAll(async () => {
    admin = { east: connectAs(SECURE_LAB, 'east'), west: connectAs(SECURE_LAB, 'west') };
    // The runbooks name the clusters' ids, as an operator's do: with east paused and the pair's
    // state reset, nothing else tells which pair west belongs to (pendingFence.test covers that refusal).
    const clusters = { east: { clusterId: (await describeCluster(admin.east)).clusterId }, west: { clusterId: (await describeCluster(admin.west)).clusterId } };
    healthyPromote = await preparedRunbook(SECURE_LAB, admin, { ...promoteSteps(), clusters });
    rb = await preparedRunbook(SECURE_LAB, admin, { ...promoteSteps(), clusters });
    drillRb = await preparedRunbook(SECURE_LAB, admin, { ...promoteSteps(['verify']), clusters });
  }, 300_000);

  afterAll(async () => {
    await pause('resume');
    await admin.east.close();
    await admin.west.close();
  });

  it('check, status, plan and promote end within the request timeout + 2 s of their healthy time, with east paused', async () => {
    const commands: Record<string, (r: TestRunbook) => string[]> = {
      check: (r) => ['check', r.path, '--transcripts', join(r.dir, 'transcripts')],
      status: (r) => ['status', r.path, '--transcripts', join(r.dir, 'transcripts')],
      plan: (r) => ['plan', r.path, 'promote'],
      promote: (r) => ['promote', r.path, '--yes', '--transcripts', join(r.dir, 'transcripts')],
    };
    const healthy: Record<string, number> = {};
    for (const [name, args] of Object.entries(commands)) {
      // The healthy promote runs on a runbook of its own: it changes the pair.
      const on = name === 'promote' ? healthyPromote : rb;
      const { r, ms } = await timedCli(args(on), on.env);
      expect(r.exitCode, `${name} on the healthy pair:\n${r.all}`).toBe(0);
      healthy[name] = ms;
    }

    // The healthy promote left the pair promoted by its runbook: the paused runs start, like the healthy ones, from a steady pair.
    await resetPairState(SECURE_LAB);
    const paused: Record<string, { r: CliResult; ms: number }> = {};
    expect((await pause('pause')).exitCode).toBe(0);
    try {
      for (const [name, args] of Object.entries(commands)) paused[name] = await timedCli(args(rb), rb.env);
    } finally {
      expect((await pause('resume')).exitCode).toBe(0);
    }
    const report = Object.keys(commands).map((n) => `${n}: healthy ${healthy[n]} ms, east paused ${paused[n]!.ms} ms`).join('\n');
    process.stderr.write(`[deadlines] request timeout ${REQUEST_TIMEOUT_MS} ms\n${report}\n`);

    const { check, status, plan, promote } = paused as Record<string, { r: CliResult; ms: number }>;
    // Each says why east is missing, with the one error the probe recorded.
    const noAnswer = `east: connect: no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
    expect(check!.r.exitCode, check!.r.all).toBe(0);
    expect(check!.r.stdout).toContain(`east (127.0.0.1:${SECURE_LAB.eastPort}): unreachable: ${noAnswer}`);
    expect(status!.r.exitCode, status!.r.all).toBe(0);
    expect(status!.r.stdout).toContain(`east: unreachable (${noAnswer})`);
    expect(plan!.r.exitCode, plan!.r.all).toBe(0);
    expect(plan!.r.stdout).toContain(`unreachable: east: ${noAnswer}`);
    // Promote cannot succeed without east (refused, or failed at verify); what matters here is that it ends.
    expect(promote!.r.exitCode, promote!.r.all).not.toBe(0);
    expect(promote!.r.all).toContain(noAnswer);

    for (const name of Object.keys(commands)) {
      expect(paused[name]!.ms - healthy[name]!, `${name}: east paused costs at most the request timeout + 2 s\n${report}`).toBeLessThanOrEqual(BUDGET_MS);
    }
  }, 600_000);

  it("a drill's next action opens its own connections: east recovered is not remembered as unreachable", async () => {
    await eastAnswers();
    // The first test paused east for a minute or more; the revert below needs the link flowing both ways again.
    await linkFlowing(SECURE_LAB);
    await resetPairState(SECURE_LAB);
    const loaded = await loadTestRunbook(drillRb);
    const transcriptsDir = join(drillRb.dir, 'transcripts');
    const run = engineActionRunner({ loaded, runbookPath: drillRb.path, cwd: drillRb.dir, transcriptsDir, env: { ...process.env, ...drillRb.env } });

    expect((await pause('pause')).exitCode).toBe(0);
    let first: Awaited<ReturnType<typeof run>>;
    try {
      const t0 = Date.now();
      first = await run('promote', () => undefined);
      expect(Date.now() - t0, `the promote with east paused: ${first.summary}`).toBeLessThan(3 * REQUEST_TIMEOUT_MS);
    } finally {
      expect((await pause('resume')).exitCode).toBe(0);
    }
    expect(first.transcript, first.summary).toBeDefined();
    expect(readFileSync(first.transcript!, 'utf8')).toContain('east: connect: no answer within 10 s');
    await eastAnswers();
    await linkFlowing(SECURE_LAB);

    // The same runner, as the drill uses it after recovering the primary: revert if the promote went through, promote again if it was refused.
    const phase = await readPairPhase(loaded.runbook);
    expect(phase?.phase, first.summary).toMatch(/^(steady|promoted)$/);
    const next = phase!.phase === 'promoted' ? 'revert' : 'promote';
    const second = await run(next, () => undefined);
    expect(second.outcome, `${next} after east recovered: ${second.summary}`).toBe('ok');
    const text = readFileSync(second.transcript!, 'utf8');
    expect(text).not.toContain('no answer');
    expect(text).not.toMatch(/unreachable: east|east unreachable/);
  }, 600_000);

  it('a connection that saw east answer records it gone at the first call without an answer, and looks again only when asked', async () => {
    const secrets = readLabSecrets(labPaths(SECURE_LAB.dir).secrets)!;
    const conn = new KafkaConnection({
      name: 'east',
      bootstrap: [`127.0.0.1:${SECURE_LAB.eastPort}`],
      auth: { sasl: { mechanism: 'scram-sha-256', username: 'admin', password: secrets.admin } },
      requestTimeoutMs: 3000,
      connectionTimeoutMs: 2000,
      reachability: 'once',
    });
    await eastAnswers();
    const fresh = connectAs(SECURE_LAB, 'east');
    const id = (await describeCluster(fresh).finally(() => fresh.close())).clusterId;
    try {
      const up = await conn.reachability();
      expect(up.ok && up.clusterId).toBe(id);
      expect(up.ok && up.brokers.map((b) => b.port)).toEqual([SECURE_LAB.eastPort]);

      expect((await pause('pause')).exitCode).toBe(0);
      try {
        let t0 = Date.now();
        await expect(describeCluster(conn)).rejects.toThrow('east: describe cluster: no answer within 3 s');
        expect(Date.now() - t0).toBeLessThan(3000 + 1500);
        expect(conn.known?.ok).toBe(false);
        t0 = Date.now();
        await expect(describeCluster(conn)).rejects.toThrow(ClusterUnreachableError);
        expect(Date.now() - t0).toBeLessThan(100);
      } finally {
        expect((await pause('resume')).exitCode).toBe(0);
      }
      // Resumed, but nobody asked: still the recorded answer.
      await expect(describeCluster(conn)).rejects.toThrow(ClusterUnreachableError);
      const again = await eventually('east answers a probe again', 60_000, async () => {
        const r = await conn.reprobe();
        return r.ok ? r : undefined;
      });
      expect(again.clusterId).toBe(id);
      expect((await describeCluster(conn)).clusterId).toBe(id);
    } finally {
      const t0 = Date.now();
      await conn.close();
      expect(Date.now() - t0).toBeLessThan(1500);
    }
  }, 300_000);

  it('refused credentials are decided once too, as an auth failure rather than a missing cluster', async () => {
    const conn = new KafkaConnection({
      name: 'east',
      bootstrap: [`127.0.0.1:${SECURE_LAB.eastPort}`],
      auth: { sasl: { mechanism: 'scram-sha-256', username: 'admin', password: 'not-the-password' } },
      requestTimeoutMs: 5000,
      reachability: 'once',
    });
    try {
      const r = await conn.reachability();
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.reason).toBe('auth');
      expect(r.error).toMatch(/^east \(127\.0\.0\.1:\d+\): connect: authentication failed/);
      expect(r.hint).toContain('check the auth section of cluster east');
      const t0 = Date.now();
      await expect(describeCluster(conn)).rejects.toThrow(r.error);
      expect(Date.now() - t0).toBeLessThan(100);
    } finally {
      await conn.close();
    }
  });
});
