import { resolve } from 'node:path';
import { runAction } from '../engine/run.js';
import type { ActionHooks } from '../engine/types.js';
import { ExitCode, FailoverError, type ExitCodeValue } from '../errors.js';
import { BLOCKING_GATE_NAMES, type GateName } from '../runbook/gates.js';
import { loadRunbookOrThrow } from '../runbook/load.js';
import type { ActionName } from '../runbook/schema.js';
import { askConfirm, requirePromptOrYes, type PromptStreams } from '../ui/prompts.js';
import { printJson } from '../ui/report.js';
import { eventPrinter, planExit, renderPlan } from './actionRender.js';

export interface ActionOptions {
  runbook: string;
  action: ActionName;
  yes?: boolean;
  dryRun?: boolean;
  resume?: string;
  /** --override GATE, paired in order with --reason */
  override?: string[];
  reason?: string[];
  /** where transcripts go (default ./transcripts) */
  transcripts?: string;
  json?: boolean;
  cwd: string;
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  /** tests drive the prompt through these */
  streams?: PromptStreams;
  signal?: AbortSignal;
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
