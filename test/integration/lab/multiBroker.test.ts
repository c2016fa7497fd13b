import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clusterMetadata } from '../../../src/kafka/metadata.js';
import { ensureTopics } from '../../../src/kafka/clusterInfo.js';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { labConnections } from '../../../src/lab/lab.js';
import { labPaths } from '../../../src/lab/labConfig.js';
import { MULTI_BROKER_LAB as LAB, cli, eventually, labUpArgs, resetPairState, startProfileLab, unique } from '../labHarness.js';
import { tempDir } from '../gates/checkHarness.js';

/**
 * Leaders that move, and partitions that degrade, on a lab of three nodes
 * per cluster (`lab up --brokers 3`): a node is SIGKILLed while check or
 * promote runs, and the command must give the answer it gives on a calm
 * cluster; check must name what is degraded and block a promote only for
 * what would fail the clients on the destination.
 */

interface Evidence {
  check: string;
  status: string;
  finding: string;
  data?: unknown;
}
interface CheckJson {
  gates: { gate: string; score: number; evidence: Evidence[] }[];
}

const evidence = (j: CheckJson, check: string): Evidence | undefined => j.gates.flatMap((g) => g.evidence).find((e) => e.check === check);

describe('lab --brokers 3: leaders that move, partitions that degrade', () => {
  const paths = labPaths(LAB.dir);
  let stop: () => Promise<void> = async () => {};
  let conns: { east: KafkaConnection; west: KafkaConnection };

  /** Nodes killed by a test come back (lab up restarts them), with their leaderships and full ISRs. */
  async function restoreNodes(): Promise<void> {
    const up = await cli(labUpArgs(LAB), { timeoutMs: 600_000 });
    expect(up.exitCode, up.all).toBe(0);
    for (const conn of [conns.east, conns.west]) {
      await eventually(`${conn.name}: leaders spread and every replica in sync`, 120_000, async () => {
        const md = await clusterMetadata(conn, ['orders', 'payments']);
        const parts = md.topicMetadata.flatMap((t) => t.partitionMetadata);
        const spread = new Set(parts.filter((p) => p.partitionId < 3).map((p) => p.leader)).size === 3;
        return spread && parts.every((p) => p.isr.length === p.replicas.length) ? true : undefined;
      });
    }
  }

  /** The node ids leading partitions of `topic` on `conn`. */
  async function leadersOf(conn: KafkaConnection, topic: string): Promise<Map<number, number>> {
    const md = await clusterMetadata(conn, [topic]);
    return new Map(md.topicMetadata.flatMap((t) => t.partitionMetadata).map((p) => [p.partitionId, p.leader]));
  }

  const check = async (runbook = paths.runbook) => {
    const r = await cli(['check', runbook, '--json'], { timeoutMs: 180_000 });
    return { ...r, json: JSON.parse(r.stdout) as CheckJson };
  };

  beforeAll(async () => {
    stop = await startProfileLab(LAB);
    conns = labConnections(LAB.dir, 10_000);
    await restoreNodes();
    await resetPairState(LAB);
  }, 900_000);
  // Whatever a test killed comes back before the next one, passed or not.
  afterEach(async () => {
    await restoreNodes();
    await resetPairState(LAB);
  }, 600_000);
  afterAll(async () => {
    await Promise.all([conns?.east.close(), conns?.west.close()]);
    await stop();
  }, 120_000);

  it('check, started as a node that leads workload partitions is killed, gives the calm answer: every end offset read from the new leaders', { timeout: 900_000 }, async () => {
    const calm = await check();
    expect(calm.exitCode, calm.all).toBe(0);
    expect((await leadersOf(conns.east, 'orders')).get(1)).toBeDefined();
    const ledBy2 = [...(await leadersOf(conns.east, 'orders')).entries()].filter(([, l]) => l === 2);
    expect(ledBy2.length, 'east-2 leads a partition of orders').toBeGreaterThan(0);

    const killed = await cli(['lab', 'kill', 'east-2', '--dir', LAB.dir]);
    expect(killed.exitCode, killed.all).toBe(0);
    const t0 = Date.now();
    const during = await check();
    const took = Date.now() - t0;
    expect(during.exitCode, during.all).toBe(0);
    // Same scores as on the calm cluster, apart from what the lost node degrades.
    const scores = (j: CheckJson) => Object.fromEntries(j.gates.filter((g) => g.gate !== 'compatibility').map((g) => [g.gate, g.score]));
    expect(scores(during.json)).toEqual(scores(calm.json));
    expect(evidence(during.json, 'offsets.lag')?.status, JSON.stringify(evidence(during.json, 'offsets.lag'))).toBe('pass');
    expect(evidence(during.json, 'rollback.reverse-replication')?.status).not.toBe('fail');
    process.stderr.write(`[multi-broker] check during the leader move: exit ${during.exitCode} in ${(took / 1000).toFixed(1)} s\n`);

    // Once east-2 is fenced, its partitions have new leaders and check names them under-replicated: a warning, not a block.
    const after = await eventually('check names the under-replicated partitions', 60_000, async () => {
      const r = await check();
      return evidence(r.json, 'compatibility.partition-health')?.status === 'warn' ? r : undefined;
    });
    expect(after.exitCode, after.all).toBe(0);
    const health = evidence(after.json, 'compatibility.partition-health')!;
    expect(health.finding).toMatch(/^east: orders-\d under-replicated \(ISR [\d,]+ of [\d,]+, 2 out of sync\)/);
    const rows = (health.data as { degraded: { cluster: string; kind: string; outOfSync: number[] }[] }).degraded;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.cluster === 'east' && r.kind === 'under-replicated' && r.outOfSync.join() === '2')).toBe(true);
    expect(after.json.gates.find((g) => g.gate === 'compatibility')?.score).toBe(1);
  });

  it('promote, while a node of each cluster is killed under it, switches as on a calm pair; revert brings it back', { timeout: 900_000 }, async () => {
    const transcripts = tempDir('failover-mb-');
    const route = () => readFileSync(join(paths.route, 'orders.properties'), 'utf8');
    expect(route()).toContain(`127.0.0.1:${LAB.eastPort}`);
    const promoting = cli(['promote', paths.runbook, '--yes', '--transcripts', transcripts], { timeoutMs: 600_000 });
    await new Promise((r) => setTimeout(r, 1500));
    for (const node of ['east-3', 'west-2']) {
      const k = await cli(['lab', 'kill', node, '--dir', LAB.dir]);
      expect(k.exitCode, k.all).toBe(0);
    }
    const promoted = await promoting;
    expect(promoted.exitCode, promoted.all).toBe(0);
    expect(route()).toContain(`127.0.0.1:${LAB.westPort}`);
    const back = await cli(['revert', paths.runbook, '--yes', '--transcripts', transcripts], { timeoutMs: 600_000 });
    expect(back.exitCode, back.all).toBe(0);
    expect(route()).toContain(`127.0.0.1:${LAB.eastPort}`);
  });

  it('an offline workload partition on the secondary fails check and blocks promote; on the primary it warns', { timeout: 900_000 }, async () => {
    // One replica per partition, three partitions: one on each node, so a killed node takes one partition offline.
    const solo = unique('solo');
    const single = { partitions: 3, replicas: 1, configs: { 'min.insync.replicas': '1' } };
    await ensureTopics(conns.west, [{ topic: `east.${solo}`, ...single }]);
    await ensureTopics(conns.east, [{ topic: solo, ...single }]);
    const runbook = join(LAB.dir, `runbook-${solo}.yaml`);
    writeFileSync(runbook, readFileSync(paths.runbook, 'utf8').replace('topics: [orders, payments]', `topics: [orders, payments, ${solo}]`));
    const onWest = [...(await leadersOf(conns.west, `east.${solo}`)).entries()].find(([, l]) => l === 2)![0];
    const onEast = [...(await leadersOf(conns.east, solo)).entries()].find(([, l]) => l === 3)![0];
    const calm = await check(runbook);
    expect(evidence(calm.json, 'compatibility.partition-health')?.status, calm.all).toBe('pass');

    for (const node of ['west-2', 'east-3']) expect((await cli(['lab', 'kill', node, '--dir', LAB.dir])).exitCode).toBe(0);
    const r = await eventually('both partitions offline', 90_000, async () => {
      const c = await check(runbook);
      const rows = (evidence(c.json, 'compatibility.partition-health')?.data as { degraded?: { topic: string; kind: string }[] } | undefined)?.degraded ?? [];
      return rows.filter((x) => x.kind === 'offline').length === 2 ? c : undefined;
    });
    expect(r.exitCode, r.all).toBe(1);
    const health = evidence(r.json, 'compatibility.partition-health')!;
    expect(health.status).toBe('fail');
    expect(health.finding).toMatch(new RegExp(`^west: east\\.${solo}-${onWest} offline \\(no leader; replicas 2, ISR (2|empty)\\); also \\d+ more degraded partitions?$`));
    const rows = (health.data as { degraded: { cluster: string; role: string; topic: string; partition: number; kind: string }[] }).degraded;
    expect(rows).toContainEqual(expect.objectContaining({ cluster: 'west', role: 'secondary', topic: `east.${solo}`, partition: onWest, kind: 'offline' }));
    expect(rows).toContainEqual(expect.objectContaining({ cluster: 'east', role: 'primary', topic: solo, partition: onEast, kind: 'offline' }));
    expect(r.json.gates.find((g) => g.gate === 'compatibility')?.score).toBe(0);

    const promote = await cli(['promote', runbook, '--yes', '--transcripts', tempDir('failover-mb-')], { timeoutMs: 300_000 });
    expect(promote.exitCode, promote.all).toBe(1);
    expect(promote.all).toContain(`compatibility: west: east.${solo}-${onWest} offline`);
    expect(readFileSync(join(paths.route, 'orders.properties'), 'utf8')).toContain(`127.0.0.1:${LAB.eastPort}`);

    // The secondary's node back: what is left offline is on the primary, which warns.
    await restoreNodes();
    expect((await cli(['lab', 'kill', 'east-3', '--dir', LAB.dir])).exitCode).toBe(0);
    const primaryOnly = await eventually('the primary partition offline', 90_000, async () => {
      const c = await check(runbook);
      return evidence(c.json, 'compatibility.partition-health')?.finding.startsWith(`east: ${solo}-${onEast} offline`) ? c : undefined;
    });
    expect(evidence(primaryOnly.json, 'compatibility.partition-health')?.status).toBe('warn');
    expect(primaryOnly.json.gates.find((g) => g.gate === 'compatibility')?.score).toBe(1);
  });
});
