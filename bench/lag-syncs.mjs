// What reading MirrorMaker 2's offset syncs costs a lag poll, at scale: an
// offset-syncs topic holding RECORDS syncs for PARTITIONS source partitions
// (the shape of a busy MM2 deployment between compactions), read the way a
// poll did before (the newest 100,000 records, every time) and the way
// replicationLag.ts does now (the whole topic once, then only what was
// appended). Uses a running lab's east cluster; the topic is created and
// deleted by the bench.
//
//   node bench/lag-syncs.mjs [--dir .lab] [--partitions 5000] [--records 200000] [--polls 10]
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = (p) => join(root, 'dist', p);
const { labConnections } = await import(dist('lab/lab.js'));
const { ensureTopics } = await import(dist('kafka/clusterInfo.js'));
const { encodeOffsetSync } = await import(dist('kafka/mm2Records.js'));
const { loadOffsetSyncs } = await import(dist('kafka/mm2Translation.js'));
const { OffsetSyncTail } = await import(dist('kafka/offsetSyncTail.js'));

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: '.lab' },
    partitions: { type: 'string', default: '5000' },
    records: { type: 'string', default: '200000' },
    polls: { type: 'string', default: '10' },
  },
});
const PARTITIONS = Number(values.partitions);
const RECORDS = Number(values.records);
const POLLS = Number(values.polls);
const log = (s) => process.stderr.write(`[bench] ${s}\n`);
const ms = (t0) => Math.round(performance.now() - t0);

const { east } = labConnections(values.dir, 30_000);
const topic = `bench-lag-syncs-${Date.now()}`;
const sync = (i) => encodeOffsetSync({ topic: `bench-src-${i % 50}`, partition: Math.floor(i / 50) % Math.ceil(PARTITIONS / 50), upstreamOffset: BigInt(i), downstreamOffset: BigInt(i) });

try {
  await ensureTopics(east, [{ topic, partitions: 1 }]);
  const producer = east.producer({ idempotent: false });
  const t0 = performance.now();
  for (let i = 0; i < RECORDS; i += 5000) {
    await producer.send({ acks: -1, messages: Array.from({ length: Math.min(5000, RECORDS - i) }, (_, j) => ({ topic, ...sync(i + j) })) });
  }
  log(`wrote ${RECORDS} syncs for ${PARTITIONS} partitions in ${ms(t0)} ms`);

  const old = [];
  for (let p = 0; p < POLLS; p++) {
    const t = performance.now();
    await loadOffsetSyncs(east, topic, true);
    old.push(ms(t));
  }
  const tail = new OffsetSyncTail(east, topic);
  let t = performance.now();
  const first = await tail.read();
  const firstMs = ms(t);
  const idle = [];
  for (let p = 0; p < POLLS; p++) {
    t = performance.now();
    await tail.read();
    idle.push(ms(t));
  }
  const busy = [];
  for (let p = 0; p < POLLS; p++) {
    await producer.send({ acks: -1, messages: Array.from({ length: PARTITIONS }, (_, j) => ({ topic, ...sync(RECORDS + p * PARTITIONS + j) })) });
    t = performance.now();
    const r = await tail.read();
    busy.push(ms(t));
    if (r.read !== PARTITIONS) throw new Error(`expected ${PARTITIONS} new syncs, read ${r.read}`);
  }
  await east.closeProducer(producer);
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const result = {
    partitions: PARTITIONS,
    records: RECORDS,
    perPollBefore: { what: 'the newest 100,000 records, every poll', medianMs: median(old), ms: old },
    tailFirstRead: { what: 'the whole topic, once', ms: firstMs, records: first.read, partitions: first.newest.bySource.size },
    tailIdlePoll: { what: 'nothing appended', medianMs: median(idle), ms: idle },
    tailBusyPoll: { what: `${PARTITIONS} syncs appended (one per partition)`, medianMs: median(busy), ms: busy },
  };
  process.stdout.write(`${JSON.stringify(result, null, 1)}\n`);
} finally {
  const admin = await east.admin();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await east.close();
}
