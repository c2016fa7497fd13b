import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readLabSecrets } from '../../../src/lab/secrets.js';
import { labPaths } from '../../../src/lab/labConfig.js';
import { loadRunbookOrThrow, type LoadedRunbook } from '../../../src/runbook/load.js';
import { KafkaConnection } from '../../../src/kafka/connection.js';
import { createAcls, type Acl } from '../../../src/kafka/acls.js';
import { ensureTopics } from '../../../src/kafka/clusterInfo.js';
import { fetchGroupOffsets } from '../../../src/kafka/groups.js';
import { checkpointOf, indexCheckpoints, loadCheckpoints } from '../../../src/kafka/mm2Translation.js';
import { checkpointsTopic } from '../../../src/kafka/naming.js';
import { eventually, labStateTopic, labSyncsGroupOffsets, repoRoot, unique, type TestLab } from '../labHarness.js';
import { TestConsumer, testProducer } from '../testClients.js';

/**
 * A runbook of its own for one test: unique `it-*` topics and groups (the
 * lab's MirrorMaker 2 mirrors them), a route file in a temp folder, and the
 * lab's ports. On the secure lab it authenticates as the lab's admin, whose
 * password comes from the environment, as a real runbook's would.
 */
export interface TestRunbook {
  dir: string;
  path: string;
  name: string;
  topics: string[];
  groups: string[];
  routeFile: string;
  env: NodeJS.ProcessEnv;
  lab: TestLab;
}

export interface RunbookOptions {
  topics?: number;
  groups?: number;
  partitions?: number;
  /** promote steps as YAML lines (default: the lab runbook's) */
  promote?: string[];
  revert?: string[];
  continueForward?: string[];
  requires?: string[];
  stopWhen?: string;
  /** per cluster: another bootstrap (a closed port: a cluster this operator cannot see), and a declared cluster id */
  clusters?: Partial<Record<'east' | 'west', { bootstrap?: string; clusterId?: string }>>;
  /** extra top-level YAML (gates: ...) */
  extra?: string;
  /** the runbook's name (default: a unique one) */
  name?: string;
}

/** The promote action of runbooks/lab-secure.yaml (the lab's promote with its fence), as flow-style YAML lines for writeTestRunbook. */
export function labPromote(): Pick<RunbookOptions, 'promote' | 'requires' | 'stopWhen'> {
  const doc = parseYaml(readFileSync(join(repoRoot, 'runbooks', 'lab-secure.yaml'), 'utf8')) as {
    actions: { promote: { requires: string[]; stopWhen?: object; steps: Record<string, object>[] } };
  };
  const p = doc.actions.promote;
  return {
    promote: p.steps.map((s) => {
      const [type, params] = Object.entries(s)[0]!;
      return `${type}: ${JSON.stringify(params)}`;
    }),
    requires: p.requires,
    ...(p.stopWhen ? { stopWhen: JSON.stringify(p.stopWhen) } : {}),
  };
}

/** The environment a lab runbook's ${env:...} needs: the admin password of a secure lab (which must have its secrets). */
export function labEnv(lab: TestLab): NodeJS.ProcessEnv {
  if (!lab.secure) return {};
  const secrets = readLabSecrets(labPaths(lab.dir).secrets);
  if (!secrets) throw new Error(`no secrets in ${lab.dir}`);
  return { FAILOVER_LAB_ADMIN_PASSWORD: secrets.admin };
}

export function labSecretValues(lab: TestLab): string[] {
  const s = lab.secure ? readLabSecrets(labPaths(lab.dir).secrets) : undefined;
  return s ? Object.values(s) : [];
}

export function writeTestRunbook(lab: TestLab, opts: RunbookOptions = {}): TestRunbook {
  const dir = mkdtempSync(join(tmpdir(), 'failover-actions-'));
  const name = opts.name ?? unique('rb');
  const topics = Array.from({ length: opts.topics ?? 1 }, (_, i) => unique(`t${i}`));
  const groups = Array.from({ length: opts.groups ?? 1 }, (_, i) => unique(`g${i}`));
  const routeFile = join(dir, 'route', 'client.properties');
  const auth = lab.secure
    ? `
    auth:
      sasl:
        mechanism: scram-sha-256
        username: admin
        password: \${env:FAILOVER_LAB_ADMIN_PASSWORD}`
    : '';
  const steps = (lines: string[]) => lines.map((l) => `      - ${l}`).join('\n');
  const cl = (c: 'east' | 'west', port: number) =>
    `  ${c}:\n    bootstrap: [${opts.clusters?.[c]?.bootstrap ?? `127.0.0.1:${port}`}]${opts.clusters?.[c]?.clusterId ? `\n    clusterId: ${opts.clusters[c]!.clusterId}` : ''}${auth}\n    timeouts: { requestTimeout: 10s, connectionTimeout: 3s }`;
  const yaml = `version: 1
name: ${name}
clusters:
${cl('east', lab.eastPort)}
${cl('west', lab.westPort)}
roles: { primary: east, secondary: west }
link:
  kind: mirrormaker2
  aliases: { east: east, west: west }
  reverse: true
workload:
  topics: [${topics.join(', ')}]
  groups: [${groups.join(', ')}]
  producers: [User:orders-svc]
routing:
  alias: orders-kafka.lab:9092
  switch:
    file: { path: ./route/client.properties, key: bootstrap.servers }
actions:
  promote:
    requires: [${(opts.requires ?? []).join(', ')}]
${opts.stopWhen ? `    stopWhen: ${opts.stopWhen}\n` : ''}    steps:
${steps(opts.promote ?? ['fence-writes: { cluster: primary }', 'wait-replication: { maxLagRecords: 0, timeout: 2m }', 'translate-offsets: {}', 'switch-route: { to: secondary }'])}
  revert:
    steps:
${steps(opts.revert ?? ['unfence-writes: { cluster: primary }', 'switch-route: { to: primary }', 'translate-offsets: { direction: reverse }'])}
  continue-forward:
    steps:
${steps(opts.continueForward ?? ['confirm: { message: "Make west the primary for good?" }', 'set-roles: { primary: west, secondary: east }'])}
${opts.extra ?? ''}`;
  const path = join(dir, 'runbook.yaml');
  writeFileSync(path, yaml);
  return { dir, path, name, topics, groups, routeFile, env: labEnv(lab), lab };
}

export async function loadTestRunbook(rb: TestRunbook): Promise<LoadedRunbook> {
  return loadRunbookOrThrow(rb.path, { env: { ...process.env, ...rb.env } });
}

/** Connections as a lab user: admin by default, or a workload principal of the secure lab. */
export function connectAs(lab: TestLab, cluster: 'east' | 'west', user = 'admin'): KafkaConnection {
  const secrets = lab.secure ? readLabSecrets(labPaths(lab.dir).secrets) : undefined;
  const password = secrets?.[user as keyof typeof secrets];
  return new KafkaConnection({
    name: cluster,
    bootstrap: [`127.0.0.1:${cluster === 'east' ? lab.eastPort : lab.westPort}`],
    requestTimeoutMs: 10_000,
    clientId: `it-${user}`,
    ...(secrets && password ? { auth: { sasl: { mechanism: 'scram-sha-256' as const, username: user, password } } } : {}),
  });
}

/** Creates the runbook's topics on east and, on the secure lab, lets orders-svc write them (on both clusters) and the test consumer read them. */
export async function prepareWorkload(rb: TestRunbook, admin: { east: KafkaConnection; west: KafkaConnection }, partitions = 3): Promise<void> {
  await ensureTopics(admin.east, rb.topics.map((topic) => ({ topic, partitions })));
  await ensureTopics(admin.west, rb.topics.map((topic) => ({ topic, partitions })));
  if (!rb.lab.secure) return;
  const allow = (principal: string, resourceType: Acl['resourceType'], resourceName: string, operation: Acl['operation']): Acl => ({
    principal, host: '*', resourceType, resourceName, patternType: 'LITERAL', operation, permission: 'ALLOW',
  });
  const acls = [
    ...rb.topics.flatMap((t) => [allow('User:orders-svc', 'Topic', t, 'Write'), allow('User:orders-svc', 'Topic', t, 'Describe')]),
  ];
  await createAcls(admin.east, acls);
  await createAcls(admin.west, acls);
}

export interface PairSnapshot {
  acls: { east: string[]; west: string[] };
  offsets: Record<string, unknown>;
  configs: Record<string, unknown>;
  stateTopic: { east: unknown; west: unknown };
  route: string | null;
}

/** Everything an action may change, read as plain data so that two readings compare with toEqual. */
export async function pairSnapshot(rb: TestRunbook, admin: { east: KafkaConnection; west: KafkaConnection }): Promise<PairSnapshot> {
  const { listAcls, aclKey } = await import('../../../src/kafka/acls.js');
  const { describeTopicConfigs } = await import('../../../src/kafka/configs.js');
  const { readStateTopic, stateTopicExists } = await import('../../../src/kafka/stateTopic.js');
  const topic = await labStateTopic(rb.lab);
  const { existsSync, readFileSync } = await import('node:fs');
  const acls = async (c: KafkaConnection) => (await listAcls(c)).map(aclKey).sort();
  const offsets = async (c: KafkaConnection) => Object.fromEntries([...(await fetchGroupOffsets(c, rb.groups)).entries()].map(([g, r]) => [g, 'offsets' in r ? [...r.offsets].sort((a, b) => `${a.topic}${a.partition}`.localeCompare(`${b.topic}${b.partition}`)) : r]));
  const state = async (c: KafkaConnection) => ({
    exists: await stateTopicExists(c, topic),
    records: Object.fromEntries([...(await readStateTopic(c, topic)).entries()].map(([k, v]) => [k, v.value])),
  });
  const configs = async (c: KafkaConnection, topics: string[]) => Object.fromEntries([...(await describeTopicConfigs(c, topics)).entries()]);
  return {
    acls: { east: await acls(admin.east), west: await acls(admin.west) },
    offsets: { east: await offsets(admin.east), west: await offsets(admin.west) },
    configs: { east: await configs(admin.east, rb.topics), west: await configs(admin.west, rb.topics.map((t) => `east.${t}`)) },
    stateTopic: { east: await state(admin.east), west: await state(admin.west) },
    route: existsSync(rb.routeFile) ? readFileSync(rb.routeFile, 'utf8') : null,
  };
}

/** Writes `count` records to each topic on east as admin, and has the group read and commit them all there. */
export async function seedWorkload(rb: TestRunbook, admin: { east: KafkaConnection; west: KafkaConnection }, count = 30): Promise<void> {
  const p = testProducer(admin.east);
  // A topic created a moment ago may not be in every broker's metadata yet.
  for (const topic of rb.topics) {
    for (let attempt = 0; ; attempt++) {
      try {
        await p.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ key: `k${i % 5}`, value: `seed-${i}` })) });
        break;
      } catch (e) {
        if (attempt >= 10) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
  await p.close();
  for (const group of rb.groups) {
    const c = new TestConsumer(admin.east, group, rb.topics, { autocommitMs: 100 });
    await c.start();
    await c.until(`${count * rb.topics.length} records`, () => c.records.length >= count * rb.topics.length).catch(() => undefined);
    await c.stop();
  }
}

export function routeTo(rb: TestRunbook, cluster: 'east' | 'west'): string {
  return `127.0.0.1:${cluster === 'east' ? rb.lab.eastPort : rb.lab.westPort}`;
}

export function writeRoute(rb: TestRunbook, cluster: 'east' | 'west'): string {
  const text = `# written by the test: where the clients go\nclient.id=orders-app\nbootstrap.servers=${routeTo(rb, cluster)}\n`;
  mkdirSync(dirname(rb.routeFile), { recursive: true });
  writeFileSync(rb.routeFile, text);
  return text;
}

/**
 * A test runbook on `lab` with its workload ready: topics on both clusters,
 * `seed` records a topic read and committed by the group on east, the route
 * at east, and MirrorMaker 2's checkpoints of every group's commit on west,
 * settled, so that from then on only the tool changes anything.
 *
 * The fixture leans on MM2's checkpoints, never on its group offset sync:
 * on the test labs (the sync off, as MM2 and the lab default it) the groups
 * on west stay empty until translate-offsets commits. With the sync on
 * (`FAILOVER_TEST_LAB_OPTIONS=--sync-group-offsets`), MM2 also writes into
 * west's groups, and the fixture waits for that copy to be complete and
 * settled too, so that from then on only the tool moves them.
 */
export async function preparedRunbook(
  lab: TestLab,
  admin: { east: KafkaConnection; west: KafkaConnection },
  opts: RunbookOptions = {},
  seed = 30,
): Promise<TestRunbook> {
  const partitions = 3;
  const rb = writeTestRunbook(lab, opts);
  await prepareWorkload(rb, admin, partitions);
  await seedWorkload(rb, admin, seed);
  writeRoute(rb, 'east');
  await checkpointsSettled(rb, admin);
  if (await labSyncsGroupOffsets(lab)) await groupSyncSettled(rb, admin, rb.topics.length * partitions);
  return rb;
}

/**
 * Waits until MM2 has checkpointed, on west, the commit every group holds on
 * east for each of its partitions (the checkpoint's upstream offset is the
 * commit), and its checkpoints have stopped moving: MM2 writes a better
 * translation of the same commit as its offset syncs catch up (slowly on a
 * loaded machine), which would change what translate-offsets plans under a
 * test's "before". Settled = unchanged for 5 s, five checkpoint intervals.
 */
export async function checkpointsSettled(rb: TestRunbook, admin: { east: KafkaConnection; west: KafkaConnection }): Promise<void> {
  const topic = checkpointsTopic('east');
  const current = async (): Promise<string | undefined> => {
    const commits = await fetchGroupOffsets(admin.east, rb.groups);
    const index = indexCheckpoints((await loadCheckpoints(admin.west, topic, true)).records);
    const out: string[] = [];
    for (const g of rb.groups) {
      const c = commits.get(g);
      if (!c || !('offsets' in c) || c.offsets.length === 0) return undefined;
      for (const o of c.offsets) {
        const cp = checkpointOf(index, g, `east.${o.topic}`, o.partition);
        if (!cp || cp.upstreamOffset !== o.offset) return undefined;
        out.push(`${g} ${o.topic}-${o.partition}: ${o.offset} -> ${cp.downstreamOffset}`);
      }
    }
    return out.sort().join('\n');
  };
  let last: string | undefined;
  let since = Date.now();
  await eventually("MM2 has checkpointed every group's commit on west, and its checkpoints have settled", 120_000, async () => {
    const now = await current();
    if (now === undefined || now !== last) {
      last = now;
      since = Date.now();
      return undefined;
    }
    return Date.now() - since >= 5_000 ? true : undefined;
  });
}

/** With MM2's group offset sync on: every group's offsets copied to west, and unchanged for 5 s (three sync intervals). */
async function groupSyncSettled(rb: TestRunbook, admin: { east: KafkaConnection; west: KafkaConnection }, expected: number): Promise<void> {
  // Every group, not only the first: a group MM2 syncs later changes west under a test's "before".
  await eventually('MM2 has synced the offsets of every group to west', 60_000, async () => {
    const all = await fetchGroupOffsets(admin.west, rb.groups);
    return rb.groups.every((g) => {
      const w = all.get(g);
      return w && 'offsets' in w && w.offsets.length === expected;
    })
      ? true
      : undefined;
  });
  let last = '';
  let since = Date.now();
  await eventually("MM2's synced offsets on west have settled", 60_000, async () => {
    const all = await fetchGroupOffsets(admin.west, rb.groups);
    const now = JSON.stringify(rb.groups.map((g) => all.get(g)));
    if (now !== last) {
      last = now;
      since = Date.now();
      return undefined;
    }
    return Date.now() - since >= 5_000 ? true : undefined;
  });
}

/** The one transcript of `runbook` under a transcripts folder (of `action`, when given); throws unless there is exactly one. */
export function onlyTranscript(transcriptsDir: string, runbook: string, action?: string): string {
  const dir = join(transcriptsDir, runbook);
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl') && (action === undefined || f.endsWith(`-${action}.jsonl`)));
  if (files.length !== 1) throw new Error(`expected one ${action ?? ''} transcript in ${dir}, found ${files.length}: ${files.join(', ')}`);
  return join(dir, files[0]!);
}

/** The newest transcript of `runbook` (of `action`, when given) under a transcripts folder. */
export function newestTranscript(transcriptsDir: string, runbook: string, action?: string): string {
  const dir = join(transcriptsDir, runbook);
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl') && (action === undefined || f.endsWith(`-${action}.jsonl`))).sort();
  if (files.length === 0) throw new Error(`no ${action ?? ''} transcript in ${dir}`);
  return join(dir, files.at(-1)!);
}
