import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ensureTopics } from '../../../src/kafka/clusterInfo.js';
import { commitOffsetsToEmptyGroup } from '../../../src/kafka/commitOffsets.js';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { partitionEndsOf } from '../../../src/kafka/listOffsets.js';
import { tpKey } from '../../../src/kafka/metadata.js';
import { loadOffsetSyncs } from '../../../src/kafka/mm2Translation.js';
import { offsetSyncsTopic } from '../../../src/kafka/naming.js';
import type { CheckResult } from '../../../src/gates/scorecard.js';
import type { Evidence, GateResult } from '../../../src/gates/types.js';
import { TEST_LAB, cli, eventually, labUpArgs, repoRoot, type CliResult, type TestLab } from '../labHarness.js';
import { testProducer } from '../testClients.js';

/** Runbooks for `failover check` against a test lab, written into a temp folder. */
export interface RunbookOptions {
  lab?: TestLab;
  name?: string;
  topics: string[];
  groups?: string[];
  producers?: string[];
  reverse?: boolean;
  revert?: boolean;
  /** where the switch file points: east (default) or west */
  routeTo?: 'east' | 'west';
  /** SASL as the lab admin, password from FAILOVER_LAB_ADMIN_PASSWORD */
  secure?: boolean;
  requestTimeout?: string;
  connectionTimeout?: string;
  offsets?: Partial<{ maxLagRecords: number; maxLagSeconds: number; maxReplayRecords: number; checkpointMaxAgeSeconds: number }>;
  heartbeatMaxAgeSeconds?: number;
  rehearsedWithinDays?: number;
}

export function tempDir(prefix = 'failover-check-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function writeRunbook(dir: string, o: RunbookOptions): string {
  const lab = o.lab ?? TEST_LAB;
  const east = `127.0.0.1:${lab.eastPort}`;
  const west = `127.0.0.1:${lab.westPort}`;
  const auth = o.secure ? `\n    auth: { sasl: { mechanism: scram-sha-256, username: admin, password: "\${env:FAILOVER_LAB_ADMIN_PASSWORD}" } }` : '';
  const timeouts = `\n    timeouts: { requestTimeout: ${o.requestTimeout ?? '5s'}, connectionTimeout: ${o.connectionTimeout ?? '3s'} }`;
  writeFileSync(join(dir, 'route.properties'), `# clients read this\nbootstrap.servers=${o.routeTo === 'west' ? west : east}\n`);
  const list = (xs: string[]) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
  const offsets = { maxLagRecords: 500, maxLagSeconds: 30, maxReplayRecords: 5000, checkpointMaxAgeSeconds: 60, ...o.offsets };
  const revert = o.revert === false
    ? ''
    : `
  revert:
    steps:
      - unfence-writes: { cluster: primary }
      - switch-route: { to: primary }${o.reverse === false ? '' : '\n      - translate-offsets: { direction: reverse }'}`;
  const text = `version: 1
name: ${o.name ?? 'it-check'}
clusters:
  east:
    bootstrap: [${east}]${auth}${timeouts}
  west:
    bootstrap: [${west}]${auth}${timeouts}
roles: { primary: east, secondary: west }
link:
  kind: mirrormaker2
  aliases: { east: east, west: west }
  reverse: ${o.reverse === false ? 'false' : 'true'}
workload:
  topics: ${list(o.topics)}
  groups: ${list(o.groups ?? [])}
  producers: ${list(o.producers ?? ['User:orders-svc'])}
routing:
  alias: orders-kafka.lab:9092
  switch:
    file: { path: ./route.properties, key: bootstrap.servers }
gates:
  offsets: { maxLagRecords: ${offsets.maxLagRecords}, maxLagSeconds: ${offsets.maxLagSeconds}, maxReplayRecords: ${offsets.maxReplayRecords}, checkpointMaxAgeSeconds: ${offsets.checkpointMaxAgeSeconds} }
  observability: { heartbeatMaxAgeSeconds: ${o.heartbeatMaxAgeSeconds ?? 30} }
  rollback: { rehearsedWithinDays: ${o.rehearsedWithinDays ?? 7} }
actions:
  promote:
    requires: [compatibility, offsets, routing, rollback]
    stopWhen: { lagSecondsAbove: 60 }
    steps:
      - fence-writes: { cluster: primary }
      - translate-offsets: {}
      - switch-route: { to: secondary }${revert}
  continue-forward:
    steps:
      - set-roles: { primary: west, secondary: east }
`;
  const file = join(dir, 'runbook.yaml');
  writeFileSync(file, text);
  mkdirSync(join(dir, 'transcripts'), { recursive: true });
  return file;
}

export interface CheckRun {
  cli: CliResult;
  result: CheckResult;
  elapsedMs: number;
}

/** Runs the built CLI's `check --json` and parses what it printed. */
export async function runCheck(runbook: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<CheckRun> {
  const t0 = Date.now();
  const r = await cli(['check', runbook, '--json', '--transcripts', join(runbook, '..', 'transcripts'), ...extra], { env, timeoutMs: 120_000 });
  const elapsedMs = Date.now() - t0;
  let result: CheckResult;
  try {
    result = JSON.parse(r.stdout) as CheckResult;
  } catch {
    throw new Error(`check printed no JSON (exit ${r.exitCode}):\n${r.all}`);
  }
  return { cli: r, result, elapsedMs };
}

export function gate(result: CheckResult, name: GateResult['gate']): GateResult {
  const g = result.gates.find((x) => x.gate === name);
  if (!g) throw new Error(`gate ${name} did not run: ${result.gates.map((x) => x.gate).join(', ')}`);
  return g;
}

export function evidence(result: CheckResult, check: string): Evidence {
  const gateName = check.split('.')[0] as GateResult['gate'];
  const e = gate(result, gateName).evidence.find((x) => x.check === check);
  if (!e) throw new Error(`no evidence ${check}`);
  return e;
}

/** A one-line summary of every gate, for assertion messages. */
export function scorecard(result: CheckResult): string {
  return result.gates.map((g) => `${g.gate}=${g.score} (${g.keyFinding})`).join('\n');
}

export const checkResultSchema = (() => {
  const schema = JSON.parse(readFileSync(join(repoRoot, 'schema', 'check-result.schema.json'), 'utf8')) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  ajv.addFormat('date-time', (v: string) => !Number.isNaN(Date.parse(v)));
  return ajv.compile(schema);
})();

/**
 * Creates topics on east and writes keyed records in `rounds` batches,
 * waiting after each until MM2 has replicated it and flushed its offset
 * syncs. MM2 keeps one pending sync per partition and overwrites it while a
 * burst is in flight, so a single burst leaves a sync only near its end, and
 * a group that committed inside the burst cannot be checkpointed (MM2 says
 * it committed before the first sync). Rounds give MM2 sync points to
 * translate from, as a steadily running workload does.
 *
 * The first record of each partition goes alone, and the rest only once MM2's
 * offset sync of it is on the offset-syncs topic: every partition's first
 * sync is then at offset 0, so no commit a test makes lies before it. (On a
 * loaded machine MM2 can find a fresh topic only after several rounds are
 * written, and its first sync then lands at the end of them.)
 */
export async function seedTopics(
  conns: { east: KafkaConnection; west: KafkaConnection },
  topics: string[],
  opts: { partitions?: number; records?: number; rounds?: number } = {},
): Promise<void> {
  const partitions = opts.partitions ?? 3;
  const records = opts.records ?? 60;
  const rounds = opts.rounds ?? 3;
  await ensureTopics(conns.east, topics.map((topic) => ({ topic, partitions })));
  const admin = await conns.west.admin();
  // Fresh topics move their leaders into place for a moment; the producer retries through it.
  const producer = testProducer(conns.east, { retries: 8 });
  try {
    const message = (topic: string, i: number) => ({ key: `k${i % 16}`, value: `event ${i} of ${topic}`, partition: i % partitions });
    let sent = Math.min(partitions, records);
    for (const topic of topics) await producer.send({ topic, acks: -1, messages: Array.from({ length: sent }, (_, i) => message(topic, i)) });
    await firstOffsetSyncs(conns.east, topics, sent);
    for (let round = 1; round <= rounds; round++) {
      const upTo = Math.round((records * round) / rounds);
      for (const topic of topics) {
        await producer.send({
          topic,
          acks: -1,
          messages: Array.from({ length: upTo - sent }, (_, j) => message(topic, sent + j)),
        });
      }
      sent = upTo;
      await eventually(`MM2 replicates ${topics.join(', ')} to west (round ${round})`, 90_000, async () => {
        const have = new Set(await admin.listTopics());
        if (!topics.every((t) => have.has(`east.${t}`))) return undefined;
        const ends = await partitionEndsOf(conns.west, topics.map((t) => `east.${t}`));
        for (const t of topics) {
          if ((ends.get(`east.${t}`) ?? []).reduce((n, e) => n + e.latest, 0) < sent) return undefined;
        }
        return true;
      });
      // Offset syncs are flushed when MM2's source task commits (offset.flush.interval.ms = 1 s in the lab).
      await new Promise((r) => setTimeout(r, 2500));
    }
  } finally {
    await producer.close();
  }
}

/**
 * Waits until MirrorMaker 2's east->west offset-syncs topic (on east, the lab's
 * `offset-syncs.topic.location=source`) holds a sync of upstream offset 0 for
 * partitions 0 .. partitions-1 of each topic: MM2 replicated each partition's
 * first record and recorded where.
 */
export async function firstOffsetSyncs(east: KafkaConnection, topics: string[], partitions: number): Promise<void> {
  const syncsTopic = offsetSyncsTopic({ sourceAlias: 'east', targetAlias: 'west' }, 'source');
  await eventually(`MM2's first offset sync of each partition of ${topics.join(', ')}`, 120_000, async () => {
    const { syncs } = await loadOffsetSyncs(east, syncsTopic, true);
    const missing = topics.flatMap((t) => Array.from({ length: partitions }, (_, p) => p).filter((p) => !(syncs.get(tpKey(t, p)) ?? []).some((x) => x.upstreamOffset === 0)));
    return missing.length === 0 ? true : undefined;
  });
}

/** Commits offsets for a group on east without joining it (the group must be empty). */
export async function commitOnEast(conn: KafkaConnection, group: string, topic: string, offsets: Record<number, number>): Promise<void> {
  await commitOffsetsToEmptyGroup(conn, group, Object.entries(offsets).map(([p, o]) => ({ topic, partition: Number(p), offset: o })));
}

/**
 * Brings a lab back (or up) after a fault. On a loaded machine a broker can
 * miss lab up's own readiness deadline while it is still starting; a second
 * lab up finds it running and waits for it again.
 */
export async function labUp(lab: TestLab = TEST_LAB, extra: string[] = [], attempts = 3): Promise<void> {
  let last: CliResult | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await cli(labUpArgs(lab, extra), { timeoutMs: 600_000 });
    if (last.exitCode === 0) return;
  }
  throw new Error(`failover ${labUpArgs(lab, extra).join(' ')} failed ${attempts} times (exit ${last?.exitCode}):\n${last?.all}`);
}

/** Test and hook timeout for files that take a lab down and bring it back. */
export const FAULT_TIMEOUT_MS = 900_000;
