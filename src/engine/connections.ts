import { FailoverError } from '../errors.js';
import { connectionOptions } from '../gates/connections.js';
import { KafkaConnection, type Reachability } from '../kafka/connection.js';
import type { Runbook } from '../runbook/schema.js';

/**
 * One lazily opened connection per runbook cluster, with the runbook's auth
 * and timeouts, for one command or one action run.
 * Options (and TLS files) come from connectionOptions(), as for `check`, so
 * each connection decides its cluster's reachability once: open a new
 * RunbookConnections (or reprobe()) to look again.
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

  /**
   * Probes the given clusters (default: all of the runbook's) at once, so
   * that they cost one deadline together rather than one each in turn.
   * Each answer is the connection's own, remembered for the run.
   */
  async reachability(clusters: readonly string[] = Object.keys(this.runbook.clusters)): Promise<Record<string, Reachability>> {
    const answers = await Promise.all(clusters.map(async (c) => [c, await this.get(c).reachability()] as const));
    return Object.fromEntries(answers);
  }

  async close(): Promise<void> {
    const all = [...this.open.values()];
    this.open.clear();
    await Promise.all(all.map((c) => c.close()));
  }
}
