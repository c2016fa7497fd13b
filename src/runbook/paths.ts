import { isAbsolute, resolve } from 'node:path';
import type { Runbook } from './schema.js';

/**
 * Paths in a runbook are relative to the runbook's own folder, so the same
 * runbook works from any working directory. A loaded runbook carries them
 * absolute; commands (which may name `./scripts/x.sh`) run in that folder.
 */
export function resolveRunbookPath(baseDir: string, p: string): string {
  return isAbsolute(p) ? p : resolve(baseDir, p);
}

type Auth = NonNullable<Runbook['clusters'][string]['auth']>;

function absoluteTls<A extends Auth | undefined>(auth: A, baseDir: string): A {
  const tls = auth?.tls;
  if (tls === undefined || tls === true) return auth;
  const abs = (p: string | undefined) => (p === undefined ? undefined : resolveRunbookPath(baseDir, p));
  const resolved = { ...tls, ca: abs(tls.ca), cert: abs(tls.cert), key: abs(tls.key) };
  for (const k of ['ca', 'cert', 'key'] as const) if (resolved[k] === undefined) delete resolved[k];
  return { ...auth, tls: resolved } as A;
}

export function withAbsolutePaths(rb: Runbook, baseDir: string): Runbook {
  const clusters = Object.fromEntries(
    Object.entries(rb.clusters).map(([name, c]) => {
      const auth = absoluteTls(c.auth, baseDir);
      const controllers = c.controllers ? { ...c.controllers, ...(c.controllers.auth ? { auth: absoluteTls(c.controllers.auth, baseDir) } : {}) } : undefined;
      return [name, { ...c, ...(auth ? { auth } : {}), ...(controllers ? { controllers } : {}) }];
    }),
  );
  const sw = rb.routing?.switch;
  const routing =
    rb.routing && sw && 'file' in sw ? { ...rb.routing, switch: { file: { ...sw.file, path: resolveRunbookPath(baseDir, sw.file.path) } } } : rb.routing;
  return { ...rb, clusters, ...(routing === undefined ? {} : { routing }) };
}
