// The mirrored estate the scale benchmarks share: 500 topics x 4 partitions
// on east, 8 records a partition, replicated by MM2 to west, and 200 groups
// that each commit at the end of 5 topics (4,000 committed partitions),
// checkpointed on west. Idempotent: a --keep lab that holds it is reused.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = (p) => join(root, 'dist', p);
const { mapConcurrent } = await import(dist('kafka/groups.js'));
const { labConnections } = await import(dist('lab/lab.js'));
const { readLabSecrets } = await import(dist('lab/secrets.js'));
const { labPaths } = await import(dist('lab/labConfig.js'));

export const TOPICS = 500;
export const PARTITIONS = 4;
export const GROUPS = 200;
export const TOPICS_PER_GROUP = 5;
export const RECORDS_PER_PARTITION = 8;

const pad = (n) => String(n).padStart(3, '0');
export const topicName = (i) => `bench-t-${pad(i)}`;
export const groupName = (g) => `bench-g-${pad(g)}`;
export const log = (s) => process.stderr.write(`[bench] ${s}\n`);
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs the CLI (bin/failover.js) to completion; `env` adds to this process's environment. */
export function failover(argv, env = {}, opts = {}) {
  return spawnSync(process.execPath, [join(root, 'bin', 'failover.js'), ...argv], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1', ...env },
    maxBuffer: 256 * 1024 * 1024,
    ...opts,
  });
}

/**
 * A secure bench lab of its own in `dir` (started, or reused when it runs),
 * mirroring the bench topics and groups: its connections and the lab admin's
 * password. Exits with lab up's code when the lab cannot start.
 */
export function secureBenchLab(dir, ports) {
  log(`lab up --secure in ${dir}`);
  const up = failover(
    ['lab', 'up', '--secure', '--dir', dir, '--east-port', String(ports.east), '--west-port', String(ports.west), '--topics', '/bench-.*/', '--groups', '/bench-.*/'],
    {},
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (up.status !== 0) process.exit(up.status ?? 1);
  const { east, west } = labConnections(dir, 30_000);
  return { east, west, password: readLabSecrets(labPaths(dir).secrets).admin };
}

/** Closes the bench's connections and, unless `keep`, removes its lab. */
export async function endBenchLab({ east, west }, dir, keep) {
  await Promise.all([east.close(), west.close()]);
  if (keep) return;
  log('lab down --purge (pass --keep to reuse the estate)');
  execFileSync(process.execPath, [join(root, 'bin', 'failover.js'), 'lab', 'down', '--purge', '--dir', dir], { stdio: 'inherit' });
}

export async function until(what, timeoutMs, probe) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      const v = await probe();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(1000);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000} s${last ? ` (${last.message})` : ''}`);
}

/**
 * Builds (or finds) the estate over a lab's connections. `onCreated(topics)`
 * runs once, right after the topics are created (e.g. to grant the producer).
 * Returns the names and, per topic, the end offset of each partition.
 */
export async function buildEstate({ east, west, onCreated }) {
  const topics = Array.from({ length: TOPICS }, (_, i) => topicName(i));
  const groups = Array.from({ length: GROUPS }, (_, g) => groupName(g));

  // 1. Topics, records on east.
  const eastAdmin = await east.admin();
  const existing = new Set(await eastAdmin.listTopics());
  const missing = topics.filter((t) => !existing.has(t));
  if (missing.length) {
    log(`creating ${missing.length} topics x ${PARTITIONS} partitions on east`);
    // Without waiting for leaders per batch: kafkajs would poll metadata with the connection's one retry.
    for (let i = 0; i < missing.length; i += 100) {
      await eastAdmin.createTopics({ waitForLeaders: false, topics: missing.slice(i, i + 100).map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })) });
    }
    await until('east lists every topic with leaders', 300_000, async () => {
      const md = await eastAdmin.fetchTopicMetadata({ topics: [] });
      return md.topics.filter((t) => t.name.startsWith('bench-t-') && t.partitions.every((p) => p.leader >= 0)).length === TOPICS;
    });
    await onCreated?.(topics);
  }
  const empty = [];
  await mapConcurrent(topics, 16, async (t) => {
    const offs = await eastAdmin.fetchTopicOffsets(t);
    if (offs.some((o) => Number(o.high) < RECORDS_PER_PARTITION)) empty.push(t);
  });
  if (empty.length) {
    log(`writing ${RECORDS_PER_PARTITION} records per partition to ${empty.length} topics`);
    // A busy lab moves leaders around while 2000 partitions start: let kafkajs retry.
    const producer = east.kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 10 } });
    await producer.connect();
    for (let i = 0; i < empty.length; i += 50) {
      await producer.sendBatch({
        acks: -1,
        topicMessages: empty.slice(i, i + 50).map((topic) => ({
          topic,
          messages: Array.from({ length: PARTITIONS * RECORDS_PER_PARTITION }, (_, j) => ({ key: `k${j}`, value: `${topic} event ${j}`, partition: j % PARTITIONS })),
        })),
      });
    }
    await producer.disconnect();
  }

  // 2. MM2 mirrors them (topics, data, offset syncs).
  const westAdmin = await west.admin();
  await until('MM2 creates the remote topics on west', 1_800_000, async () => {
    const have = new Set(await westAdmin.listTopics());
    const n = topics.filter((t) => have.has(`east.${t}`)).length;
    log(`  ${n}/${TOPICS} remote topics on west`);
    return n === TOPICS;
  });
  const ends = new Map();
  await mapConcurrent(topics, 16, async (t) => {
    ends.set(t, new Map((await eastAdmin.fetchTopicOffsets(t)).map((o) => [o.partition, Number(o.high)])));
  });
  await until('MM2 replicates every record', 1_800_000, async () => {
    let short = 0;
    await mapConcurrent(topics, 16, async (t) => {
      const offs = await westAdmin.fetchTopicOffsets(`east.${t}`);
      if (offs.some((o) => Number(o.high) < ends.get(t).get(o.partition))) short++;
    });
    log(`  ${TOPICS - short}/${TOPICS} topics fully replicated`);
    return short === 0;
  });
  await sleep(3000); // offset syncs are flushed on MM2's 1 s commit interval

  // 3. Each group commits at the end of 5 topics (MM2 translates a commit after its newest sync).
  log(`committing offsets for ${GROUPS} groups on east (where not already at the end)`);
  await mapConcurrent(groups, 16, async (group) => {
    const g = Number(group.slice(-3));
    const have = await eastAdmin.fetchOffsets({ groupId: group });
    for (let k = 0; k < TOPICS_PER_GROUP; k++) {
      const topic = topicName((g * TOPICS_PER_GROUP + k) % TOPICS);
      const atEnd = have.find((t) => t.topic === topic)?.partitions.every((p) => Number(p.offset) === ends.get(topic).get(p.partition));
      if (atEnd) continue;
      await eastAdmin.setOffsets({ groupId: group, topic, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, offset: String(ends.get(topic).get(p)) })) });
    }
  });
  const committedPartitions = GROUPS * TOPICS_PER_GROUP * PARTITIONS;
  await until('MM2 checkpoints every committed partition', 1_800_000, async () => {
    const offs = await westAdmin.fetchTopicOffsets('east.checkpoints.internal').catch(() => []);
    const n = offs.reduce((s, o) => s + Number(o.high), 0);
    log(`  ${n}/${committedPartitions} checkpoints on west`);
    return n >= committedPartitions;
  });
  return { topics, groups, ends, committedPartitions };
}
