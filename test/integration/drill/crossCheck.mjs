#!/usr/bin/env node
// The primary-down drill's independent loss count. Used as the scenario's
// recover command, it runs while the primary is still dead (so MirrorMaker 2
// cannot bring the missing events over yet): it takes every acknowledged
// event id from the drill's probe records (the probe's own; the stale
// client's lines, marked `stale`, are not), looks each one up on the
// secondary with a plain consumer of the Kafka client (not the drill's code), writes
// `<stem>.crosscheck.json`, then runs the real recover command after `--`.
//
// usage: crossCheck.mjs <transcript.path> <secondary bootstrap> <topic,...> -- <recover argv...>
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { Admin, Consumer, ListOffsetTimestamps, MessagesStreamFallbackModes, MessagesStreamModes, loggers } from '@platformatic/kafka';

for (const l of Object.values(loggers)) l.enabled = false;
const [transcript, bootstrap, topicList, sep, ...recover] = process.argv.slice(2);
if (sep !== '--' || !transcript || !bootstrap || !topicList) {
  console.error('usage: crossCheck.mjs <transcript.path> <bootstrap> <topics> -- <recover argv...>');
  process.exit(2);
}
const stem = transcript.replace(/\.jsonl$/, '');
// The real recover runs whatever happens here: a failed check must not leave the lab broken.
process.on('exit', () => {
  if (!recovered) spawnSync(recover[0], recover.slice(1), { stdio: 'inherit' });
});
let recovered = false;
try {
const acked = readFileSync(`${stem}.probe.jsonl`, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.ackedAt !== undefined && !e.stale).map((e) => e.id);

const options = { clientId: 'it-crosscheck', bootstrapBrokers: [bootstrap], retries: 3 };
const admin = new Admin(options);
const existing = new Set(await admin.listTopics());
const topics = topicList.split(',').filter((t) => existing.has(t));
const ends = new Map();
if (topics.length > 0) {
  const md = await admin.metadata({ topics, forceUpdate: true });
  const ask = (timestamp) =>
    admin.listOffsets({ topics: topics.map((name) => ({ name, partitions: Array.from({ length: md.topics.get(name).partitionsCount }, (_, partitionIndex) => ({ partitionIndex, timestamp })) })) });
  const [low, high] = [await ask(ListOffsetTimestamps.EARLIEST), await ask(ListOffsetTimestamps.LATEST)];
  for (const t of high) for (const p of t.partitions) ends.set(`${t.name}:${p.partitionIndex}`, { low: 0, high: Number(p.offset) });
  for (const t of low) for (const p of t.partitions) ends.get(`${t.name}:${p.partitionIndex}`).low = Number(p.offset);
}
const found = new Set();
const remaining = new Set([...ends].filter(([, e]) => e.high > e.low).map(([k]) => k));
if (remaining.size > 0) {
  const groupId = `it-crosscheck-${process.pid}-${Date.now()}`;
  const consumer = new Consumer({ ...options, groupId });
  consumer.on('error', () => undefined);
  const stream = await consumer.consume({ topics, mode: MessagesStreamModes.EARLIEST, fallbackMode: MessagesStreamFallbackModes.EARLIEST, autocommit: false });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not read to the end in 180 s; left: ${[...remaining].join(', ')}`)), 180_000);
    stream.on('error', reject);
    stream.on('data', (m) => {
      for (const [k, v] of m.headers ?? []) if (k.toString() === 'event-id') found.add(v.toString());
      if (Number(m.offset) + 1 >= ends.get(`${m.topic}:${m.partition}`).high) remaining.delete(`${m.topic}:${m.partition}`);
      if (remaining.size === 0) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await stream.close().catch(() => undefined);
  await consumer.close(true);
  await admin.deleteGroups({ groups: [groupId] }).catch(() => undefined);
}
await admin.close();
const absent = acked.filter((id) => !found.has(id));
writeFileSync(`${stem}.crosscheck.json`, JSON.stringify({ acked: acked.length, absent: absent.length, absentIds: absent, topics }, null, 2));
} catch (e) {
  console.error(`cross-check failed: ${e.message}`);
}
recovered = true;
const r = spawnSync(recover[0], recover.slice(1), { stdio: 'inherit' });
process.exit(r.status ?? 1);
