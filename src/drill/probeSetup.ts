import type { ProbeClientOptions } from '../kafka/probeClients.js';
import type { Runbook } from '../runbook/schema.js';
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

/** The probe topic on a cluster, and its remote copies from the other clusters under a MirrorMaker 2 link's naming. */
export function probeTopicsOn(rb: ProbeRunbook, topic: string, cluster: string | undefined): string[] {
  const link = rb.link;
  if (link.kind !== 'mirrormaker2') return [topic];
  const others = Object.keys(rb.clusters).filter((c) => c !== cluster);
  const aliases = link.aliases as Record<string, string>;
  return [topic, ...others.map((c) => `${aliases[c] ?? c}${link.separator}${topic}`)];
}
