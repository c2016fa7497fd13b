#!/usr/bin/env node
// npm run demo: bring the local lab up and show replication working end to end:
// a record produced on east arrives on west as east.orders, and the consumer
// group that read it gets a MirrorMaker 2 checkpoint translating its offset.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(join(root, 'dist', p));
const { labConnections } = await dist('lab/lab.js');
const { readTopic } = await dist('kafka/readTopic.js');
const { decodeCheckpoint } = await dist('kafka/mm2Records.js');

const step = (s) => process.stdout.write(`\n== ${s}\n`);

step('failover lab up');
try {
  execFileSync(process.execPath, [join(root, 'bin', 'failover.js'), 'lab', 'up'], { stdio: 'inherit', cwd: root });
} catch (e) {
  process.exit(e.status ?? 2);
}

const { east, west } = labConnections(join(root, '.lab'));
try {
  const eventId = `demo-${Date.now()}`;
  step(`produce one order on east (event-id ${eventId})`);
  const producer = east.producer();
  await producer.connect();
  const [meta] = await producer.send({
    topic: 'orders', acks: -1,
    messages: [{ key: 'customer-7', value: JSON.stringify({ order: eventId, total: 42 }), headers: { 'event-id': eventId } }],
  });
  await producer.disconnect();
  const partition = meta.partition;
  const offset = Number(meta.baseOffset);
  console.log(`east orders[${partition}] offset ${offset}`);

  step('the group billing reads it on east and commits');
  const admin = await east.admin();
  await admin.setOffsets({ groupId: 'billing', topic: 'orders', partitions: [{ partition, offset: String(offset + 1) }] });
  console.log(`billing committed orders[${partition}] = ${offset + 1}`);

  step('on west: the record under east.orders, and the checkpoint for billing');
  const until = Date.now() + 30_000;
  let rec, cp;
  while (Date.now() < until && !(rec && cp)) {
    rec ??= (await readTopic(west, 'east.orders', { partitions: [partition] }).catch(() => [])).find((r) => r.headers['event-id']?.toString() === eventId);
    cp = (await readTopic(west, 'east.checkpoints.internal').catch(() => []))
      .map((r) => decodeCheckpoint(r.key, r.value))
      .filter((c) => c.group === 'billing' && c.topic === 'east.orders' && c.partition === partition && c.upstreamOffset === BigInt(offset + 1))
      .at(-1);
    if (!(rec && cp)) await new Promise((r) => setTimeout(r, 500));
  }
  if (!rec || !cp) {
    console.error(`not seen on west within 30 s (record: ${Boolean(rec)}, checkpoint: ${Boolean(cp)}); see \`failover lab logs mm2\``);
    process.exitCode = 1;
  } else {
    console.log(`west east.orders[${rec.partition}] offset ${rec.offset}: key=${rec.key} value=${rec.value} event-id=${rec.headers['event-id']}`);
    console.log(`west east.checkpoints.internal: group=${cp.group} topic=${cp.topic}[${cp.partition}] upstream=${cp.upstreamOffset} -> downstream=${cp.downstreamOffset}`);
    console.log('\nThe lab keeps running; `failover lab status` shows it and `failover lab down` stops it.');
  }
} finally {
  await east.close();
  await west.close();
}
