import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { execa } from 'execa';
import { createServer } from 'node:net';
import { KafkaConnection } from '../../src/kafka/connection.js';
import { labConnections } from '../../src/lab/lab.js';

export const repoRoot = join(import.meta.dirname, '..', '..');

/**
 * The integration tests' own lab: another folder and other ports than the
 * one `npm run demo` uses, with extra MM2 patterns so every test can mirror
 * topics and groups with unique names (`it-...`).
 */
export const TEST_LAB = {
  dir: process.env.FAILOVER_TEST_LAB_DIR ?? join(repoRoot, '.lab-test'),
  eastPort: Number(process.env.FAILOVER_TEST_EAST_PORT ?? 19192),
  westPort: Number(process.env.FAILOVER_TEST_WEST_PORT ?? 29192),
  topics: ['orders', 'payments', 'failover.probe', '/it-.*/'],
  groups: ['billing', 'shipping', 'failover-probe', '/it-.*/'],
  // Extra `lab up` options for the two default test labs, to run the suite on another profile, e.g.
  // FAILOVER_TEST_LAB_OPTIONS=--sync-group-offsets, MirrorMaker 2's group offset sync on (off by default, as in MM2
  // and the lab: only translate-offsets moves groups on the target; with other dirs or ports: a lab keeps its shape).
  profile: (process.env.FAILOVER_TEST_LAB_OPTIONS ?? '').split(' ').filter(Boolean),
};

/** Whether the lab in `dir` runs MirrorMaker 2's group offset sync (from its state.json; absent there: on). */
export async function labSyncsGroupOffsets(lab: TestLab): Promise<boolean> {
  const { labPaths, shapeOf } = await import('../../src/lab/labConfig.js');
  const { readState } = await import('../../src/lab/labState.js');
  const state = readState(labPaths(lab.dir).state);
  if (!state) throw new Error(`no lab state in ${lab.dir}`);
  return shapeOf(state.settings).syncGroupOffsets;
}

/**
 * The shared labs this run uses: both, or those FAILOVER_TEST_LABS names
 * (`default`, `secure`, `none`), for a file that needs no other.
 */
export function sharedLabs(): TestLab[] {
  const only = process.env.FAILOVER_TEST_LABS?.split(',').map((s) => s.trim());
  return [TEST_LAB, SECURE_LAB].filter((l) => !only || only.includes(l === TEST_LAB ? 'default' : 'secure'));
}

/** The secure lab (SASL/SCRAM and the StandardAuthorizer on both clusters). */
export const SECURE_LAB = {
  ...TEST_LAB,
  dir: process.env.FAILOVER_TEST_SECURE_LAB_DIR ?? join(repoRoot, '.lab-test-secure'),
  eastPort: Number(process.env.FAILOVER_TEST_SECURE_EAST_PORT ?? 19292),
  westPort: Number(process.env.FAILOVER_TEST_SECURE_WEST_PORT ?? 29292),
  secure: true,
};

/**
 * A production-shaped lab: three nodes per cluster, TLS and SCRAM-SHA-512
 * (`lab up --brokers 3 --tls --sasl scram-sha-512`). Its nodes take three
 * ports each from the base (east-1 at the base, east-2 at base+3, east-3 at
 * base+6). Not started by globalSetup: the test files that need it start it
 * (startProfileLab) and stop what they started.
 */
export const TLS_SCRAM512_LAB: TestLab = {
  ...TEST_LAB,
  dir: process.env.FAILOVER_TEST_PROFILE_LAB_DIR ?? join(repoRoot, '.lab-test-3b-tls-scram512'),
  eastPort: Number(process.env.FAILOVER_TEST_PROFILE_EAST_PORT ?? 19592),
  westPort: Number(process.env.FAILOVER_TEST_PROFILE_WEST_PORT ?? 29592),
  profile: ['--brokers', '3', '--tls', '--sasl', 'scram-sha-512'],
};

/**
 * A plaintext lab of three nodes per cluster (`lab up --brokers 3`), for
 * leaders that move and partitions that degrade; started by the file that
 * needs it. Its workload is the lab's default (no it-* topics mirrored), so
 * a test can create a topic on each side that MirrorMaker 2 leaves alone.
 */
export const MULTI_BROKER_LAB: TestLab = {
  ...TEST_LAB,
  dir: process.env.FAILOVER_TEST_MB_LAB_DIR ?? join(repoRoot, '.lab-test-3b'),
  eastPort: Number(process.env.FAILOVER_TEST_MB_EAST_PORT ?? 19792),
  westPort: Number(process.env.FAILOVER_TEST_MB_WEST_PORT ?? 29792),
  topics: ['orders', 'payments', 'failover.probe'],
  groups: ['billing', 'shipping', 'failover-probe'],
  profile: ['--brokers', '3'],
};

/** A 1-broker lab with unsecured OAUTHBEARER tokens (`lab up --sasl oauthbearer`), started by the file that needs it. */
export const OAUTH_LAB: TestLab = {
  ...TEST_LAB,
  dir: process.env.FAILOVER_TEST_OAUTH_LAB_DIR ?? join(repoRoot, '.lab-test-oauth'),
  eastPort: Number(process.env.FAILOVER_TEST_OAUTH_EAST_PORT ?? 19692),
  westPort: Number(process.env.FAILOVER_TEST_OAUTH_WEST_PORT ?? 29692),
  profile: ['--sasl', 'oauthbearer'],
};

/**
 * MirrorMaker 2 with IdentityReplicationPolicy (`lab up --replication-policy identity`): orders on east is
 * orders on west, east->west only. Started by the file that needs it, with the it-* patterns mirrored.
 */
export const IDENTITY_LAB: TestLab = {
  ...TEST_LAB,
  dir: process.env.FAILOVER_TEST_IDENTITY_LAB_DIR ?? join(repoRoot, '.lab-test-identity'),
  eastPort: Number(process.env.FAILOVER_TEST_IDENTITY_EAST_PORT ?? 19992),
  westPort: Number(process.env.FAILOVER_TEST_IDENTITY_WEST_PORT ?? 29992),
  profile: ['--replication-policy', 'identity'],
};

export interface TestLab {
  dir: string;
  eastPort: number;
  westPort: number;
  topics: string[];
  groups: string[];
  secure?: boolean;
  kafka?: string;
  /** lab up's profile options (--brokers, --tls, --sasl, ...) */
  profile?: string[];
}

export function labUpArgs(lab: TestLab, extra: string[] = []): string[] {
  return [
    'lab', 'up', '--dir', lab.dir,
    '--east-port', String(lab.eastPort), '--west-port', String(lab.westPort),
    '--topics', lab.topics.join(','), '--groups', lab.groups.join(','),
    ...(lab.secure ? ['--secure'] : []),
    ...(lab.kafka ? ['--kafka', lab.kafka] : []),
    ...(lab.profile ?? []),
    ...extra,
  ];
}

/**
 * Waits until MirrorMaker 2's heartbeats are fresh both ways, as a pair that
 * has recovered from a paused or killed broker must be before a test relies on
 * the link. MM2 does not always recover from a broker that was gone for a
 * minute (DESIGN "The lab"); `lab up` restarts it when its heartbeats stopped,
 * as an operator's recovery would, so this runs it while they are stale.
 */
export async function linkFlowing(lab: TestLab, freshMs = 15_000, timeoutMs = 240_000): Promise<void> {
  await eventually(`MirrorMaker 2's heartbeats fresh both ways on ${lab.dir}`, timeoutMs, async () => {
    const st = await cli(['lab', 'status', '--json', '--dir', lab.dir]);
    const hb = (JSON.parse(st.stdout) as { heartbeats: { ageMs?: number }[] }).heartbeats;
    if (hb.length > 0 && hb.every((h) => h.ageMs !== undefined && h.ageMs < freshMs)) return true;
    if (hb.some((h) => h.ageMs === undefined || h.ageMs > 60_000)) await cli(labUpArgs(lab), { timeoutMs: 300_000 });
    await new Promise((r) => setTimeout(r, 2000));
    return undefined;
  });
}

export function unique(prefix: string): string {
  return `it-${prefix}-${randomBytes(4).toString('hex')}`;
}

/**
 * Starts a lab that globalSetup does not (a profile lab), or reuses it when it
 * runs. Returns the stop to call in afterAll: it stops the lab only if this
 * call started it, and never under FAILOVER_KEEP_LAB.
 */
export async function startProfileLab(lab: TestLab): Promise<() => Promise<void>> {
  const { labPaths, processNames } = await import('../../src/lab/labConfig.js');
  const { readState } = await import('../../src/lab/labState.js');
  const { procState } = await import('../../src/lab/processes.js');
  const state = readState(labPaths(lab.dir).state);
  const wasRunning = state !== undefined && processNames(state.settings).every((n) => procState(state.processes[n]) === 'running');
  const t0 = Date.now();
  const up = await cli(labUpArgs(lab), { timeoutMs: 900_000 });
  if (up.exitCode !== 0) throw new Error(`failover ${labUpArgs(lab).join(' ')} failed (exit ${up.exitCode}):\n${up.all}`);
  process.stderr.write(`[integration] lab ${lab.dir} ${wasRunning ? 'reused' : `started in ${((Date.now() - t0) / 1000).toFixed(1)} s`}\n`);
  return async () => {
    if (wasRunning || process.env.FAILOVER_KEEP_LAB) return;
    await cli(['lab', 'down', '--dir', lab.dir]);
  };
}

/** Runs the built CLI as a user would, with colour off. */
export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  all: string;
}

export async function cli(args: string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs?: number; input?: string } = {}): Promise<CliResult> {
  const r = await execa('node', [join(repoRoot, 'bin', 'failover.js'), ...args], {
    cwd: repoRoot,
    reject: false,
    all: true,
    env: { NO_COLOR: '1', ...opts.env },
    timeout: opts.timeoutMs ?? 180_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), all: String(r.all ?? '') };
}

export function testLabConnections(timeoutMs = 5000, lab: TestLab = TEST_LAB): { east: KafkaConnection; west: KafkaConnection } {
  const { east, west } = labConnections(lab.dir, timeoutMs);
  return { east, west };
}

export async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
}

/** A port nothing listens on now, with the next two free as well (a lab cluster uses three). */
export async function freePortBlock(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 40_000 + Math.floor(Math.random() * 20_000);
    const ok = await Promise.all([base, base + 1, base + 2].map(isFree));
    if (ok.every(Boolean)) return base;
  }
  throw new Error('no free port block found');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * The lab's pair state (phase, lock, fences, route records) lives in one
 * state topic per pair of clusters, shared by every runbook on them, as in
 * production. Tests that run actions start from a pair with no state: they
 * delete that topic on both clusters (a test fixture; failover itself never
 * deletes it), and wait until neither lists it.
 */
export async function resetPairState(lab: TestLab = TEST_LAB): Promise<void> {
  const { describeCluster } = await import('../../src/kafka/clusterInfo.js');
  const { stateTopicName } = await import('../../src/kafka/stateTopic.js');
  const { east, west } = testLabConnections(10_000, lab);
  try {
    // A broker that has just resumed or restarted answers with leader elections for a moment.
    const idOf = (c: typeof east) => eventually(`the cluster id of ${c.name}`, 30_000, async () => (await describeCluster(c)).clusterId);
    const topic = stateTopicName(await idOf(east), await idOf(west));
    for (const conn of [east, west]) {
      const admin = await conn.admin();
      if (!(await admin.listTopics()).includes(topic)) continue;
      await admin.deleteTopics({ topics: [topic] });
      await eventually(`${topic} deleted on ${conn.name}`, 30_000, async () => ((await admin.listTopics()).includes(topic) ? undefined : true));
    }
  } finally {
    await east.close();
    await west.close();
  }
}

/** The pair's state topic on a lab, by its clusters' ids. */
export async function labStateTopic(lab: TestLab = TEST_LAB): Promise<string> {
  const { describeCluster } = await import('../../src/kafka/clusterInfo.js');
  const { stateTopicName } = await import('../../src/kafka/stateTopic.js');
  const { east, west } = testLabConnections(10_000, lab);
  try {
    return stateTopicName((await describeCluster(east)).clusterId, (await describeCluster(west)).clusterId);
  } finally {
    await east.close();
    await west.close();
  }
}
