import { readFileSync } from 'node:fs';
import { FailoverError, errorMessage } from '../errors.js';
import { KafkaConnection } from '../kafka/connection.js';
import type { Runbook } from '../runbook/schema.js';

/**
 * One lazily opened connection per runbook cluster, with the runbook's auth
 * and timeouts. TLS files are read here: the runbook names PEM files, the
 * client wants their contents.
 */
export class RunbookConnections {
  private readonly open = new Map<string, KafkaConnection>();

  constructor(private readonly runbook: Runbook) {}

  get(cluster: string): KafkaConnection {
    const existing = this.open.get(cluster);
    if (existing) return existing;
    const spec = this.runbook.clusters[cluster];
    if (!spec) throw new FailoverError(`no cluster "${cluster}" in runbook ${this.runbook.name}`);
    const tls = spec.auth?.tls;
    const conn = new KafkaConnection({
      name: cluster,
      bootstrap: spec.bootstrap,
      requestTimeoutMs: spec.timeouts.requestTimeout,
      connectionTimeoutMs: spec.timeouts.connectionTimeout,
      clientId: spec.clientId,
      ...(spec.auth
        ? {
            auth: {
              ...(spec.auth.sasl ? { sasl: spec.auth.sasl } : {}),
              ...(tls === undefined ? {} : { tls: tls === true ? true : pemFiles(cluster, tls) }),
            },
          }
        : {}),
    });
    this.open.set(cluster, conn);
    return conn;
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}

function pemFiles(cluster: string, tls: { ca?: string; cert?: string; key?: string }): { ca?: string; cert?: string; key?: string } {
  const read = (what: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      throw new FailoverError(`cluster ${cluster}: cannot read the TLS ${what} file ${path}: ${errorMessage(e)}`, { hint: 'check clusters.<name>.auth.tls in the runbook' });
    }
  };
  const out: { ca?: string; cert?: string; key?: string } = {};
  const ca = read('ca', tls.ca);
  const cert = read('cert', tls.cert);
  const key = read('key', tls.key);
  if (ca !== undefined) out.ca = ca;
  if (cert !== undefined) out.cert = cert;
  if (key !== undefined) out.key = key;
  return out;
}
