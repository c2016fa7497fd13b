import { readFileSync } from 'node:fs';
import { FailoverError, errorMessage } from '../errors.js';
import { KafkaConnection, type ClusterAuth, type ConnectionOptions } from '../kafka/connection.js';
import type { ControllerEndpoint } from '../kafka/controllerAdmin.js';
import type { ClusterSpec, Runbook } from '../runbook/schema.js';

/**
 * Connection options for a runbook cluster: its bootstrap, auth (TLS files
 * read from the paths the loader made absolute) and its own timeouts.
 * Reachability is decided once per connection: a cluster that does not
 * answer costs a command one request timeout, not one per call
 * (KafkaConnection.reachability()).
 */
export function connectionOptions(name: string, spec: ClusterSpec, bootstrap: string[] = spec.bootstrap): ConnectionOptions {
  return {
    name,
    bootstrap,
    requestTimeoutMs: spec.timeouts.requestTimeout,
    connectionTimeoutMs: spec.timeouts.connectionTimeout,
    clientId: spec.clientId,
    reachability: 'once',
    ...(spec.auth ? { auth: clusterAuth(name, spec.auth) } : {}),
  };
}

/** Where and how to reach a cluster's KRaft controllers (KIP-919), when the runbook names them. */
export function controllerEndpoint(name: string, spec: ClusterSpec): ControllerEndpoint | undefined {
  const c = spec.controllers;
  if (!c) return undefined;
  const auth = c.auth ?? spec.auth;
  return { bootstrap: c.bootstrap, timeoutMs: spec.timeouts.requestTimeout, clientId: spec.clientId, ...(auth ? { auth: clusterAuth(name, auth) } : {}) };
}

function clusterAuth(name: string, auth: NonNullable<ClusterSpec['auth']>): ClusterAuth {
  const out: ClusterAuth = {};
  if (auth.sasl) out.sasl = auth.sasl.mechanism === 'oauthbearer' ? { mechanism: 'oauthbearer', token: auth.sasl.token } : { mechanism: auth.sasl.mechanism, username: auth.sasl.username, password: auth.sasl.password };
  if (auth.tls === true) out.tls = true;
  else if (auth.tls) {
    const read = (what: string, path: string | undefined) => {
      if (path === undefined) return undefined;
      try {
        return readFileSync(path, 'utf8');
      } catch (e) {
        throw new FailoverError(`cluster ${name}: cannot read the TLS ${what} ${path}: ${errorMessage(e)}`, {
          hint: `check clusters.${name}.auth.tls.${what} in the runbook (paths are relative to the runbook's folder)`,
        });
      }
    };
    const ca = read('ca', auth.tls.ca);
    const cert = read('cert', auth.tls.cert);
    const key = read('key', auth.tls.key);
    const servername = auth.tls.servername;
    out.tls = { ...(ca === undefined ? {} : { ca }), ...(cert === undefined ? {} : { cert }), ...(key === undefined ? {} : { key }), ...(servername === undefined ? {} : { servername }) };
  }
  return out;
}

/** One connection per cluster of the runbook. Close them with closeAll. */
export function connectRunbook(runbook: Pick<Runbook, 'clusters'>): Record<string, KafkaConnection> {
  return Object.fromEntries(Object.entries(runbook.clusters).map(([name, spec]) => [name, new KafkaConnection(connectionOptions(name, spec))]));
}

export async function closeAll(connections: Readonly<Record<string, KafkaConnection>>): Promise<void> {
  await Promise.all(Object.values(connections).map((c) => c.close()));
}
