import { resolve } from 'node:path';
import { runAction } from '../engine/run.js';
import type { ActionHooks } from '../engine/types.js';
import { ExitCode, FailoverError, type ExitCodeValue } from '../errors.js';
import { BLOCKING_GATE_NAMES, type GateName } from '../runbook/gates.js';
import { parseDuration } from '../runbook/duration.js';
import { loadRunbookOrThrow } from '../runbook/load.js';
import type { EngineAction } from '../engine/program.js';
import { askConfirm, askTyped, canPrompt, requirePromptOrYes, type PromptStreams } from '../ui/prompts.js';
import { printJson } from '../ui/report.js';
import { eventPrinter, planExit, renderPlan } from './actionRender.js';

export interface ActionOptions {
  runbook: string;
  action: EngineAction;
  yes?: boolean;
  dryRun?: boolean;
  resume?: string;
  /** --override GATE, paired in order with --reason */
  override?: string[];
  reason?: string[];
  /** where transcripts go (default ./transcripts) */
  transcripts?: string;
  /** clusters the operator declares down, and why */
  declareDown?: string[];
  declareReason?: string;
  /** abort: the stuck run's transcript */
  transcript?: string;
  /** fence: keep trying a silent cluster this long */
  wait?: string;
  json?: boolean;
  cwd: string;
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  /** tests drive the prompt through these */
  streams?: PromptStreams;
  signal?: AbortSignal;
}

function parseWait(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new FailoverError(`--wait ${text}: not a duration`, { hint: 'a number and a unit: 500ms, 30s, 5m, 1h' });
  return ms;
}

/** --declare-down CLUSTER (repeatable) with one --declare-reason for them. */
export function parseDeclared(clusters: readonly string[] = [], reason: string | undefined): { cluster: string; reason: string }[] {
  if (clusters.length === 0) {
    if (reason !== undefined) throw new FailoverError('--declare-reason without --declare-down', { hint: 'name the cluster that is down: --declare-down CLUSTER --declare-reason "..."' });
    return [];
  }
  if (reason === undefined || reason.trim() === '') {
    throw new FailoverError(`--declare-down ${clusters.join(', ')} needs --declare-reason "..."`, { hint: 'say why the cluster is down; the transcript and the clusters record it' });
  }
  return [...new Set(clusters)].map((cluster) => ({ cluster, reason: reason.trim() }));
}

/** Pairs --override and --reason in order; every override needs its reason. */
export function parseOverrides(gates: readonly string[] = [], reasons: readonly string[] = []): { gate: GateName; reason: string }[] {
  if (gates.length !== reasons.length) {
    throw new FailoverError(`${gates.length} --override but ${reasons.length} --reason`, {
      hint: 'give each --override GATE its own --reason "why it is safe to start anyway"; the transcript records both',
    });
  }
  return gates.map((gate, i) => {
    if (!(BLOCKING_GATE_NAMES as readonly string[]).includes(gate)) {
      throw new FailoverError(`--override ${gate}: not a gate an action can require`, { hint: `one of ${BLOCKING_GATE_NAMES.join(', ')}` });
    }
    const reason = reasons[i]!.trim();
    if (reason === '') throw new FailoverError(`--override ${gate} has an empty --reason`, { hint: 'say why it is safe to start anyway' });
    return { gate: gate as GateName, reason };
  });
}

/**
 * `failover promote|revert|continue-forward <runbook>`: the engine runs the
 * action; this renders it and answers its confirmations (a prompt, or --yes).
 * Ctrl-C stops at the next safe point with a resumable transcript (exit 130).
 */
export async function actionCommand(opts: ActionOptions): Promise<ExitCodeValue> {
  if (opts.dryRun && opts.resume !== undefined) {
    throw new FailoverError('--dry-run and --resume do not go together: a dry run plans from the live pair and continues no transcript', {
      hint: `drop --dry-run to continue that run (failover ${opts.action} ${opts.runbook} --resume ${opts.resume}), or drop --resume to see the plan`,
    });
  }
  const overrides = parseOverrides(opts.override, opts.reason);
  const declaredDown = parseDeclared(opts.declareDown, opts.declareReason);
  if (!opts.dryRun) requirePromptOrYes(Boolean(opts.yes), opts.streams);
  const env = opts.env ?? process.env;
  const loaded = await loadRunbookOrThrow(resolve(opts.cwd, opts.runbook), { env, displayPath: opts.runbook });

  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.on('SIGINT', onSigint);
  opts.signal?.addEventListener('abort', onSigint, { once: true });
  const write = (line: string) => process.stderr.write(line + '\n');
  const hooks: ActionHooks = {
    confirm: async (req) => {
      // A declaration that a cluster is down is typed on a terminal, --yes or not; --yes answers it only where nobody can type.
      if (req.typed !== undefined && canPrompt(opts.streams)) return { yes: await askTyped(req.message, req.typed, opts.streams), via: 'prompt' };
      if (opts.yes) return { yes: true, via: 'flag' };
      return { yes: await askConfirm(req.message, opts.streams), via: 'prompt' };
    },
    // A dry run prints what `failover plan` prints, where it prints it.
    onEvent: opts.dryRun ? undefined : eventPrinter(write, { tty: Boolean(process.stderr.isTTY) }),
  };
  try {
    const result = await runAction(
      {
        loaded,
        action: opts.action,
        dryRun: Boolean(opts.dryRun),
        ...(opts.resume ? { resume: resolve(opts.cwd, opts.resume) } : {}),
        transcriptsDir: resolve(opts.cwd, opts.transcripts ?? 'transcripts'),
        overrides,
        ...(declaredDown.length ? { declaredDown } : {}),
        ...(opts.transcript ? { abortTranscript: resolve(opts.cwd, opts.transcript) } : {}),
        ...(opts.wait ? { waitMs: parseWait(opts.wait) } : {}),
        argv: opts.argv ?? [],
        env,
        signal: interrupt.signal,
      },
      hooks,
    );
    if (opts.json && result.plan) printJson(result.plan);
    else if (result.plan) renderPlan(result.plan, (line) => process.stdout.write(line + '\n'));
    else if (opts.json) printJson({ outcome: result.outcome, exitCode: result.exitCode, transcript: result.transcript, message: result.message, hint: result.hint });
    if (result.plan && result.exitCode === ExitCode.ok) return planExit(result.plan);
    return result.exitCode;
  } finally {
    process.off('SIGINT', onSigint);
  }
}

/** A dry run is a finding (exit 1) when a step cannot be planned or is blocked, or the phase would refuse the action. */
