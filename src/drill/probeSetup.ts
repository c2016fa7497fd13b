import type { ProbeClientOptions } from '../kafka/probeClients.js';
import type { ProbeSpec, Runbook } from '../runbook/schema.js';
import { flowNaming, isWorkloadTopic, targetTopicName } from '../steps/workload.js';
import type { ProbeOptions } from './probe.js';
import type { RouteTarget } from './route.js';

/** What the probe needs of a runbook: plain data, so it can be handed to the probe's worker thread. */
export type ProbeRunbook = Pick<Runbook, 'clusters' | 'routing' | 'roles' | 'link'>;

/** Client settings for a route target: the auth, timeouts and client id of the cluster it names (the primary's when it names none). */
export function clientOptionsFor(rb: ProbeRunbook, target: RouteTarget): ProbeClientOptions {
  const spec = target.cluster ? rb.clusters[target.cluster] : rb.clusters[rb.roles.primary];
  const auth = spec?.auth;
  return {
    bootstrap: target.bootstrap,
    requestTimeoutMs: spec?.timeouts?.requestTimeout ?? 10_000,
    connectionTimeoutMs: spec?.timeouts?.connectionTimeout ?? 5000,
    clientId: `${spec?.clientId ?? 'failover'}-probe`,
    ...(auth ? { auth: { ...(auth.sasl ? { sasl: auth.sasl } : {}), ...(auth.tls === undefined ? {} : { tls: auth.tls }) } } : {}),
  };
}

/**
 * The probe topic on a cluster, and its remote copies from the other clusters under a MirrorMaker 2 link's naming
 * (under identity naming the copies are the topic itself).
 */
export function probeTopicsOn(rb: ProbeRunbook, topic: string, cluster: string | undefined): string[] {
  if (rb.link.kind !== 'mirrormaker2') return [topic];
  const others = Object.keys(rb.clusters).filter((c) => c !== cluster);
  return [...new Set([topic, ...others.map((c) => targetTopicName(flowNaming(rb, c, cluster ?? c), topic))])];
}

/**
 * The stale client's settings: the home primary's address as the runbook
 * gives it when the drill starts (never the route), its auth with the
 * stale client's own SASL credentials when the runbook names them, and its
 * topic. Undefined when `staleRatePerSecond` is 0.
 */
export function staleClientFor(rb: ProbeRunbook, spec: ProbeSpec): ProbeOptions['stale'] {
  if (!(spec.staleRatePerSecond > 0)) return undefined;
  const cluster = rb.roles.primary;
  const home = rb.clusters[cluster]!;
  const base = clientOptionsFor(rb, { bootstrap: [...home.bootstrap], cluster, how: 'the home primary, fixed at the start' });
  const tls = base.auth?.tls;
  const sasl = spec.staleSasl ?? base.auth?.sasl;
  return {
    cluster,
    topic: spec.staleTopic ?? spec.topic,
    ratePerSecond: spec.staleRatePerSecond,
    client: {
      ...base,
      clientId: `${home.clientId ?? 'failover'}-stale`,
      ...(sasl || tls !== undefined ? { auth: { ...(sasl ? { sasl } : {}), ...(tls === undefined ? {} : { tls }) } } : {}),
    },
  };
}

/**
 * Why a fence could not stop this stale client, if it could not: fence-writes
 * denies the workload's producers on the workload's topics, and nobody else.
 * Empty when no action fences, or when the client is one the fence names.
 */
export function staleClientCaveats(rb: Pick<Runbook, 'actions' | 'workload'>, stale: NonNullable<ProbeOptions['stale']>): string[] {
  const fences = Object.values(rb.actions).some((a) => a?.steps.some((s) => s.type === 'fence-writes'));
  if (!fences) return [];
  const out: string[] = [];
  if (!isWorkloadTopic(rb, stale.topic)) {
    out.push(`the stale client writes ${stale.topic}, which is not a workload topic, so fence-writes does not cover it; set drill.probe.staleTopic to a workload topic`);
  }
  const sasl = stale.client.auth?.sasl;
  const user = sasl && 'username' in sasl ? sasl.username : undefined;
  const principal = user === undefined ? undefined : `User:${user}`;
  if (principal === undefined || !rb.workload.producers.includes(principal)) {
    out.push(`the stale client writes as ${principal ?? 'no SASL user'}, which is not one of workload.producers, so fence-writes does not deny it; set drill.probe.staleSasl to a producer's credentials`);
  }
  return out;
}
