import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSurvivor } from '../../../src/drill/survivorRead.js';
import { ProbeLog } from '../../../src/drill/probeLog.js';
import { ensureTopics } from '../../../src/kafka/clusterInfo.js';
import { measureReplicationLag } from '../../../src/kafka/measureReplicationLag.js';
import { clusterMetadata, leaderIndex, tpKey } from '../../../src/kafka/metadata.js';
import { readTopic } from '../../../src/kafka/readTopic.js';
import { firstCommitted } from '../../../src/kafka/recordsAt.js';
import { errorDetail } from '../../../src/kafka/kafkaErrors.js';
import { lagMapping, type LagReport } from '../../../src/kafka/replicationLag.js';
import { takeSnapshot } from '../../../src/kafka/snapshot.js';
import { eventually, testLabConnections, unique } from '../labHarness.js';
import { testProducer, type TestProducer, type TestSend } from '../testClients.js';
import { evidence, runCheck, tempDir, writeRunbook } from './checkHarness.js';

/*
 * A transactional producer (the Kafka client's, public API) writes committed
 * and aborted transactions to a mirrored workload topic on east. Offsets of
 * the source (one partition):
 *
 *   0 c0, 1 c1, 2 COMMIT, 3 a2 (event 2, aborted), 4 ABORT, 5 c2 (event 2 again, committed), 6 COMMIT,
 *   7 x0, 8 x1, 9 x2 (aborted), 10 ABORT
 *
 * so the partition ends with an aborted transaction and its ABORT marker,
 * and event 2 was first written in a transaction that aborted and then
 * committed (what a producer that retries a failed transaction leaves). The
 * lab's MirrorMaker 2 reads read_committed. Every reader must see c0, c1, c2
 * and nothing else, and never take a marker for a record.
 */
describe('transactions on the source: committed data only', () => {
  const topic = unique('txn');
  const copy = `east.${topic}`;
  const runId = unique('run');
  const conns = testLabConnections(10_000);
  let producer: TestProducer;
  const id = (n: number | string) => `${runId}-${n}`;
  const send = (event: number | string, value: string): TestSend => ({ topic, messages: [{ key: 'k', value, partition: 0, headers: { 'event-id': id(event) } }] });
  const flow = [{ source: topic, target: copy }];
  const mapping = lagMapping({ kind: 'mirrormaker2', sourceAlias: 'east', targetAlias: 'west', separator: '.' }, 'source');
  const lagNow = (): Promise<LagReport> => measureReplicationLag(conns.east, conns.west, flow, mapping, { seconds: true });
  const values = (rs: { value: Buffer | null }[]) => rs.map((r) => r.value?.toString() ?? null);

  /**
   * One transaction, tried again with a fresh producer while the coordinator
   * refuses to begin it (a cluster's first transaction meets a coordinator
   * still loading; AddPartitionsToTxn answers CONCURRENT_TRANSACTIONS while
   * the previous one's markers are being written). Those refusals come before
   * any record is written, so a retry writes each record once; any other
   * error fails the test.
   */
  const transaction = async (sends: TestSend[], commit = true): Promise<void> => {
    const until = Date.now() + 60_000;
    for (;;) {
      try {
        await producer.transaction(sends, commit);
        return;
      } catch (e) {
        const detail = `${(e as Error).message} ${errorDetail(e)}`;
        if (!/InitProducerId|AddPartitionsToTxn|FindCoordinator/.test(detail) || Date.now() > until) throw e;
        await producer.close().catch(() => undefined);
        producer = testProducer(conns.east, { transactionalId: `${topic}-tx` });
        await new Promise((r) => setTimeout(r, 250));
      }
    }
  };

  beforeAll(async () => {
    await ensureTopics(conns.east, [{ topic, partitions: 1 }]);
    producer = testProducer(conns.east, { transactionalId: `${topic}-tx` });
    await transaction([send(0, 'c0'), send(1, 'c1')]);
    await transaction([send(2, 'a2')], false);
    await transaction([send(2, 'c2')]);
    await transaction([send('x0', 'x0'), send('x1', 'x1'), send('x2', 'x2')], false);
  }, 300_000);

  afterAll(async () => {
    await producer?.close();
    await conns.east.close();
    await conns.west.close();
  });

  it('the source holds 11 offsets; a read_committed read of it finds c0, c1, c2 at 0, 1, 5', async () => {
    const got = await readTopic(conns.east, topic);
    expect(got.map((r) => [r.offset, r.value?.toString()])).toEqual([
      [0, 'c0'],
      [1, 'c1'],
      [5, 'c2'],
    ]);
    const snap = await takeSnapshot(conns.east, { selectTopics: () => [topic], ends: true });
    expect(snap.ends?.ok && snap.ends.value.get(topic)).toEqual([{ partition: 0, earliest: 0, latest: 11 }]);
  });

  it('MirrorMaker 2 (read_committed) copies the committed records only, and the lag is 0 once it has', async () => {
    const report = await eventually('the lag reaches 0 with the copy holding 3 records', 90_000, async () => {
      const r = await lagNow();
      const copied = await readTopic(conns.west, copy).catch(() => []);
      return r.partitions[0]?.lag === 0 && copied.length >= 3 ? r : undefined;
    });
    // Lag 0 while the source ends with 4 offsets after the last committed record: an aborted transaction and its marker are not lag.
    expect(report.partitions[0]).toMatchObject({ sourceEnd: 11, lag: 0, lagMs: 0 });
    expect(report.unknown).toEqual([]);
    const copied = await readTopic(conns.west, copy);
    expect(values(copied)).toEqual(['c0', 'c1', 'c2']);
    expect(copied.map((r) => r.offset)).toEqual([0, 1, 2]);
  });

  it('the newest record of the source is the last committed one (offset 5), not the ABORT marker at 10 nor an aborted record', async () => {
    const snap = await takeSnapshot(conns.east, { selectTopics: () => [topic], newestRecords: true, ends: true });
    expect(snap.newest?.ok, snap.newest && !snap.newest.ok ? snap.newest.error : '').toBe(true);
    expect(snap.newest?.ok && snap.newest.value.get(tpKey(topic, 0))).toMatchObject({ offset: 5, bytes: 'k'.length + 'c2'.length });
    const onCopy = await takeSnapshot(conns.west, { selectTopics: () => [copy], newestRecords: true, ends: true });
    expect(onCopy.newest?.ok && onCopy.newest.value.get(tpKey(copy, 0))).toMatchObject({ offset: 2 });
  });

  it('the record at an offset (the timestamp fallback asks it) is the first committed one at or after it', async () => {
    const leaders = leaderIndex(await clusterMetadata(conns.east, [topic]));
    const at = async (offset: number) => (await firstCommitted(conns.east, leaders, [{ topic, partition: 0, offset }])).get(tpKey(topic, 0));
    // 3 holds the aborted a2 and 4 its marker: the record a group at 3 reads next is c2 at 5.
    expect(await at(3)).toMatchObject({ offset: 5, value: Buffer.from('c2') });
    expect(await at(2)).toMatchObject({ offset: 5 });
    // From 6 on only a marker and an aborted transaction: nothing committed before the end.
    expect(await at(6)).toEqual({ topic, partition: 0, nothing: true, visibleEnd: 11 });
  });

  it("check's offsets gate: lag 0 with its age, and the RPO read names the copy of c2", async () => {
    const dir = tempDir('failover-txn-');
    const runbook = writeRunbook(dir, { topics: [topic] });
    const run = await runCheck(runbook, ['--gate', 'offsets']);
    const lag = evidence(run.result, 'offsets.lag');
    expect(lag.status, lag.finding).toBe('pass');
    expect((lag.data as { partitions: unknown[] }).partitions).toEqual([expect.objectContaining({ primaryEnd: 11, secondaryEnd: 3, lagRecords: 0, lagSeconds: 0 })]);
    const rpo = evidence(run.result, 'offsets.rpo');
    expect((rpo.data as { partitions: unknown[] }).partitions).toEqual([expect.objectContaining({ secondaryTopic: copy, partition: 0, offset: 2 })]);
  }, 150_000);

  it("a drill's survivor read counts each committed event once, on the source and on the copy: the aborted attempt of event 2 is neither a duplicate nor an extra", async () => {
    const log = new ProbeLog();
    for (let n = 0; n < 3; n++) log.acked(log.newEvent(0, n), 'east', 0, n);
    for (const [conn, label, topics] of [
      [conns.east, 'east', [topic]],
      [conns.west, 'west', [copy]],
    ] as const) {
      const read = await readSurvivor(conn, { label, cluster: label, topics: [...topics], probeTopic: topic, runId, log, maxMs: 10_000 });
      expect(read.records.map((r) => r.event).sort(), label).toEqual([0, 1, 2]);
    }
  });

  it('an open transaction is not visible: not the newest record, not in a read, not lag; once committed it is all three', async () => {
    const open = await producer.openTransaction([send(3, 'c3')]);
    try {
      // Its record is written (the high watermark passed it) but not committed.
      const snap = await takeSnapshot(conns.east, { selectTopics: () => [topic], newestRecords: true, ends: true });
      expect(snap.ends?.ok && snap.ends.value.get(topic)?.[0]?.latest).toBe(12);
      expect(snap.newest?.ok && snap.newest.value.get(tpKey(topic, 0))?.offset).toBe(5);
      expect(values(await readTopic(conns.east, topic))).toEqual(['c0', 'c1', 'c2']);
      const r = await lagNow();
      expect(r.partitions[0]).toMatchObject({ sourceEnd: 12, lag: 0, lagMs: 0 });
      // MirrorMaker 2 has not copied it either.
      expect(values(await readTopic(conns.west, copy))).toEqual(['c0', 'c1', 'c2']);
    } finally {
      await open.commit();
    }
    const snap = await takeSnapshot(conns.east, { selectTopics: () => [topic], newestRecords: true, ends: true });
    expect(snap.newest?.ok && snap.newest.value.get(tpKey(topic, 0))?.offset).toBe(11);
    expect(values(await readTopic(conns.east, topic))).toEqual(['c0', 'c1', 'c2', 'c3']);
    await eventually('the committed record is copied and the lag is 0', 90_000, async () => {
      const r = await lagNow();
      const copied = await readTopic(conns.west, copy);
      return r.partitions[0]?.lag === 0 && copied.length === 4 ? true : undefined;
    });
    expect(values(await readTopic(conns.west, copy))).toEqual(['c0', 'c1', 'c2', 'c3']);
  }, 150_000);
});
