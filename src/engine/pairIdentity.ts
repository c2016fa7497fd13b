import { errorMessage } from '../errors.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { pairStateTopics, readStateTopic, stateTopicName, stateTransactionalId } from '../kafka/stateTopic.js';
import type { Runbook } from '../runbook/schema.js';

/**
 * Which pair of clusters a runbook names, by cluster id: the key of the
 * pair's lock, phase and records (src/kafka/stateTopic.ts). Each cluster is
 * asked once, within its connection's deadline.
 *
 * A cluster that does not answer cannot tell its id. The id is then taken
 * from the runbook (`clusters.<name>.clusterId`), else from the `pair` record
 * the other cluster holds for each pair it belongs to, matched by the
 * cluster's name or bootstrap. Failing both, the pair's state cannot be
 * located, and nothing that needs it may run.
 */
export type ClusterReach = { ok: true; clusterId: string } | { ok: false; error: string };

export interface PairIdentity {
  /** the pair's clusters, in name order */
  clusters: string[];
  /** cluster name -> id, where known */
  ids: Record<string, string>;
  /** how each id was learnt: live, declared in the runbook, known to the caller (a drill learns them before its fault), or from the other cluster's state */
  source: Record<string, 'live' | 'runbook' | 'caller' | 'state'>;
  reach: Record<string, ClusterReach>;
  /** the state topic and transactional id; absent when the pair cannot be located */
  topic?: string;
  transactionalId?: string;
  problem?: { message: string; hint: string };
}

/** What a state topic's `pair` record holds: each cluster id's names and bootstraps in the runbooks that used it. */
export interface PairRecordValue {
  clusters: Record<string, { names: string[]; bootstrap: string[] }>;
}

export const PAIR_KEY = 'pair';

export async function resolvePair(runbook: Runbook, connection: (cluster: string) => KafkaConnection, known: Readonly<Record<string, string>> = {}): Promise<PairIdentity> {
  const clusters = [...new Set([runbook.roles.primary, runbook.roles.secondary])].sort();
  const reach: Record<string, ClusterReach> = {};
  const answers = await Promise.all(clusters.map(async (c) => ({ c, r: await connection(c).reachability() })));
  for (const { c, r } of answers) {
    // A cluster that answers and refuses failover's credentials is not down: no declaration can stand in for fixing them.
    if (!r.ok && r.reason === 'auth') return { clusters, ids: {}, source: {}, reach: { [c]: { ok: false, error: r.error } }, problem: { message: r.error, hint: r.hint } };
    reach[c] = r.ok ? { ok: true, clusterId: r.clusterId } : { ok: false, error: r.error };
  }
  const ids: Record<string, string> = {};
  const source: PairIdentity['source'] = {};
  for (const c of clusters) {
    const r = reach[c]!;
    const declared = runbook.clusters[c]?.clusterId;
    if (r.ok) {
      if (declared !== undefined && declared !== r.clusterId) {
        return {
          clusters, ids, source, reach,
          problem: {
            message: `${c} answers with cluster id ${r.clusterId}, but the runbook declares clusters.${c}.clusterId: ${declared}`,
            hint: `clusters.${c}.bootstrap reaches another cluster than the one the runbook names; fix the bootstrap, or the clusterId if the cluster was rebuilt`,
          },
        };
      }
      ids[c] = r.clusterId;
      source[c] = 'live';
    } else if (declared !== undefined) {
      ids[c] = declared;
      source[c] = 'runbook';
    } else if (known[c] !== undefined) {
      ids[c] = known[c];
      source[c] = 'caller';
    }
  }
  const [a, b] = clusters as [string, string];
  if (ids[a] === undefined && ids[b] === undefined) {
    return { clusters, ids, source, reach, problem: { message: `neither ${a} nor ${b} answers, and the runbook declares neither cluster id`, hint: 'the state of the pair lives on its clusters; at least one must answer' } };
  }
  if (ids[a] === undefined || ids[b] === undefined) {
    const missing = ids[a] === undefined ? a : b;
    const known = missing === a ? b : a;
    const found = await partnerFromState(runbook, connection(known), ids[known]!, missing);
    if ('problem' in found) return { clusters, ids, source, reach, problem: found.problem };
    ids[missing] = found.id;
    source[missing] = 'state';
  }
  if (ids[a] === ids[b]) {
    return { clusters, ids, source, reach, problem: { message: `${a} and ${b} are the same cluster (id ${ids[a]})`, hint: 'a pair needs two clusters; check both bootstrap lists' } };
  }
  return { clusters, ids, source, reach, topic: stateTopicName(ids[a]!, ids[b]!), transactionalId: stateTransactionalId(ids[a]!, ids[b]!) };
}

async function partnerFromState(runbook: Runbook, conn: KafkaConnection, ownId: string, missing: string): Promise<{ id: string } | { problem: { message: string; hint: string } }> {
  const why = (reach: string) => ({
    problem: {
      message: `${missing} does not answer, so its cluster id is unknown, and ${reach}`,
      hint: `declare clusters.${missing}.clusterId in the runbook (its id is in \`failover status\` output from when it answered, or in its meta.properties)`,
    },
  });
  let candidates: { topic: string; partner: string }[];
  try {
    candidates = await pairStateTopics(conn, ownId);
  } catch (e) {
    return why(`${conn.name} cannot list its topics: ${errorMessage(e)}`);
  }
  if (candidates.length === 0) return why(`${conn.name} holds no state of any pair`);
  const bootstrap = new Set(runbook.clusters[missing]?.bootstrap ?? []);
  const matches: string[] = [];
  for (const c of candidates) {
    let value: PairRecordValue | undefined;
    try {
      value = (await readStateTopic(conn, c.topic)).get(PAIR_KEY)?.value as PairRecordValue | undefined;
    } catch {
      continue;
    }
    const partner = value?.clusters?.[c.partner];
    if (!partner) continue;
    if (partner.names.includes(missing) || partner.bootstrap.some((b) => bootstrap.has(b))) matches.push(c.partner);
  }
  if (matches.length === 1) return { id: matches[0]! };
  if (matches.length === 0) return why(`none of the ${candidates.length} pair(s) ${conn.name} belongs to names a cluster ${missing} at ${[...bootstrap].join(',')}`);
  return why(`${matches.length} pairs ${conn.name} belongs to match ${missing} (${matches.join(', ')})`);
}

/** The `pair` record with this runbook's names and bootstraps added, so that the state can be found from either side later. */
export function pairRecord(runbook: Runbook, ids: Record<string, string>, prior: PairRecordValue | undefined): PairRecordValue {
  const out: PairRecordValue = { clusters: structuredClone(prior?.clusters ?? {}) };
  for (const [name, id] of Object.entries(ids)) {
    const entry = (out.clusters[id] ??= { names: [], bootstrap: [] });
    if (!entry.names.includes(name)) entry.names.push(name);
    for (const b of runbook.clusters[name]?.bootstrap ?? []) if (!entry.bootstrap.includes(b)) entry.bootstrap.push(b);
  }
  return out;
}
