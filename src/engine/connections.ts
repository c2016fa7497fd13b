import { FailoverError } from '../errors.js';
import { connectionOptions } from '../gates/connections.js';
import { KafkaConnection } from '../kafka/connection.js';
import type { Runbook } from '../runbook/schema.js';

/**
 * One lazily opened connection per runbook cluster, with the runbook's auth
 * and timeouts.
 * Options (and TLS files) come from connectionOptions(), as for `check`.
 */
export class RunbookConnections {
  private readonly open = new Map<string, KafkaConnection>();

  constructor(private readonly runbook: Runbook) {}

  get(cluster: string): KafkaConnection {
    const existing = this.open.get(cluster);
    if (existing) return existing;
    const spec = this.runbook.clusters[cluster];
    if (!spec) throw new FailoverError(`no cluster "${cluster}" in runbook ${this.runbook.name}`);
    const conn = new KafkaConnection(connectionOptions(cluster, spec));
    this.open.set(cluster, conn);
    return conn;
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}
