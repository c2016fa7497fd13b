import { ListOffsetTimestamps } from '@platformatic/kafka';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PartitionLag, ReplicatedNewest } from '../../../src/gates/offsetAnalysis.js';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { TEST_LAB, cli, eventually, testLabConnections, unique } from '../labHarness.js';
import { FAULT_TIMEOUT_MS, commitOnEast, evidence, gate, labUp, runCheck, scorecard, seedTopics, tempDir, writeRunbook } from './checkHarness.js';
import { TestConsumer, testProducer } from '../testClients.js';

const restoreLab = () => labUp(TEST_LAB);

interface Newest {
  offset: number;
  timestamp: number;
  value: string;
}

/**
 * The newest record of each non-empty partition, read the way any client
 * would (the Kafka client's own ListOffsets, then a group consumer from the
 * start), not by failover's own Fetch code: the expected values of what the
 * check reports.
 */
async function newestRecords(conn: KafkaConnection, topic: string): Promise<Map<number, Newest>> {
  const admin = await conn.admin();
  const partitions = [0, 1, 2].map((partitionIndex) => ({ partitionIndex, timestamp: ListOffsetTimestamps.LATEST }));
  const [ends] = await admin.listOffsets({ topics: [{ name: topic, partitions }] });
  const last = new Map((ends?.partitions ?? []).filter((p) => p.offset > 0n).map((p) => [p.partitionIndex, Number(p.offset) - 1]));
  const got = new Map<number, Newest>();
  if (last.size === 0) return got;
  const consumer = new TestConsumer(conn, unique('newest'), [topic], {
    onRecord: (r) => {
      if (r.offset === last.get(r.partition)) got.set(r.partition, { offset: r.offset, timestamp: r.timestamp, value: r.value ?? '' });
    },
  });
  await consumer.start();
  try {
    await consumer.until(`${conn.name}: ${topic}: the newest records`, () => got.size === last.size);
  } finally {
    await consumer.stop();
  }
  return got;
}

describe('check while the link or the primary is down', () => {
  const topic = unique('faults');
  const group = unique('faults-group');
  const conns = testLabConnections(10_000);
  let runbook: string;

  beforeAll(async () => {
    await seedTopics(conns, [topic], { partitions: 3, records: 60, rounds: 2 });
    await commitOnEast(conns.east, group, topic, { 0: 20, 1: 20, 2: 20 });
    runbook = writeRunbook(tempDir(), {
      topics: [topic],
      groups: [group],
      offsets: { maxLagRecords: 10, maxLagSeconds: 5 },
      heartbeatMaxAgeSeconds: 3,
      requestTimeout: '4s',
      connectionTimeout: '2s',
    });
  }, 180_000);

  afterAll(async () => {
    await Promise.all([conns.east.close(), conns.west.close()]);
  });

  it('MirrorMaker 2 killed while a producer writes: offsets 0 with the lag per partition, stale heartbeats', async () => {
    const kill = await cli(['lab', 'kill', 'mm2', '--dir', TEST_LAB.dir]);
    expect(kill.exitCode, kill.all).toBe(0);
    try {
      const producer = testProducer(conns.east);
      const until = Date.now() + 6000;
      let i = 0;
      while (Date.now() < until) {
        await producer.send({ topic, acks: -1, messages: Array.from({ length: 30 }, () => ({ key: `k${i % 16}`, value: `after the kill ${i++}`, partition: i % 3 })) });
        await new Promise((r) => setTimeout(r, 200));
      }
      await producer.close();

      const { result } = await runCheck(runbook, ['--gate', 'offsets', 'observability']);
      expect(gate(result, 'offsets').score, scorecard(result)).toBe(0);
      const lag = evidence(result, 'offsets.lag');
      expect(lag.status).toBe('fail');
      expect(lag.finding).toMatch(new RegExp(`${topic}-\\d lags \\d+ records / [\\d.]+ s`));
      const rows = (lag.data as { partitions: PartitionLag[] }).partitions;
      expect(rows).toHaveLength(3);
      for (const r of rows) {
        expect(r.lagRecords, JSON.stringify(r)).toBeGreaterThan(10);
        expect(r.lagSeconds, JSON.stringify(r)).toBeGreaterThan(5);
        expect(r.method).toBe('offset-syncs');
      }
      expect(rows.reduce((n, r) => n + r.lagRecords!, 0)).toBe(i);

      const hb = evidence(result, 'observability.heartbeats');
      expect(hb.status).toBe('fail');
      expect(hb.finding).toMatch(/replication heartbeats are stale: newest in east\.heartbeats on west is [\d.]+ s old \(bound 3 s\)/);
    } finally {
      await restoreLab();
    }
  }, FAULT_TIMEOUT_MS);

  it('east killed: check finishes within the timeout plus 2 s, evaluates what west alone can tell, and reports the RPO bound', async () => {
    // The first test left records that MirrorMaker 2 copies once it is back; let it finish, so that the
    // RPO bound the check reports is exactly the newest record on west, the same as the newest on east.
    const copied = await eventually(`west holds the newest record of each partition of ${topic}`, 180_000, async () => {
      const [onEast, onWest] = await Promise.all([newestRecords(conns.east, topic), newestRecords(conns.west, `east.${topic}`)]);
      if (onEast.size !== 3 || onWest.size !== 3) return undefined;
      return [0, 1, 2].every((p) => onWest.get(p)!.value === onEast.get(p)!.value) ? onWest : undefined;
    });
    const kill = await cli(['lab', 'kill', 'east', '--dir', TEST_LAB.dir]);
    expect(kill.exitCode, kill.all).toBe(0);
    try {
      const { result, elapsedMs, cli: r } = await runCheck(runbook);
      // The check itself (snapshots and gates) within the 4 s request timeout + 2 s; the process
      // around it (node start, module loading) gets slack on a shared, loaded machine.
      expect(result.elapsedMs, 'check: request timeout 4 s + 2 s').toBeLessThan(4000 + 2000);
      expect(elapsedMs, 'the whole CLI run').toBeLessThan(4000 + 2000 + 5000);
      const east = result.clusters.find((c) => c.name === 'east')!;
      expect(east.reachable).toBe(false);
      expect(east.error).toMatch(/east.*cannot connect/);
      expect(result.clusters.find((c) => c.name === 'west')!.reachable).toBe(true);

      // Needs only the secondary: evaluated.
      expect(evidence(result, 'compatibility.counterparts').status).toMatch(/pass|warn/);
      expect(evidence(result, 'offsets.active-members').status).toBe('pass');
      expect(evidence(result, 'offsets.beyond-end').status).toBe('pass');
      expect(evidence(result, 'routing.secondary-listeners').status).toBe('pass');
      expect(evidence(result, 'governance.authorizer').finding).toMatch(/east unreachable, not compared/);
      // Needs the primary: says so, with the error.
      for (const id of ['compatibility.partitions', 'compatibility.topic-configs', 'offsets.lag']) {
        const e = evidence(result, id);
        expect(e.status, id).toBe('skip');
        expect(e.finding, id).toMatch(/primary east unreachable \(.*cannot connect/);
      }
      const rpo = evidence(result, 'offsets.rpo');
      expect(rpo.finding).toMatch(/primary east unreachable; switching now loses at most [\d.]+ s of events \(oldest newest-replicated record: east\./);
      const rows = (rpo.data as { partitions: ReplicatedNewest[] }).partitions;
      expect(rows.map((r) => ({ topic: r.secondaryTopic, partition: r.partition, offset: r.offset, timestamp: r.timestamp })).sort((a, b) => a.partition - b.partition)).toEqual(
        [0, 1, 2].map((p) => ({ topic: `east.${topic}`, partition: p, offset: copied.get(p)!.offset, timestamp: copied.get(p)!.timestamp })),
      );
      expect(evidence(result, 'offsets.translation').finding).toMatch(/checkpointed partitions? usable on west/);
      // A dead primary is what failover is for: it alone does not make the pair "not ready". Each
      // readiness gate says what it could not check (1); none finds a reason not to switch (0).
      const readiness = Object.fromEntries(result.readiness.required.map((g) => [g, gate(result, g).score]));
      expect(readiness, scorecard(result)).toEqual({ compatibility: 1, offsets: 1, routing: 1, rollback: 1 });
      expect(result.readiness.ready).toBe(true);
      expect(r.exitCode, r.all).toBe(0);
    } finally {
      await restoreLab();
    }
  }, FAULT_TIMEOUT_MS);

  it('neither cluster answering is exit 2', async () => {
    const rb = writeRunbook(tempDir(), { topics: [topic], lab: { ...TEST_LAB, eastPort: 1, westPort: 2 } });
    const r = await cli(['check', rb]);
    expect(r.exitCode, r.all).toBe(2);
    expect(r.stderr).toMatch(/neither cluster answers: east: .*; west: /);
  });
});
