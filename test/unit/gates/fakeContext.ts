import { tpKey } from '../../../src/kafka/metadata.js';
import type { ClusterSnapshot } from '../../../src/kafka/snapshot.js';
import type { CheckpointRecord, Sync } from '../../../src/kafka/mm2Translation.js';
import type { GateContext } from '../../../src/gates/context.js';
import type { GateProbes } from '../../../src/gates/probes.js';
import { homePhase } from '../../../src/gates/phaseSource.js';
import { workloadMap } from '../../../src/gates/workload.js';
import { runbookSchema, type Runbook, type RunbookInput } from '../../../src/runbook/schema.js';

/**
 * In-memory snapshots and probes for the gates' pure logic. They hold data
 * of the shapes the lab produces; Kafka behaviour itself is tested against
 * the lab in test/integration/gates/.
 */
export const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);

export function runbookOf(over: Partial<RunbookInput> = {}): Runbook {
  const base: RunbookInput = {
    version: 1,
    name: 'orders-east-west',
    clusters: { east: { bootstrap: ['127.0.0.1:19092'] }, west: { bootstrap: ['127.0.0.1:29092'] } },
    roles: { primary: 'east', secondary: 'west' },
    link: { kind: 'mirrormaker2', aliases: { east: 'east', west: 'west' }, reverse: true },
    workload: { topics: ['orders'], groups: ['billing'], producers: ['User:orders-svc'] },
    routing: { alias: 'orders-kafka.internal:9092', switch: { file: { path: '/tmp/orders.properties', key: 'bootstrap.servers' } } },
    actions: {
      promote: {
        stopWhen: { lagSecondsAbove: 60 },
        steps: [{ 'fence-writes': { cluster: 'primary' } }, { 'translate-offsets': {} }, { 'switch-route': { to: 'secondary' } }],
      },
      revert: { steps: [{ 'unfence-writes': { cluster: 'primary' } }, { 'switch-route': { to: 'primary' } }, { 'translate-offsets': { direction: 'reverse' } }] },
      'continue-forward': { steps: [{ 'set-roles': { primary: 'west', secondary: 'east' } }] },
    },
  };
  return runbookSchema.parse({ ...base, ...over });
}

type Part = { topic: string; partitions: { earliest: number; latest: number }[] };

export function snapshot(name: string, over: Partial<ClusterSnapshot> & { parts?: Part[] } = {}): ClusterSnapshot {
  const { parts = [], ...rest } = over;
  const topics = new Map(parts.map((p) => [p.topic, { partitions: p.partitions.map((_, i) => i), internal: false }]));
  const ends = new Map(parts.map((p) => [p.topic, p.partitions.map((e, partition) => ({ partition, ...e }))]));
  return {
    name,
    bootstrap: [`${name}:9092`],
    takenAt: NOW,
    reachable: true,
    clusterId: `${name}-cluster-id`,
    brokers: [{ nodeId: 1, host: '127.0.0.1', port: 9092 }],
    topics,
    selected: [...topics.keys()],
    ends: { ok: true, value: ends },
    timings: {},
    ...rest,
  };
}

export function unreachable(name: string, error = `${name} (${name}:9092): metadata of all topics: cannot connect (connect ECONNREFUSED)`): ClusterSnapshot {
  return { name, bootstrap: [`${name}:9092`], takenAt: NOW, reachable: false, error, brokers: [], topics: new Map(), selected: [], timings: {} };
}

export function checkpoints(records: CheckpointRecord[], topic = 'east.checkpoints.internal'): ClusterSnapshot['checkpoints'] {
  return { ok: true, value: { topic, exists: true, records, undecodable: 0 } };
}

export function offsetSyncs(entries: Record<string, Sync[]>, topic = 'mm2-offset-syncs.west.internal'): ClusterSnapshot['offsetSyncs'] {
  const syncs = new Map(Object.entries(entries).map(([tp, list]) => {
    const [t, p] = tp.split(':') as [string, string];
    return [tpKey(t, Number(p)), list];
  }));
  // The newest of each list, at a made-up position that keeps log order across partitions.
  const newest = { bySource: new Map([...syncs].flatMap(([k, list], i) => (list.length ? [[k, { ok: true as const, sync: list[list.length - 1]!, at: i }]] : []))), undecodableKeyAt: -1 };
  return { ok: true, value: { topic, exists: true, syncs, newest, read: 0, truncated: false, undecodable: 0 } };
}

export function fakeProbes(over: Partial<GateProbes> = {}): GateProbes {
  return {
    clusterIdAt: async () => ({ error: 'no route in this test' }),
    listener: async (host, port) => ({ host, port, addresses: [host], resolved: true, connected: true, elapsedMs: 1 }),
    dns: async (host) => ({ host, addresses: ['10.0.0.1'], ttlSeconds: 30 }),
    brokersNow: async () => [1],
    recordsAt: async () => new Map(),
    offsetsForTimes: async () => new Map(),
    ends: async () => new Map(),
    httpGet: async () => ({ status: 200, elapsedMs: 1 }),
    readText: async () => {
      throw new Error('no file in this test');
    },
    sleep: async () => undefined,
    ...over,
  };
}

export function contextOf(opts: {
  runbook?: Runbook;
  primary: ClusterSnapshot;
  secondary: ClusterSnapshot;
  probes?: GateProbes;
  transcriptsDir?: string;
  now?: number;
}): GateContext {
  const runbook = opts.runbook ?? runbookOf();
  const phase = homePhase(runbook);
  return {
    runbook,
    runbookPath: 'orders.yaml',
    baseDir: '/tmp',
    phase,
    now: opts.now ?? NOW,
    transcriptsDir: opts.transcriptsDir ?? '/nonexistent-transcripts',
    primary: opts.primary,
    secondary: opts.secondary,
    workload: workloadMap(runbook, phase.roles, {
      ...(opts.primary.reachable ? { primary: [...opts.primary.topics.keys()] } : {}),
      ...(opts.secondary.reachable ? { secondary: [...opts.secondary.topics.keys()] } : {}),
    }),
    probes: opts.probes ?? fakeProbes(),
  };
}
