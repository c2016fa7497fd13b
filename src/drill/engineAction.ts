import { readPairPhase, runAction } from '../engine/index.js';
import type { LoadedRunbook } from '../runbook/load.js';
import type { ActionName } from '../runbook/schema.js';
import type { ActionRunner, ActionStepEvent } from './runDrill.js';

export interface EngineActionOptions {
  loaded: LoadedRunbook;
  runbookPath: string;
  cwd: string;
  transcriptsDir: string;
  env?: NodeJS.ProcessEnv;
  /** Ctrl-C: the action stops at its next step boundary, as `failover promote` does */
  signal?: AbortSignal;
}

/**
 * Runs a drill's action through the engine, as `failover promote --yes`
 * would: its own transcript beside the drill's (a successful revert there is
 * the rehearsal the rollback gate counts), the lock and phase on the
 * clusters, the required gates, and every step's plan, apply and verify. The
 * drill's confirmation covers the action's.
 *
 * Each action opens its own connections (no `connections` hook): a cluster's
 * reachability is decided once per connection, so a revert that runs after
 * the drill recovered the primary must not inherit the promote's verdict
 * that it does not answer.
 */
export function engineActionRunner(opts: EngineActionOptions): ActionRunner {
  return async (action, onStep, context = {}) => {
    // The fences a primary-down promote left pending are applied as soon as the primary is back, as `failover status` tells an operator.
    if (action === 'fence') {
      const pending = (await readPairPhase(opts.loaded.runbook, undefined, opts.runbookPath).catch(() => undefined))?.pendingFences ?? [];
      if (pending.length === 0) return { outcome: 'ok', exitCode: 0, summary: 'no fence pending', noop: true };
    }
    const r = await runAction(
      {
        loaded: opts.loaded,
        action: action as ActionName | 'fence',
        transcriptsDir: opts.transcriptsDir,
        argv: [action, opts.runbookPath, '--yes', '(run by failover drill)', ...(context.declaredDown ?? []).flatMap((d) => ['--declare-down', d.cluster])],
        ...(opts.env ? { env: opts.env } : {}),
        ...(context.declaredDown?.length ? { declaredDown: context.declaredDown } : {}),
        ...(context.knownIds ? { knownIds: context.knownIds } : {}),
        ...(context.probe ? { probe: context.probe } : {}),
        ...(context.waitMs === undefined ? {} : { waitMs: context.waitMs }),
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
      {
        confirm: async () => ({ yes: true, via: 'flag' }),
        ...(context.beforeApply ? { beforeApply: context.beforeApply } : {}),
        onEvent: (e) => {
          if (e.type !== 'step') return;
          const failed = e.evidence?.status === 'fail';
          const status: ActionStepEvent['status'] = failed ? 'failed' : e.stage === 'reverified' ? 'verified' : e.stage === 'reapplying' ? 'applied' : e.stage;
          onStep({ index: e.index, step: e.step, status, summary: e.summary });
        },
      },
    );
    return {
      outcome: r.outcome === 'ok' ? 'ok' : r.outcome === 'stopped' ? 'stopped' : r.outcome === 'interrupted' ? 'interrupted' : 'failed',
      exitCode: r.exitCode,
      summary: [r.message, r.hint].filter(Boolean).join('; '),
      ...(r.transcript ? { transcript: r.transcript } : {}),
    };
  };
}
