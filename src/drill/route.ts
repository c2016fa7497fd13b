import { readFileSync } from 'node:fs';
import type { Runbook } from '../runbook/schema.js';
import { getProperty } from '../steps/propertiesFile.js';

/**
 * Where the probe's clients go: what the runbook's route says right now, read
 * the way an application reads it. With a file switch that is one key of a
 * properties file (re-read on every reconnect, and watched, as a client that
 * reloads its config does); with a command switch it is the alias itself,
 * which the client resolves again on every connect.
 */
export interface RouteTarget {
  bootstrap: string[];
  /** the runbook cluster whose bootstrap this is, when the address says so */
  cluster: string | undefined;
  /** how it was found, for messages */
  how: string;
}

function sameAddresses(a: readonly string[], b: readonly string[]): boolean {
  const norm = (x: readonly string[]) => x.map((s) => s.trim().toLowerCase().replace(/^localhost:/, '127.0.0.1:')).sort();
  const [x, y] = [norm(a), norm(b)];
  return x.some((h) => y.includes(h));
}

/** The runbook cluster a bootstrap list belongs to, by address. */
export function clusterOfBootstrap(rb: Pick<Runbook, 'clusters'>, bootstrap: readonly string[]): string | undefined {
  return Object.entries(rb.clusters).find(([, c]) => sameAddresses(c.bootstrap, bootstrap))?.[0];
}

/** Reads the route now. Throws when a route file exists but cannot be used; the caller keeps its last target. */
export function readRoute(rb: Pick<Runbook, 'clusters' | 'routing' | 'roles'>): RouteTarget {
  const routing = rb.routing;
  if (!routing) {
    const c = rb.roles.primary;
    return { bootstrap: rb.clusters[c]!.bootstrap, cluster: c, how: `the primary ${c} (the runbook has no routing)` };
  }
  const sw = routing.switch;
  if ('file' in sw) {
    const text = readFileSync(sw.file.path, 'utf8');
    const value = getProperty(text, sw.file.key);
    if (!value) throw new Error(`${sw.file.path} has no ${sw.file.key}`);
    const bootstrap = value.split(',').map((s) => s.trim()).filter(Boolean);
    return { bootstrap, cluster: clusterOfBootstrap(rb, bootstrap), how: `${sw.file.key} in ${sw.file.path}` };
  }
  return { bootstrap: [routing.alias], cluster: clusterOfBootstrap(rb, [routing.alias]), how: `the alias ${routing.alias}` };
}

export function sameRoute(a: RouteTarget | undefined, b: RouteTarget | undefined): boolean {
  if (!a || !b) return a === b;
  return a.bootstrap.join(',') === b.bootstrap.join(',');
}
