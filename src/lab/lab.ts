import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { FailoverError } from '../errors.js';
import { KafkaConnection, type ClusterAuth } from '../kafka/connection.js';
import { describeCluster, ensureTopics } from '../kafka/clusterInfo.js';
import { createAcls, type Acl } from '../kafka/acls.js';
import { replicatedHeartbeatAge, type HeartbeatAge } from '../kafka/heartbeats.js';
import {
  BROKERS, DEFAULT_GROUPS, DEFAULT_KAFKA_VERSION, DEFAULT_TOPICS,
  allNodes, bootstrapServers, kafkaMajor, labPaths, nodeNamed, nodesOf, portsOf, processNames, shapeOf,
  type BrokerCount, type BrokerName, type LabNode, type LabSaslMechanism, type LabSettings, type ProcessName, type ReplicationPolicyName,
} from './labConfig.js';
import { readState, writeState, type LabState } from './labState.js';
import { portFree, procState, sleep, startJava, stop, tail, type ProcState } from './processes.js';
import { labSecrets, readLabSecrets } from './secrets.js';
import { writeTokens } from './oauth.js';
import { labRunbook } from './labRunbook.js';
import { LAB_USERS, log4j2Properties, log4jProperties, mm2Properties, serverProperties, type LabSecrets, type LabTlsStores } from './templates.js';
import { ensureLabTls, keytoolFor, readStorePassword } from './tls.js';
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
  brokers?: BrokerCount;
  tls?: boolean;
  /** implies secure: SASL with this mechanism, the StandardAuthorizer and the lab's ACLs */
  sasl?: LabSaslMechanism;
  replicationPolicy?: ReplicationPolicyName;
  syncGroupOffsets?: boolean;
}

export interface LabDescription {
  dir: string;
  alreadyRunning: boolean;
  settings: LabSettings;
  processes: { name: ProcessName; cluster?: BrokerName; state: ProcState; pid?: number; log: string; address?: string; clusterId?: string }[];
  heartbeats: { flow: string; ageMs?: number; error?: string }[];
  elapsedMs: number;
  /** files `lab up` wrote for the lab's users: route files, and a runbook for this shape */
  wrote?: string[];
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
    // MirrorMaker 2's own default, and what many production pairs run: only translate-offsets moves groups on the target.
    // A lab made before this setting existed ran with it on, and keeps it (shapeOf reads its absence as on).
    syncGroupOffsets: false,
  };
  const baseShape = shapeOf(base);
  const secure = req.sasl !== undefined ? true : (req.secure ?? base.secure);
  const sasl = secure ? (req.sasl ?? (req.secure ? 'scram-sha-256' : baseShape.sasl ?? 'scram-sha-256')) : undefined;
  const next: LabSettings = {
    dir: req.dir,
    kafkaVersion: req.kafka ?? base.kafkaVersion,
    secure,
    ports: { east: req.eastPort ?? base.ports.east, west: req.westPort ?? base.ports.west },
    topics: req.topics ?? base.topics,
    groups: req.groups ?? base.groups,
    withoutAuthorizer: req.withoutAuthorizer ?? base.withoutAuthorizer ?? [],
  };
  // Profile settings are recorded only where they differ from the 1-broker lab's, so that a lab made before
  // profiles and the same lab made now have the same state.
  const brokers = req.brokers ?? baseShape.brokers;
  const tls = req.tls ?? baseShape.tls;
  const policy = req.replicationPolicy ?? baseShape.replicationPolicy;
  const syncGroupOffsets = req.syncGroupOffsets ?? baseShape.syncGroupOffsets;
  if (brokers !== 1) next.brokers = brokers;
  if (tls) next.tls = true;
  if (sasl && sasl !== 'scram-sha-256') next.sasl = sasl;
  if (policy !== 'default') next.replicationPolicy = policy;
  if (!syncGroupOffsets) next.syncGroupOffsets = false;
  if (next.withoutAuthorizer!.length && !next.secure) {
    throw new FailoverError('--without-authorizer needs --secure', { hint: 'the plain lab has no authorizer anywhere' });
  }
  if (prior) {
    // Data formatted for one shape of lab cannot silently become another.
    const was = shapeOf(prior.settings);
    const now = shapeOf(next);
    const changed: string[] = [];
    if (next.kafkaVersion !== prior.settings.kafkaVersion) changed.push(`Kafka ${prior.settings.kafkaVersion} -> ${next.kafkaVersion}`);
    if (next.secure !== prior.settings.secure) changed.push(next.secure ? 'plain -> secure' : 'secure -> plain');
    else if (now.sasl !== was.sasl) changed.push(`SASL ${was.sasl} -> ${now.sasl}`);
    if ((next.withoutAuthorizer ?? []).join() !== (prior.settings.withoutAuthorizer ?? []).join()) changed.push('authorizers');
    if (next.ports.east !== prior.settings.ports.east || next.ports.west !== prior.settings.ports.west) changed.push('ports');
    if (now.brokers !== was.brokers) changed.push(`brokers ${was.brokers} -> ${now.brokers}`);
    if (now.tls !== was.tls) changed.push(now.tls ? 'plaintext -> TLS' : 'TLS -> plaintext');
    if (now.replicationPolicy !== was.replicationPolicy) changed.push(`replication policy ${was.replicationPolicy} -> ${now.replicationPolicy}`);
    if (now.syncGroupOffsets !== was.syncGroupOffsets) changed.push(`group offset sync ${was.syncGroupOffsets ? 'on' : 'off'} -> ${now.syncGroupOffsets ? 'on' : 'off'}`);
    if (changed.length) {
      throw new FailoverError(`the lab in ${req.dir} was made with other settings (${changed.join(', ')})`, {
        hint: `run \`failover lab down --purge --dir ${req.dir}\` first, or use another --dir`,
      });
    }
  }
  return next;
}

/** What a lab's own clients need to reach it: passwords or tokens, and the CA of a TLS lab. */
interface LabCredentials {
  secrets: LabSecrets | undefined;
  ca: string | undefined;
  tls: LabTlsStores | undefined;
}

function readCredentials(s: LabSettings): LabCredentials {
  const paths = labPaths(s.dir);
  const shape = shapeOf(s);
  const secrets = s.secure ? readLabSecrets(paths.secrets) : undefined;
  const tlsReady = shape.tls && existsSync(paths.caPem) && existsSync(paths.storePassword);
  return {
    secrets,
    ca: tlsReady ? readFileSync(paths.caPem, 'utf8') : undefined,
    tls: tlsReady ? { keystore: paths.keystore, truststore: paths.truststore, password: readStorePassword(paths.storePassword) } : undefined,
  };
}

/** The lab admin's auth for failover's client: the lab's mechanism, and its CA on a TLS lab. */
export function labAdminAuth(s: LabSettings, creds: Pick<LabCredentials, 'secrets' | 'ca'>): ClusterAuth | undefined {
  const shape = shapeOf(s);
  const auth: ClusterAuth = {};
  if (creds.secrets && shape.sasl) {
    auth.sasl = shape.sasl === 'oauthbearer'
      ? { mechanism: 'oauthbearer', token: readFileSync(labPaths(s.dir).token('admin'), 'utf8').trim() }
      : { mechanism: shape.sasl, username: 'admin', password: creds.secrets.admin };
  }
  if (shape.tls) auth.tls = creds.ca ? { ca: creds.ca } : true;
  return auth.sasl || auth.tls ? auth : undefined;
}

function connectionFor(s: LabSettings, name: BrokerName, creds: LabCredentials, timeoutMs = 5000): KafkaConnection {
  const auth = labAdminAuth(s, creds);
  return new KafkaConnection({
    name,
    bootstrap: bootstrapServers(s, name),
    requestTimeoutMs: timeoutMs,
    connectionTimeoutMs: 1000,
    clientId: 'failover-lab',
    ...(auth ? { auth } : {}),
  });
}

/** Admin connections to the lab's clusters, as the lab's own admin user. */
export function labConnections(dir: string, timeoutMs = 5000): { east: KafkaConnection; west: KafkaConnection; settings: LabSettings } {
  const paths = labPaths(dir);
  const state = readState(paths.state);
  if (!state) throw new FailoverError(`no lab in ${paths.root}`, { hint: 'run `failover lab up` first' });
  const creds = readCredentials(state.settings);
  return {
    east: connectionFor(state.settings, 'east', creds, timeoutMs),
    west: connectionFor(state.settings, 'west', creds, timeoutMs),
    settings: state.settings,
  };
}

/** Heaps: a 1-broker lab's nodes get 1 GB as always; six nodes of a 3-broker pair share the machine with MM2. */
function heapOf(s: LabSettings, name: ProcessName): string {
  if (name === 'mm2') return '1g';
  return shapeOf(s).brokers > 1 ? '512m' : '1g';
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

/**
 * The cluster id a node is formatted with: the one its cluster's other nodes
 * were formatted with (every voter of a quorum must share it), else a new one.
 */
function clusterIdFor(s: LabSettings, cluster: BrokerName): string {
  for (const n of nodesOf(s, cluster)) {
    const meta = join(labPaths(s.dir).data(n.name), 'meta.properties');
    if (!existsSync(meta)) continue;
    const m = /^cluster\.id=(.+)$/m.exec(readFileSync(meta, 'utf8'));
    if (m?.[1]) return m[1].trim();
  }
  return newClusterId();
}

async function formatBroker(s: LabSettings, node: LabNode, clusterId: string, java: string, cp: string, secrets: LabSecrets | undefined): Promise<void> {
  const paths = labPaths(s.dir);
  if (existsSync(join(paths.data(node.name), 'meta.properties'))) return;
  const args = ['-cp', cp, ...jvmArgs(s, node.name, '256m'), '-XX:TieredStopAtLevel=1', 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', paths.config(node.name), '--ignore-formatted'];
  const sasl = shapeOf(s).sasl;
  // SCRAM credentials live in the metadata log, so they are written at format time; PLAIN's are in the broker's
  // JAAS line, and OAUTHBEARER's unsecured tokens need none.
  if (secrets && (sasl === 'scram-sha-256' || sasl === 'scram-sha-512')) {
    for (const [user, pw] of Object.entries(secrets)) args.push('--add-scram', `${sasl.toUpperCase()}=[name=${user},password=${pw}]`);
  }
  const r = await execa(java, args, { reject: false, all: true, timeout: 120_000 });
  if (r.exitCode !== 0) {
    throw new FailoverError(`formatting ${node.name} failed (exit ${r.exitCode}):\n${redactAll(r.all ?? '', secrets)}`, {
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

/** The MirrorMaker 2 flows the lab runs: identity naming runs east->west only. */
export function labFlows(s: LabSettings): { source: BrokerName; target: BrokerName; flow: string }[] {
  const flows = [{ source: 'east' as const, target: 'west' as const, flow: 'east->west' }];
  if (shapeOf(s).replicationPolicy !== 'identity') flows.push({ source: 'west' as const, target: 'east' as const, flow: 'west->east' } as never);
  return flows;
}

export async function labUp(req: LabUpRequest, progress: Progress = () => {}): Promise<LabDescription> {
  const t0 = Date.now();
  const paths = labPaths(req.dir);
  const prior = readState(paths.state);
  const s = settingsFrom(req, prior);
  const shape = shapeOf(s);
  const state: LabState = prior ? { ...prior, settings: s } : { version: 1, settings: s, processes: {}, clusterIds: {} };
  const names = processNames(s);
  const states = Object.fromEntries(names.map((n) => [n, procState(state.processes[n])])) as Record<ProcessName, ProcState>;

  const paused = names.filter((n) => states[n] === 'paused');
  if (paused.length) {
    // A whole paused cluster is resumed by its name, as it was paused; a single node by its own.
    const cluster = nodeNamed(s, paused[0]!)?.cluster;
    const whole = cluster !== undefined && paused.length > 1 && paused.every((n) => nodeNamed(s, n)?.cluster === cluster);
    throw new FailoverError(`${paused.join(' and ')} ${paused.length > 1 ? 'are' : 'is'} paused`, {
      hint: `run \`failover lab resume ${whole ? cluster : paused[0]}\` first`,
    });
  }
  if (names.every((n) => states[n] === 'running')) {
    const running = await describeLab(req.dir);
    // MirrorMaker 2 in dedicated mode does not always recover from a restarted broker: its workers wait on an
    // assignment that never comes, and nothing flows. A running lab whose heartbeats stopped gets a new MM2.
    if (!running.heartbeats.some((h) => h.ageMs === undefined || h.ageMs > MM2_STUCK_MS)) {
      return { ...running, alreadyRunning: true, elapsedMs: Date.now() - t0, wrote: writeUserFiles(s) };
    }
    progress(`MirrorMaker 2's heartbeats stopped (${running.heartbeats.map((h) => `${h.flow} ${h.ageMs === undefined ? 'none' : `${Math.round(h.ageMs / 1000)} s old`}`).join(', ')}): restarting it`);
    await stop(state.processes.mm2);
    states.mm2 = 'stopped';
  }

  const java = await findJava();
  const toStart = allNodes(s).filter((n) => states[n.name] !== 'running');
  for (const n of toStart) {
    const p = portsOf(s.ports[n.cluster], n.index);
    const needed = s.secure || shape.tls ? [p.client, p.controller, p.internal] : [p.client, p.controller];
    for (const port of needed) {
      if (!(await portFree(port))) {
        throw new FailoverError(`port ${port} on 127.0.0.1 is taken; ${n.name} cannot start`, {
          hint: `stop what listens there (\`ss -ltnp 'sport = :${port}'\`), or choose other ports with --${n.cluster}-port`,
        });
      }
    }
  }

  const cp = await resolveClasspath(s.kafkaVersion, paths.classpath(s.kafkaVersion), progress);
  mkdirSync(paths.logs, { recursive: true });
  const secrets = s.secure ? labSecrets(paths.secrets) : undefined;
  if (shape.sasl === 'oauthbearer') writeTokens(LAB_USERS, paths.token);
  if (shape.tls) {
    progress('making the lab CA and broker certificate with keytool');
    await ensureLabTls({ dir: paths.tls, caPem: paths.caPem, keystore: paths.keystore, truststore: paths.truststore, storePassword: paths.storePassword }, keytoolFor(java.bin));
  }
  const creds = readCredentials(s);
  // A lab that cannot come up is not left half-running: what this call started, it stops.
  const startedNow: ProcessName[] = [];
  try {
    // A broker that comes back under a running MirrorMaker 2 leaves it stuck as often as not (see above): restart both.
    if (toStart.length > 0 && states.mm2 === 'running') {
      progress(`stopping MirrorMaker 2 while ${toStart.map((n) => n.name).join(' and ')} ${toStart.length > 1 ? 'start' : 'starts'}`);
      await stop(state.processes.mm2);
      states.mm2 = 'stopped';
    }
    const ids: Partial<Record<BrokerName, string>> = {};
    for (const n of toStart) {
      ids[n.cluster] ??= clusterIdFor(s, n.cluster);
      mkdirSync(paths.data(n.name), { recursive: true });
      writeFileSync(paths.config(n.name), serverProperties(s, n, paths.data(n.name), secrets, creds.tls), { mode: 0o600 });
      writeLogConfig(s, n.name);
      await formatBroker(s, n, ids[n.cluster]!, java.bin, cp, secrets);
      progress(`starting ${n.name} (Kafka ${s.kafkaVersion}) on 127.0.0.1:${portsOf(s.ports[n.cluster], n.index).client}`);
      state.processes[n.name] = startJava({
        java: java.bin, classpath: cp, mainClass: 'kafka.Kafka', args: [paths.config(n.name)],
        jvmArgs: jvmArgs(s, n.name, heapOf(s, n.name)), marker: `${paths.root}:${n.name}`, logFile: paths.log(n.name),
      });
      startedNow.push(n.name);
      writeState(paths.state, state);
    }

    const conns = { east: connectionFor(s, 'east', creds), west: connectionFor(s, 'west', creds) };
    try {
      for (const b of BROKERS) {
        const want = shape.brokers;
        // A quorum of three answers Metadata before every node has registered: wait for all of them, so that
        // replication factor 3 can be placed.
        const info = await waitUntil(`${b}`, READY_TIMEOUT_MS, async () => {
          const d = await describeCluster(conns[b]);
          return d.brokers.length >= want ? d : undefined;
        }, deadMessage(s, state, nodesOf(s, b).map((n) => n.name)));
        state.clusterIds[b] = info.clusterId;
        await ensureTopics(conns[b], s.topics.filter((t) => !t.startsWith('/')).map((topic) => ({ topic, partitions: topic === 'failover.probe' ? 4 : 3, replicas: want })));
        if (secrets && !s.withoutAuthorizer?.includes(b)) await createAcls(conns[b], labAcls());
      }
      writeState(paths.state, state);

      if (states.mm2 !== 'running') {
        mkdirSync(join(paths.root, 'mm2'), { recursive: true });
        writeFileSync(paths.config('mm2'), mm2Properties(s, secrets, creds.tls), { mode: 0o600 });
        writeLogConfig(s, 'mm2');
        progress(`starting MirrorMaker 2 (${labFlows(s).map((f) => f.flow).join(', ')}${shape.replicationPolicy === 'identity' ? ', identity naming' : ''})`);
        state.processes.mm2 = startJava({
          java: java.bin, classpath: cp, mainClass: 'org.apache.kafka.connect.mirror.MirrorMaker', args: [paths.config('mm2')],
          jvmArgs: jvmArgs(s, 'mm2', heapOf(s, 'mm2')), marker: `${paths.root}:mm2`, logFile: paths.log('mm2'),
        });
        startedNow.push('mm2');
        writeState(paths.state, state);
      }
      const flows = labFlows(s);
      progress(flows.length > 1 ? 'waiting for heartbeats both ways' : `waiting for heartbeats ${flows[0]!.flow}`);
      await waitUntil('MirrorMaker 2 heartbeats', HEARTBEAT_TIMEOUT_MS, async () => {
        const ages = await Promise.all(flows.map((f) => replicatedHeartbeatAge(conns[f.target], f.source)));
        return ages.every(fresh) ? true : undefined;
      }, deadMessage(s, state, names));
    } finally {
      await Promise.all([conns.east.close(), conns.west.close()]);
    }
  } catch (e) {
    for (const n of startedNow.reverse()) await stop(state.processes[n]).catch(() => undefined);
    writeState(paths.state, state);
    throw e;
  }
  writeState(paths.state, state);
  const wrote = writeUserFiles(s);
  return { ...(await describeLab(req.dir)), alreadyRunning: false, elapsedMs: Date.now() - t0, wrote };
}

/**
 * What the lab's users need besides the clusters: the route files the lab
 * runbooks switch (pointing at east, written only when missing: a promote
 * may have switched one, and that is the lab's state now), the users'
 * passwords as files for `${file:...}`, and a runbook for this lab's shape
 * (its own ports, mechanism and CA), which `failover check` can run as it
 * is (identity naming included: `replicationPolicy: identity`).
 */
function writeUserFiles(s: LabSettings): string[] {
  const paths = labPaths(s.dir);
  const wrote: string[] = [];
  const route = join(paths.route, 'orders.properties');
  if (!existsSync(route)) {
    mkdirSync(paths.route, { recursive: true });
    writeFileSync(route, `bootstrap.servers=${bootstrapServers(s, 'east').join(',')}\n`);
    wrote.push(route);
  }
  const secrets = s.secure ? readLabSecrets(paths.secrets) : undefined;
  if (secrets) {
    for (const user of LAB_USERS) {
      const f = paths.password(user);
      mkdirSync(dirname(f), { recursive: true, mode: 0o700 });
      writeFileSync(f, secrets[user], { mode: 0o600 });
      chmodSync(f, 0o600);
    }
  }
  const text = labRunbook(s);
  if (!existsSync(paths.runbook) || readFileSync(paths.runbook, 'utf8') !== text) {
    writeFileSync(paths.runbook, text);
    wrote.push(paths.runbook);
  }
  return wrote;
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
  const creds = readCredentials(s);
  const processes: LabDescription['processes'] = [];
  const conns = { east: connectionFor(s, 'east', creds, 3000), west: connectionFor(s, 'west', creds, 3000) };
  const heartbeats: LabDescription['heartbeats'] = [];
  const clusterUp = (b: BrokerName) => nodesOf(s, b).some((n) => procState(state.processes[n.name]) === 'running');
  try {
    const liveIds: Partial<Record<BrokerName, string>> = {};
    for (const b of BROKERS) {
      if (!clusterUp(b)) continue;
      try {
        liveIds[b] = (await describeCluster(conns[b])).clusterId;
      } catch {
        // not answering: the recorded id is shown
      }
    }
    for (const n of processNames(s)) {
      const st = procState(state.processes[n]);
      const node = nodeNamed(s, n);
      const entry: LabDescription['processes'][number] = { name: n, state: st, log: paths.log(n) };
      if (st !== 'stopped' && state.processes[n]) entry.pid = state.processes[n]!.pid;
      if (node) {
        entry.cluster = node.cluster;
        entry.address = `127.0.0.1:${portsOf(s.ports[node.cluster], node.index).client}`;
        const id = (st === 'running' ? liveIds[node.cluster] : undefined) ?? state.clusterIds[node.cluster];
        if (id) entry.clusterId = id;
      }
      processes.push(entry);
    }
    const ages = await Promise.all(labFlows(s).map(async (f) => ({
      flow: f.flow,
      age: clusterUp(f.target)
        ? await replicatedHeartbeatAge(conns[f.target], f.source)
        : ({ topic: `${f.source}.heartbeats`, error: `${f.target} is not running` } as HeartbeatAge),
    })));
    for (const a of ages) heartbeats.push({ flow: a.flow, ...pick(a.age) });
  } finally {
    await Promise.all([conns.east.close(), conns.west.close()]);
  }
  return { dir: paths.root, alreadyRunning: true, settings: s, processes, heartbeats, elapsedMs: Date.now() - t0 };
}

function pick(h: HeartbeatAge): { ageMs?: number; error?: string } {
  return { ...(h.ageMs !== undefined ? { ageMs: h.ageMs } : {}), ...(h.error ? { error: h.error } : {}) };
}

export async function labDown(dir: string, purge: boolean): Promise<{ stopped: ProcessName[]; purged: boolean; removed: string[] }> {
  const paths = labPaths(dir);
  const state = readState(paths.state);
  const stopped: ProcessName[] = [];
  if (state) {
    // MM2 first, so it does not log a storm of errors about vanished clusters.
    for (const n of ['mm2', ...allNodes(state.settings).map((x) => x.name)]) {
      if (procState(state.processes[n]) !== 'stopped') {
        await stop(state.processes[n]);
        stopped.push(n);
      }
      delete state.processes[n];
    }
    if (!purge) writeState(paths.state, state);
  }
  const removed: string[] = [];
  // The route files, the runbook and the credentials live in the lab folder: purging it removes them.
  if (purge && existsSync(paths.root)) {
    rmSync(paths.root, { recursive: true, force: true });
    removed.push(paths.root);
  }
  return { stopped, purged: purge, removed };
}

/**
 * The processes a name stands for: a cluster (`east`: all its nodes, as
 * `lab kill east` always meant the whole cluster), one node (`east-2`), or
 * `mm2` (kill only).
 */
export function labTargets(s: LabSettings, action: 'kill' | 'pause' | 'resume' | 'logs', name: string): ProcessName[] {
  if ((BROKERS as readonly string[]).includes(name)) return nodesOf(s, name as BrokerName).map((n) => n.name);
  if (nodeNamed(s, name)) return [name];
  if (name === 'mm2' && (action === 'kill' || action === 'logs')) return ['mm2'];
  const choices = [...BROKERS, ...allNodes(s).filter((n) => n.name !== n.cluster).map((n) => n.name), ...(action === 'kill' || action === 'logs' ? ['mm2'] : [])];
  throw new FailoverError(action === 'logs' ? `no lab process "${name}"` : `cannot ${action} "${name}"`, { hint: `choose one of: ${choices.join(', ')}` });
}

export function labSignal(dir: string, action: 'kill' | 'pause' | 'resume', name: string): { name: ProcessName; pid: number }[] {
  const paths = labPaths(dir);
  const state = readState(paths.state);
  let targets: ProcessName[];
  try {
    targets = labTargets(state?.settings ?? blankSettings(dir), action, name);
  } catch (e) {
    // Without a lab, a node name of any shape is simply not running.
    if (state || !/^(east|west)-\d+$/.test(name)) throw e;
    targets = [name];
  }
  const live = targets.filter((n) => procState(state?.processes[n]) !== 'stopped');
  if (live.length === 0) {
    throw new FailoverError(`${name} is not running`, { hint: action === 'resume' ? 'nothing to resume; `failover lab up` starts it' : 'run `failover lab up` first' });
  }
  const sig = action === 'kill' ? 'SIGKILL' : action === 'pause' ? 'SIGSTOP' : 'SIGCONT';
  return live.map((n) => {
    const p = state!.processes[n]!;
    process.kill(p.pid, sig);
    return { name: n, pid: p.pid };
  });
}

/** A 1-broker lab's settings, to name what a folder without a lab could hold. */
function blankSettings(dir: string): LabSettings {
  return { dir, kafkaVersion: DEFAULT_KAFKA_VERSION, secure: false, ports: { east: 19092, west: 29092 }, topics: DEFAULT_TOPICS, groups: DEFAULT_GROUPS };
}

/** The log files a name stands for (a cluster of three has three). */
export function labLogFiles(dir: string, name: string): { name: ProcessName; file: string }[] {
  const paths = labPaths(dir);
  const state = readState(paths.state);
  return labTargets(state?.settings ?? blankSettings(dir), 'logs', name).map((n) => ({ name: n, file: paths.log(n) }));
}
