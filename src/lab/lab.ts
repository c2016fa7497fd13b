import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { FailoverError } from '../errors.js';
import { KafkaConnection } from '../kafka/connection.js';
import { describeCluster, ensureTopics } from '../kafka/clusterInfo.js';
import { createAcls, type Acl } from '../kafka/acls.js';
import { replicatedHeartbeatAge, type HeartbeatAge } from '../kafka/heartbeats.js';
import {
  BROKERS, DEFAULT_GROUPS, DEFAULT_KAFKA_VERSION, DEFAULT_TOPICS, PROCESSES,
  bootstrapOf, kafkaMajor, labPaths, portsOf,
  type BrokerName, type LabSettings, type ProcessName,
} from './labConfig.js';
import { readState, writeState, type LabState } from './labState.js';
import { portFree, procState, sleep, startJava, stop, tail, type ProcState } from './processes.js';
import { labSecrets, readLabSecrets } from './secrets.js';
import { log4j2Properties, log4jProperties, mm2Properties, serverProperties, type LabSecrets } from './templates.js';
import { findJava, resolveClasspath } from './toolchain.js';

export interface LabUpRequest {
  dir: string;
  kafka?: string;
  secure?: boolean;
  eastPort?: number;
  westPort?: number;
  topics?: string[];
  groups?: string[];
  withoutAuthorizer?: BrokerName[];
}

export interface LabDescription {
  dir: string;
  alreadyRunning: boolean;
  settings: LabSettings;
  processes: { name: ProcessName; state: ProcState; pid?: number; log: string; address?: string; clusterId?: string }[];
  heartbeats: { flow: string; ageMs?: number; error?: string }[];
  elapsedMs: number;
}

type Progress = (line: string) => void;

// A loaded 2-core machine can take minutes to replay a KRaft log and activate the controller.
const READY_TIMEOUT_MS = 180_000;
// MM2 starts six connectors per flow; on a loaded 2-core machine that takes minutes.
const HEARTBEAT_TIMEOUT_MS = 240_000;
/** Heartbeats older than this on a lab whose processes all run: MirrorMaker 2 is stuck, and `up` restarts it. */
const MM2_STUCK_MS = 60_000;

function settingsFrom(req: LabUpRequest, prior: LabState | undefined): LabSettings {
  const base: LabSettings = prior?.settings ?? {
    dir: req.dir,
    kafkaVersion: DEFAULT_KAFKA_VERSION,
    secure: false,
    ports: { east: 19092, west: 29092 },
    topics: DEFAULT_TOPICS,
    groups: DEFAULT_GROUPS,
  };
  const next: LabSettings = {
    dir: req.dir,
    kafkaVersion: req.kafka ?? base.kafkaVersion,
    secure: req.secure ?? base.secure,
    ports: { east: req.eastPort ?? base.ports.east, west: req.westPort ?? base.ports.west },
    topics: req.topics ?? base.topics,
    groups: req.groups ?? base.groups,
    withoutAuthorizer: req.withoutAuthorizer ?? base.withoutAuthorizer ?? [],
  };
  if (next.withoutAuthorizer!.length && !next.secure) {
    throw new FailoverError('--without-authorizer needs --secure', { hint: 'the plain lab has no authorizer anywhere' });
  }
  if (prior) {
    // Data formatted for one shape of lab cannot silently become another.
    const changed: string[] = [];
    if (next.kafkaVersion !== prior.settings.kafkaVersion) changed.push(`Kafka ${prior.settings.kafkaVersion} -> ${next.kafkaVersion}`);
    if (next.secure !== prior.settings.secure) changed.push(next.secure ? 'plain -> secure' : 'secure -> plain');
    if ((next.withoutAuthorizer ?? []).join() !== (prior.settings.withoutAuthorizer ?? []).join()) changed.push('authorizers');
    if (next.ports.east !== prior.settings.ports.east || next.ports.west !== prior.settings.ports.west) changed.push('ports');
    if (changed.length) {
      throw new FailoverError(`the lab in ${req.dir} was made with other settings (${changed.join(', ')})`, {
        hint: `run \`failover lab down --purge --dir ${req.dir}\` first, or use another --dir`,
      });
    }
  }
  return next;
}

function connectionFor(s: LabSettings, name: BrokerName, secrets: LabSecrets | undefined, timeoutMs = 5000): KafkaConnection {
  return new KafkaConnection({
    name,
    bootstrap: [bootstrapOf(s, name)],
    requestTimeoutMs: timeoutMs,
    connectionTimeoutMs: 1000,
    clientId: 'failover-lab',
    ...(secrets ? { auth: { sasl: { mechanism: 'scram-sha-256' as const, username: 'admin', password: secrets.admin } } } : {}),
  });
}

/** Admin connections to the lab's clusters, as the lab's own admin user. */
export function labConnections(dir: string, timeoutMs = 5000): { east: KafkaConnection; west: KafkaConnection; settings: LabSettings } {
  const paths = labPaths(dir);
  const state = readState(paths.state);
  if (!state) throw new FailoverError(`no lab in ${paths.root}`, { hint: 'run `failover lab up` first' });
  const secrets = state.settings.secure ? readLabSecrets(paths.secrets) : undefined;
  return {
    east: connectionFor(state.settings, 'east', secrets, timeoutMs),
    west: connectionFor(state.settings, 'west', secrets, timeoutMs),
    settings: state.settings,
  };
}

function jvmArgs(s: LabSettings, name: ProcessName, heap: string): string[] {
  const paths = labPaths(s.dir);
  const logCfg = paths.logConfig(name, kafkaMajor(s.kafkaVersion));
  return [
    `-Xmx${heap}`,
    '-Xms128m',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-Djava.awt.headless=true',
    kafkaMajor(s.kafkaVersion) >= 4 ? `-Dlog4j2.configurationFile=${logCfg}` : `-Dlog4j.configuration=file:${logCfg}`,
  ];
}

function writeLogConfig(s: LabSettings, name: ProcessName): void {
  const file = labPaths(s.dir).logConfig(name, kafkaMajor(s.kafkaVersion));
  writeFileSync(file, kafkaMajor(s.kafkaVersion) >= 4 ? log4j2Properties() : log4jProperties());
}

/**
 * A random cluster id as Kafka writes them (16 bytes, URL-safe base64).
 * Like Kafka's Uuid.randomUuid, never one that starts with '-': the storage
 * tool would read it as an option and refuse to format.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

async function formatBroker(s: LabSettings, name: BrokerName, java: string, cp: string, secrets: LabSecrets | undefined): Promise<void> {
  const paths = labPaths(s.dir);
  if (existsSync(join(paths.data(name), 'meta.properties'))) return;
  const args = ['-cp', cp, ...jvmArgs(s, name, '256m'), '-XX:TieredStopAtLevel=1', 'kafka.tools.StorageTool', 'format', '-t', newClusterId(), '-c', paths.config(name), '--ignore-formatted'];
  if (secrets) {
    for (const [user, pw] of Object.entries(secrets)) args.push('--add-scram', `SCRAM-SHA-256=[name=${user},password=${pw}]`);
  }
  const r = await execa(java, args, { reject: false, all: true, timeout: 120_000 });
  if (r.exitCode !== 0) {
    throw new FailoverError(`formatting ${name} failed (exit ${r.exitCode}):\n${redactAll(r.all ?? '', secrets)}`, {
      hint: `see the output above; \`failover lab down --purge --dir ${s.dir}\` starts from scratch`,
    });
  }
}

function redactAll(text: string, secrets: LabSecrets | undefined): string {
  let t = text;
  for (const v of Object.values(secrets ?? {})) t = t.split(v).join('***');
  return t;
}

async function waitUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, alive: () => string | undefined): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    const dead = alive();
    if (dead) throw new FailoverError(dead, { hint: 'see the log named above; `failover lab logs <name>` prints it' });
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await sleep(500);
  }
  throw new FailoverError(`${what}: not ready within ${timeoutMs / 1000} s${last ? ` (${(last as Error).message})` : ''}`, {
    hint: 'see `failover lab logs east|west|mm2`',
  });
}

function deadMessage(s: LabSettings, state: LabState, names: ProcessName[]): () => string | undefined {
  return () => {
    for (const n of names) {
      if (procState(state.processes[n]) === 'stopped') {
        const log = labPaths(s.dir).log(n);
        return `${n} exited during start-up; last lines of ${log}:\n${tail(log, 15)}`;
      }
    }
    return undefined;
  };
}

/** MM2's own principal needs to read, write and create topics, and manage groups, on both sides. */
function labAcls(): Acl[] {
  const allow = (principal: string, resourceType: Acl['resourceType'], resourceName: string, operation: Acl['operation'], patternType: Acl['patternType'] = 'LITERAL'): Acl => ({
    principal, host: '*', resourceType, resourceName, patternType, operation, permission: 'ALLOW',
  });
  return [
    allow('User:mm2', 'Topic', '*', 'All'),
    allow('User:mm2', 'Group', '*', 'All'),
    allow('User:mm2', 'Cluster', 'kafka-cluster', 'Describe'),
    allow('User:mm2', 'Cluster', 'kafka-cluster', 'DescribeConfigs'),
    allow('User:mm2', 'Cluster', 'kafka-cluster', 'Create'),
    ...['orders', 'payments'].flatMap((t) => [allow('User:orders-svc', 'Topic', t, 'Write'), allow('User:orders-svc', 'Topic', t, 'Describe')]),
    allow('User:orders-svc', 'Cluster', 'kafka-cluster', 'IdempotentWrite'),
    ...['orders', 'payments'].flatMap((t) => [allow('User:billing', 'Topic', t, 'Read'), allow('User:billing', 'Topic', t, 'Describe')]),
    allow('User:billing', 'Group', 'billing', 'Read'),
  ];
}

export async function labUp(req: LabUpRequest, progress: Progress = () => {}): Promise<LabDescription> {
  const t0 = Date.now();
  const paths = labPaths(req.dir);
  const prior = readState(paths.state);
  const s = settingsFrom(req, prior);
  const state: LabState = prior ? { ...prior, settings: s } : { version: 1, settings: s, processes: {}, clusterIds: {} };
  const states = Object.fromEntries(PROCESSES.map((n) => [n, procState(state.processes[n])])) as Record<ProcessName, ProcState>;

  const paused = PROCESSES.filter((n) => states[n] === 'paused');
  if (paused.length) {
    throw new FailoverError(`${paused.join(' and ')} ${paused.length > 1 ? 'are' : 'is'} paused`, {
      hint: `run \`failover lab resume ${paused[0]}\` first`,
    });
  }
  // The lab runbooks' route (switch-route rewrites it), also for a lab already running: it starts at east.
  // A route a promote switched is kept.
  mkdirSync(paths.route, { recursive: true });
  const route = join(paths.route, 'orders.properties');
  if (!existsSync(route)) writeFileSync(route, `bootstrap.servers=${bootstrapOf(s, 'east')}\n`);
  if (PROCESSES.every((n) => states[n] === 'running')) {
    const running = await describeLab(req.dir);
    // MirrorMaker 2 in dedicated mode does not always recover from a restarted broker: its workers wait on an
    // assignment that never comes, and nothing flows. A running lab whose heartbeats stopped gets a new MM2.
    if (!running.heartbeats.some((h) => h.ageMs === undefined || h.ageMs > MM2_STUCK_MS)) return { ...running, alreadyRunning: true, elapsedMs: Date.now() - t0 };
    progress(`MirrorMaker 2's heartbeats stopped (${running.heartbeats.map((h) => `${h.flow} ${h.ageMs === undefined ? 'none' : `${Math.round(h.ageMs / 1000)} s old`}`).join(', ')}): restarting it`);
    await stop(state.processes.mm2);
    states.mm2 = 'stopped';
  }

  const java = await findJava();
  const toStart = BROKERS.filter((b) => states[b] !== 'running');
  for (const b of toStart) {
    const p = portsOf(s.ports[b]);
    const needed = s.secure ? [p.client, p.controller, p.internal] : [p.client, p.controller];
    for (const port of needed) {
      if (!(await portFree(port))) {
        throw new FailoverError(`port ${port} on 127.0.0.1 is taken; ${b} cannot start`, {
          hint: `stop what listens there (\`ss -ltnp 'sport = :${port}'\`), or choose other ports with --${b}-port`,
        });
      }
    }
  }

  const cp = await resolveClasspath(s.kafkaVersion, paths.classpath(s.kafkaVersion), progress);
  mkdirSync(paths.logs, { recursive: true });
  const secrets = s.secure ? labSecrets(paths.secrets) : undefined;
  // A lab that cannot come up is not left half-running: what this call started, it stops.
  const startedNow: ProcessName[] = [];
  try {
    // A broker that comes back under a running MirrorMaker 2 leaves it stuck as often as not (see above): restart both.
    if (toStart.length > 0 && states.mm2 === 'running') {
      progress(`stopping MirrorMaker 2 while ${toStart.join(' and ')} ${toStart.length > 1 ? 'start' : 'starts'}`);
      await stop(state.processes.mm2);
      states.mm2 = 'stopped';
    }
    for (const b of toStart) {
      mkdirSync(paths.data(b), { recursive: true });
      writeFileSync(paths.config(b), serverProperties(s, b, paths.data(b), secrets), { mode: 0o600 });
      writeLogConfig(s, b);
      await formatBroker(s, b, java.bin, cp, secrets);
      progress(`starting ${b} (Kafka ${s.kafkaVersion}) on ${bootstrapOf(s, b)}`);
      state.processes[b] = startJava({
        java: java.bin, classpath: cp, mainClass: 'kafka.Kafka', args: [paths.config(b)],
        jvmArgs: jvmArgs(s, b, '1g'), marker: `${paths.root}:${b}`, logFile: paths.log(b),
      });
      startedNow.push(b);
      writeState(paths.state, state);
    }

    const conns = { east: connectionFor(s, 'east', secrets), west: connectionFor(s, 'west', secrets) };
    try {
      for (const b of BROKERS) {
        const info = await waitUntil(`${b}`, READY_TIMEOUT_MS, () => describeCluster(conns[b]), deadMessage(s, state, [b]));
        state.clusterIds[b] = info.clusterId;
        await ensureTopics(conns[b], s.topics.filter((t) => !t.startsWith('/')).map((topic) => ({ topic, partitions: topic === 'failover.probe' ? 4 : 3 })));
        if (secrets && !s.withoutAuthorizer?.includes(b)) await createAcls(conns[b], labAcls());
      }
      writeState(paths.state, state);

      if (states.mm2 !== 'running') {
        mkdirSync(join(paths.root, 'mm2'), { recursive: true });
        writeFileSync(paths.config('mm2'), mm2Properties(s, secrets), { mode: 0o600 });
        writeLogConfig(s, 'mm2');
        progress('starting MirrorMaker 2 (east->west, west->east)');
        state.processes.mm2 = startJava({
          java: java.bin, classpath: cp, mainClass: 'org.apache.kafka.connect.mirror.MirrorMaker', args: [paths.config('mm2')],
          jvmArgs: jvmArgs(s, 'mm2', '1g'), marker: `${paths.root}:mm2`, logFile: paths.log('mm2'),
        });
        startedNow.push('mm2');
        writeState(paths.state, state);
      }
      progress('waiting for heartbeats both ways');
      await waitUntil('MirrorMaker 2 heartbeats', HEARTBEAT_TIMEOUT_MS, async () => {
        const [ew, we] = await Promise.all([replicatedHeartbeatAge(conns.west, 'east'), replicatedHeartbeatAge(conns.east, 'west')]);
        return fresh(ew) && fresh(we) ? true : undefined;
      }, deadMessage(s, state, ['east', 'west', 'mm2']));
    } finally {
      await Promise.all([conns.east.close(), conns.west.close()]);
    }
  } catch (e) {
    for (const n of startedNow.reverse()) await stop(state.processes[n]).catch(() => undefined);
    writeState(paths.state, state);
    throw e;
  }
  writeState(paths.state, state);
  return { ...(await describeLab(req.dir)), alreadyRunning: false, elapsedMs: Date.now() - t0 };
}

function fresh(h: HeartbeatAge): boolean {
  return h.ageMs !== undefined && h.ageMs < 10_000;
}

export async function describeLab(dir: string): Promise<LabDescription> {
  const t0 = Date.now();
  const paths = labPaths(dir);
  const state = readState(paths.state);
  if (!state) throw new FailoverError(`no lab in ${paths.root}`, { hint: 'run `failover lab up` first' });
  const s = state.settings;
  const secrets = s.secure ? readLabSecrets(paths.secrets) : undefined;
  const processes: LabDescription['processes'] = [];
  const conns = { east: connectionFor(s, 'east', secrets, 3000), west: connectionFor(s, 'west', secrets, 3000) };
  const heartbeats: LabDescription['heartbeats'] = [];
  try {
    for (const n of PROCESSES) {
      const st = procState(state.processes[n]);
      const entry: LabDescription['processes'][number] = { name: n, state: st, log: paths.log(n) };
      if (st !== 'stopped' && state.processes[n]) entry.pid = state.processes[n]!.pid;
      if (n !== 'mm2') {
        entry.address = bootstrapOf(s, n);
        if (st === 'running') {
          try {
            entry.clusterId = (await describeCluster(conns[n])).clusterId;
          } catch {
            entry.clusterId = state.clusterIds[n];
          }
        } else {
          entry.clusterId = state.clusterIds[n];
        }
      }
      processes.push(entry);
    }
    const [ew, we] = await Promise.all([
      procState(state.processes.west) === 'running' ? replicatedHeartbeatAge(conns.west, 'east') : Promise.resolve({ topic: 'east.heartbeats', error: 'west is not running' } as HeartbeatAge),
      procState(state.processes.east) === 'running' ? replicatedHeartbeatAge(conns.east, 'west') : Promise.resolve({ topic: 'west.heartbeats', error: 'east is not running' } as HeartbeatAge),
    ]);
    heartbeats.push({ flow: 'east->west', ...pick(ew) }, { flow: 'west->east', ...pick(we) });
  } finally {
    await Promise.all([conns.east.close(), conns.west.close()]);
  }
  return { dir: paths.root, alreadyRunning: true, settings: s, processes, heartbeats, elapsedMs: Date.now() - t0 };
}

function pick(h: HeartbeatAge): { ageMs?: number; error?: string } {
  return { ...(h.ageMs !== undefined ? { ageMs: h.ageMs } : {}), ...(h.error ? { error: h.error } : {}) };
}

export async function labDown(dir: string, purge: boolean): Promise<{ stopped: ProcessName[]; purged: boolean }> {
  const paths = labPaths(dir);
  const state = readState(paths.state);
  const stopped: ProcessName[] = [];
  if (state) {
    // MM2 first, so it does not log a storm of errors about vanished clusters.
    for (const n of ['mm2', 'east', 'west'] as const) {
      if (procState(state.processes[n]) !== 'stopped') {
        await stop(state.processes[n]);
        stopped.push(n);
      }
      delete state.processes[n];
    }
    if (!purge) writeState(paths.state, state);
  }
  if (purge && existsSync(paths.root)) rmSync(paths.root, { recursive: true, force: true });
  return { stopped, purged: purge };
}

export function labSignal(dir: string, action: 'kill' | 'pause' | 'resume', name: string): { name: ProcessName; pid: number } {
  const allowed: readonly string[] = action === 'kill' ? PROCESSES : BROKERS;
  if (!allowed.includes(name)) {
    throw new FailoverError(`cannot ${action} "${name}"`, { hint: `choose one of: ${allowed.join(', ')}` });
  }
  const paths = labPaths(dir);
  const state = readState(paths.state);
  const p = state?.processes[name as ProcessName];
  const st = procState(p);
  if (!p || st === 'stopped') {
    throw new FailoverError(`${name} is not running`, { hint: action === 'resume' ? 'nothing to resume; `failover lab up` starts it' : 'run `failover lab up` first' });
  }
  const sig = action === 'kill' ? 'SIGKILL' : action === 'pause' ? 'SIGSTOP' : 'SIGCONT';
  process.kill(p.pid, sig);
  return { name: name as ProcessName, pid: p.pid };
}

export function labLogFile(dir: string, name: string): string {
  if (!(PROCESSES as readonly string[]).includes(name)) {
    throw new FailoverError(`no lab process "${name}"`, { hint: `choose one of: ${PROCESSES.join(', ')}` });
  }
  return labPaths(dir).log(name as ProcessName);
}
