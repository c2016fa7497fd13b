#!/usr/bin/env node
// The primary-down drill's independent loss count. Used as the scenario's
// recover command, it runs while the primary is still dead (so MirrorMaker 2
// cannot bring the missing events over yet): it takes every acknowledged
// event id from the drill's probe records (the probe's own; the stale
// client's lines, marked `stale`, are not), looks each one up on the
// secondary with a plain kafkajs consumer (not the drill's code), writes
// `<stem>.crosscheck.json`, then runs the real recover command after `--`.
//
// usage: crossCheck.mjs <transcript.path> <secondary bootstrap> <topic,...> -- <recover argv...>
import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { Kafka, logLevel } = require('kafkajs');
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

const kafka = new Kafka({ clientId: 'it-crosscheck', brokers: [bootstrap], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const existing = new Set(await admin.listTopics());
const topics = topicList.split(',').filter((t) => existing.has(t));
const ends = new Map();
for (const t of topics) for (const p of await admin.fetchTopicOffsets(t)) ends.set(`${t}:${p.partition}`, { low: Number(p.low), high: Number(p.high) });
const found = new Set();
const remaining = new Set([...ends].filter(([, e]) => e.high > e.low).map(([k]) => k));
if (remaining.size > 0) {
  const groupId = `it-crosscheck-${process.pid}-${Date.now()}`;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not read to the end in 180 s; left: ${[...remaining].join(', ')}`)), 180_000);
    consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        const id = message.headers?.['event-id']?.toString();
        if (id) found.add(id);
        if (Number(message.offset) + 1 >= ends.get(`${topic}:${partition}`).high) remaining.delete(`${topic}:${partition}`);
        if (remaining.size === 0) {
          clearTimeout(timer);
          resolve();
        }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
}
await admin.disconnect();
const absent = acked.filter((id) => !found.has(id));
writeFileSync(`${stem}.crosscheck.json`, JSON.stringify({ acked: acked.length, absent: absent.length, absentIds: absent, topics }, null, 2));
} catch (e) {
  console.error(`cross-check failed: ${e.message}`);
}
recovered = true;
const r = spawnSync(recover[0], recover.slice(1), { stdio: 'inherit' });
process.exit(r.status ?? 1);
