import { errorMessage } from '../errors.js';
import { connectionOptions, controllerEndpoint } from '../gates/connections.js';
import { createAclsOnControllers } from '../kafka/controllerAdmin.js';
import type { Phase, RolesInForce } from '../gates/types.js';
import { describeCluster } from '../kafka/clusterInfo.js';
import { KafkaConnection } from '../kafka/connection.js';
import type { LoadedRunbook } from '../runbook/load.js';
import type { TemplateCluster, TemplateContext } from '../runbook/templates.js';
import type { ConfirmAnswer, ConfirmRequest, DrillProbeWorkload, GateRunner, PairRecords, StepContext, StepProgress, StopSignal } from '../steps/types.js';
import type { RunbookConnections } from './connections.js';

export interface ContextParts {
  loaded: LoadedRunbook;
  /** the action, as steps and templates know it ('abort' and 'fence' included) */
  action: string;
  /** the phase the action starts from and the one it leads to (for verify steps) */
  phases: { start: Phase; target: Phase };
  /** which cluster owns writes before the action */
  activeCluster: string;
  roles: RolesInForce;
  declaredDown: readonly string[];
  connections: RunbookConnections;
  records: PairRecords;
  gates: GateRunner;
  confirm(req: ConfirmRequest): Promise<ConfirmAnswer>;
  progress(p: Omit<StepProgress, 'index' | 'step'>): void;
  checkStop(): Promise<StopSignal | undefined>;
  transcriptPath: string;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  probe?: DrillProbeWorkload;
}

export function templateCluster(loaded: LoadedRunbook, cluster: string): TemplateCluster {
  const rb = loaded.runbook;
  const spec = rb.clusters[cluster];
  const alias = rb.link.kind === 'mirrormaker2' ? (rb.link.aliases[cluster] ?? cluster) : cluster;
  return { bootstrap: spec?.bootstrap.join(',') ?? '', name: cluster, region: spec?.region ?? '', alias };
}

/** Sleeps, but wakes at once on Ctrl-C so the caller can stop. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

export function buildStepContext(p: ContextParts): StepContext {
  const rb = p.loaded.runbook;
  return {
    runbook: rb,
    ...(p.probe ? { probe: p.probe } : {}),
    baseDir: p.loaded.baseDir,
    action: p.action,
    roles: p.roles,
    startPhase: p.phases.start,
    targetPhase: p.phases.target,
    activeCluster: p.activeCluster,
    declaredDown: p.declaredDown,
    connection: (c) => p.connections.get(c),
    // Asked again on purpose only for a cluster not known to answer: a healthy connection is not torn down to look.
    reachable: async (c) => {
      const conn = p.connections.get(c);
      const r = conn.known?.ok ? conn.known : await conn.reprobe();
      return r.ok ? { ok: true } : { ok: false, error: r.error };
    },
    clusterId: async (c) => {
      try {
        return (await describeCluster(p.connections.get(c))).clusterId;
      } catch {
        return undefined;
      }
    },
    aclsViaControllers: async (cluster, acls) => {
      const spec = rb.clusters[cluster];
      const ep = spec ? controllerEndpoint(cluster, spec) : undefined;
      if (!ep) return undefined;
      try {
        await createAclsOnControllers(ep, acls);
        return { ok: true, via: ep.bootstrap.join(',') };
      } catch (e) {
        return { ok: false, error: errorMessage(e) };
      }
    },
    clusterIdAt: async (bootstrap, like) => {
      const spec = rb.clusters[like];
      if (!spec) return { error: `no cluster ${like} in the runbook` };
      const conn = new KafkaConnection({ ...connectionOptions(`route (${bootstrap.join(',')})`, spec, bootstrap), clientId: `${spec.clientId}-route` });
      try {
        return { clusterId: (await describeCluster(conn)).clusterId };
      } catch (e) {
        return { error: errorMessage(e) };
      } finally {
        await conn.close();
      }
    },
    records: p.records,
    gates: p.gates,
    confirm: p.confirm,
    progress: p.progress,
    checkStop: p.checkStop,
    templates: (direction): TemplateContext => {
      const [s, t] = direction === 'forward' ? [p.roles.primary, p.roles.secondary] : [p.roles.secondary, p.roles.primary];
      return { source: templateCluster(p.loaded, s), target: templateCluster(p.loaded, t), runbook: { name: rb.name }, transcript: { path: p.transcriptPath } };
    },
    env: p.env,
    now: Date.now,
    sleep: (ms) => abortableSleep(ms, p.signal),
  };
}
