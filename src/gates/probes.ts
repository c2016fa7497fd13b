import { readFile } from 'node:fs/promises';
import { KafkaConnection } from '../kafka/connection.js';
import { probeListener, resolveWithTtl, type DnsAnswer, type ListenerProbe } from '../kafka/listenerProbe.js';
import { clusterMetadata } from '../kafka/metadata.js';
import { offsetsForTimes, partitionEndsBatch, type OffsetAnswer, type OffsetQuery } from '../kafka/listOffsets.js';
import type { PartitionEnds } from '../kafka/readTopic.js';
import { firstCommitted, type RecordWanted } from '../kafka/recordsAt.js';
import type { ClusterSnapshot } from '../kafka/snapshot.js';
import type { Runbook } from '../runbook/schema.js';
import { connectionOptions } from './connections.js';

export type Side = 'primary' | 'secondary';

/** A committed record, or nothing committed before the partition's visible end. */
export type ProbedRecord = { offset: number; timestamp: number; bytes: number } | { nothing: true; visibleEnd: number };

/**
 * The I/O gates do beyond the snapshots. The live implementation talks to
 * the clusters, DNS and HTTP with the runbook's timeouts; unit tests pass
 * their own.
 */
export interface GateProbes {
  /** the cluster id behind a bootstrap list, trying each named cluster's auth in turn */
  clusterIdAt(bootstrap: string[], authOf: string[]): Promise<{ clusterId?: string; error?: string }>;
  listener(host: string, port: number): Promise<ListenerProbe>;
  /** the node ids of a cluster's brokers now (a fresh Metadata answer): a killed broker leaves it once the controller fences it */
  brokersNow(side: Side): Promise<number[]>;
  dns(host: string): Promise<DnsAnswer>;
  /**
   * the committed record at (or first after) each offset, or `nothing` when
   * only transaction markers, aborted records or gaps lie from there to the
   * partition's visible end (a transaction still open is not visible)
   */
  recordsAt(side: Side, wanted: RecordWanted[]): Promise<Map<string, ProbedRecord>>;
  offsetsForTimes(side: Side, queries: OffsetQuery[]): Promise<Map<string, OffsetAnswer>>;
  /** earliest and latest offsets again, for rates */
  ends(side: Side, topics: string[]): Promise<Map<string, PartitionEnds[]>>;
  httpGet(url: string): Promise<{ status?: number; error?: string; elapsedMs: number }>;
  readText(path: string): Promise<string>;
  sleep(ms: number): Promise<void>;
}

export function liveProbes(opts: {
  runbook: Runbook;
  connections: Readonly<Record<string, KafkaConnection>>;
  primary: ClusterSnapshot;
  secondary: ClusterSnapshot;
}): GateProbes {
  const snap = (side: Side) => (side === 'primary' ? opts.primary : opts.secondary);
  const conn = (side: Side) => {
    const c = opts.connections[snap(side).name];
    if (!c) throw new Error(`no connection for ${snap(side).name}`);
    return c;
  };
  const leaders = (side: Side) => {
    const l = snap(side).leaders;
    if (!l) throw new Error(`${snap(side).name} has no metadata (unreachable)`);
    return l;
  };
  const secondarySpec = opts.runbook.clusters[opts.secondary.name];
  const probeTimeout = secondarySpec?.timeouts.connectionTimeout ?? 3000;
  return {
    async clusterIdAt(bootstrap, authOf) {
      let last = 'no cluster to borrow auth from';
      for (const name of authOf) {
        const spec = opts.runbook.clusters[name];
        if (!spec) continue;
        const c = new KafkaConnection({ ...connectionOptions(`route (${bootstrap.join(',')})`, spec, bootstrap), clientId: `${spec.clientId}-route` });
        try {
          // One probe, one deadline: the cluster id comes with the answer.
          const r = await c.reachability();
          if (r.ok) return { clusterId: r.clusterId };
          last = r.error;
          // Another cluster's credentials may be the right ones; a cluster that does not answer will not answer them either.
          if (r.reason !== 'auth') break;
        } finally {
          await c.close();
        }
      }
      return { error: last };
    },
    listener: (host, port) => probeListener(host, port, probeTimeout),
    brokersNow: async (side) => (await clusterMetadata(conn(side), [], `brokers of ${snap(side).name}`)).brokers.map((b) => b.nodeId),
    dns: (host) => resolveWithTtl(host, probeTimeout),
    async recordsAt(side, wanted) {
      const got = await firstCommitted(conn(side), leaders(side), wanted);
      return new Map(
        [...got].map(([k, r]): [string, ProbedRecord] => [k, 'nothing' in r ? { nothing: true, visibleEnd: r.visibleEnd } : { offset: r.offset, timestamp: r.timestamp, bytes: (r.key?.length ?? 0) + (r.value?.length ?? 0) }]),
      );
    },
    offsetsForTimes: (side, queries) => offsetsForTimes(conn(side), leaders(side), queries),
    ends: (side, topics) => partitionEndsBatch(conn(side), leaders(side), topics),
    async httpGet(url) {
      const t0 = Date.now();
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(probeTimeout), redirect: 'follow' });
        await res.body?.cancel();
        return { status: res.status, elapsedMs: Date.now() - t0 };
      } catch (e) {
        return { error: (e as Error).message, elapsedMs: Date.now() - t0 };
      }
    },
    readText: (path) => readFile(path, 'utf8'),
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  };
}
