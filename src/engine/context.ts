import type { Phase, RolesInForce } from '../gates/types.js';
import type { LoadedRunbook } from '../runbook/load.js';
import type { ActionName } from '../runbook/schema.js';
import type { TemplateCluster, TemplateContext } from '../runbook/templates.js';
import type { ConfirmAnswer, ConfirmRequest, GateRunner, PairRecords, StepContext, StepProgress, StopSignal } from '../steps/types.js';
import type { RunbookConnections } from './connections.js';
import { ACTION_PHASES } from './phase.js';

export interface ContextParts {
  loaded: LoadedRunbook;
  action: ActionName;
  roles: RolesInForce;
  connections: RunbookConnections;
  records: PairRecords;
  gates: GateRunner;
  confirm(req: ConfirmRequest): Promise<ConfirmAnswer>;
  progress(p: Omit<StepProgress, 'index' | 'step'>): void;
  checkStop(): Promise<StopSignal | undefined>;
  transcriptPath: string;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
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
  const phases = ACTION_PHASES[p.action];
  const targetPhase: Phase = phases.to;
  return {
    runbook: rb,
    baseDir: p.loaded.baseDir,
    action: p.action,
    roles: p.roles,
    startPhase: phases.from,
    targetPhase,
    activeCluster: p.action === 'promote' ? p.roles.primary : p.roles.secondary,
    connection: (c) => p.connections.get(c),
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
