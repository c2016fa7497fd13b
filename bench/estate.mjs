// The mirrored estate the scale benchmarks share: 500 topics x 4 partitions
// on east, 8 records a partition, replicated by MM2 to west, and 200 groups
// that each commit at the end of 5 topics (4,000 committed partitions),
// checkpointed on west. Idempotent: a --keep lab that holds it is reused.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const dist = (p) => join(root, 'dist', p);
const { fetchGroupOffsets, mapConcurrent } = await import(dist('kafka/groups.js'));
const { commitOffsetsToEmptyGroup } = await import(dist('kafka/commitOffsets.js'));
const { partitionEndsOf } = await import(dist('kafka/listOffsets.js'));
const { clusterMetadata } = await import(dist('kafka/metadata.js'));
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
    // 100 at a time, then one wait for every leader: a CreateTopics answer comes before the leaders are elected.
    for (let i = 0; i < missing.length; i += 100) {
      await eastAdmin.createTopics({ topics: missing.slice(i, i + 100).map((topic) => ({ topic, partitions: PARTITIONS, replicas: 1 })) });
    }
    await until('east lists every topic with leaders', 300_000, async () => {
      const md = await clusterMetadata(east, null);
      return md.topicMetadata.filter((t) => t.topic.startsWith('bench-t-') && t.partitionMetadata.every((p) => p.leader >= 0)).length === TOPICS;
    });
    await onCreated?.(topics);
  }
  const endsOf = async (conn, names) => {
    const out = new Map();
    for (let i = 0; i < names.length; i += 100) for (const [t, ps] of await partitionEndsOf(conn, names.slice(i, i + 100))) out.set(t, ps);
    return out;
  };
  const empty = [...(await endsOf(east, topics))].filter(([, ps]) => ps.length < PARTITIONS || ps.some((p) => p.latest < RECORDS_PER_PARTITION)).map(([t]) => t);
  if (empty.length) {
    log(`writing ${RECORDS_PER_PARTITION} records per partition to ${empty.length} topics`);
    // A busy lab moves leaders around while 2000 partitions start: let the client retry.
    const producer = east.producer({ idempotent: false, retries: 10 });
    for (let i = 0; i < empty.length; i += 50) {
      await producer.send({
        acks: -1,
        messages: empty
          .slice(i, i + 50)
          .flatMap((topic) =>
            Array.from({ length: PARTITIONS * RECORDS_PER_PARTITION }, (_, j) => ({ topic, key: Buffer.from(`k${j}`), value: Buffer.from(`${topic} event ${j}`), partition: j % PARTITIONS })),
          ),
      });
    }
    await east.closeProducer(producer);
  }

  // 2. MM2 mirrors them (topics, data, offset syncs).
  const westAdmin = await west.admin();
  await until('MM2 creates the remote topics on west', 1_800_000, async () => {
    const have = new Set(await westAdmin.listTopics());
    const n = topics.filter((t) => have.has(`east.${t}`)).length;
    log(`  ${n}/${TOPICS} remote topics on west`);
    return n === TOPICS;
  });
  const ends = new Map([...(await endsOf(east, topics))].map(([t, ps]) => [t, new Map(ps.map((p) => [p.partition, p.latest]))]));
  await until('MM2 replicates every record', 1_800_000, async () => {
    const copies = await endsOf(west, topics.map((t) => `east.${t}`));
    const short = topics.filter((t) => (copies.get(`east.${t}`) ?? []).some((p) => p.latest < ends.get(t).get(p.partition))).length;
    log(`  ${TOPICS - short}/${TOPICS} topics fully replicated`);
    return short === 0;
  });
  await sleep(3000); // offset syncs are flushed on MM2's 1 s commit interval

  // 3. Each group commits at the end of 5 topics (MM2 translates a commit after its newest sync).
  log(`committing offsets for ${GROUPS} groups on east (where not already at the end)`);
  const committed = await fetchGroupOffsets(east, groups);
  await mapConcurrent(groups, 16, async (group) => {
    const g = Number(group.slice(-3));
    const r = committed.get(group);
    const have = r && 'offsets' in r ? r.offsets : [];
    for (let k = 0; k < TOPICS_PER_GROUP; k++) {
      const topic = topicName((g * TOPICS_PER_GROUP + k) % TOPICS);
      const atEnd = Array.from({ length: PARTITIONS }, (_, p) => p).every((p) => have.some((o) => o.topic === topic && o.partition === p && o.offset === ends.get(topic).get(p)));
      if (atEnd) continue;
      await commitOffsetsToEmptyGroup(east, group, Array.from({ length: PARTITIONS }, (_, p) => ({ topic, partition: p, offset: ends.get(topic).get(p) })));
    }
  });
  const committedPartitions = GROUPS * TOPICS_PER_GROUP * PARTITIONS;
  await until('MM2 checkpoints every committed partition', 1_800_000, async () => {
    const offs = (await partitionEndsOf(west, ['east.checkpoints.internal']).catch(() => new Map())).get('east.checkpoints.internal') ?? [];
    const n = offs.reduce((s, o) => s + o.latest, 0);
    log(`  ${n}/${committedPartitions} checkpoints on west`);
    return n >= committedPartitions;
  });
  return { topics, groups, ends, committedPartitions };
}
