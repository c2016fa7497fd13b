import type { ExitCodeValue } from '../errors.js';
import type { GateResult, Phase, RolesInForce } from '../gates/types.js';
import type { GateName } from '../runbook/gates.js';
import type { LoadedRunbook } from '../runbook/load.js';
import type { ActionName, StepType, StopWhen } from '../runbook/schema.js';
import type { RunOutcome } from '../transcript/entries.js';
import type { ConfirmAnswer, ConfirmRequest, Evidence, GateRunner, PlanBase } from '../steps/types.js';
import type { RunbookConnections } from './connections.js';
import type { LockHolder } from './state.js';

export type { ConfirmAnswer, ConfirmRequest, GateRunner } from '../steps/types.js';

export interface ActionRequest {
  loaded: LoadedRunbook;
  action: ActionName;
  /** compute and show every step's plan; change nothing (equals `failover plan`) */
  dryRun?: boolean;
  /** continue the run of this transcript */
  resume?: string;
  /** where the transcript goes (default transcripts/<runbook>/<time>-<action>.jsonl under transcriptsDir) */
  transcriptPath?: string;
  transcriptsDir?: string;
  /** start although these required gates score 0; each is recorded with its reason */
  overrides?: { gate: GateName; reason: string }[];
  /** the command line, for the transcript */
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  /** aborted on Ctrl-C: the action stops at the next safe point with a resumable transcript */
  signal?: AbortSignal;
}

export interface ActionHooks {
  /** asks the operator (or answers for --yes); the engine records every answer */
  confirm(req: ConfirmRequest): Promise<ConfirmAnswer>;
  /** everything the engine does, as it does it, for the command to render */
  onEvent?(e: EngineEvent): void;
  /** runs gates (requires preflight, verify steps); without it, required gates count as not run */
  gates?: GateRunner;
  /** connections to reuse (tests, the drill); the engine closes only those it opened */
  connections?: RunbookConnections;
}

export interface PlannedStep {
  index: number;
  type: StepType;
  params: unknown;
  plan?: PlanBase;
  /** planning failed: the step cannot run as things stand */
  error?: string;
  /** completed in the run being resumed */
  done?: boolean;
}

export interface ActionPlan {
  runbook: { name: string; file: string; sha256: string };
  action: ActionName;
  phase: { phase: Phase; roles: RolesInForce; recorded: boolean; transcript?: string };
  /** what the phase check says about starting now */
  canStart: { ok: boolean; reason?: string; hint?: string };
  lock: { cluster: string; holder: LockHolder }[];
  requires: GateName[];
  stopWhen?: StopWhen;
  steps: PlannedStep[];
  unreachable: { cluster: string; error: string }[];
  /** plans of later steps are computed from the pair as it is now; each step is planned again just before it runs */
  provisional: boolean;
}

export type StepStage = 'planned' | 'applied' | 'verified' | 'reverified' | 'reapplying' | 'skipped';

export type EngineEvent =
  | { type: 'started'; transcript: string; runId: string; resumed: boolean }
  | { type: 'locked'; clusters: string[]; unreachable: { cluster: string; error: string }[] }
  | { type: 'gate'; result: GateResult; overridden?: string }
  | { type: 'plan'; plan: ActionPlan }
  | { type: 'phase'; phase: Phase; roles: RolesInForce }
  | { type: 'step'; index: number; step: StepType; stage: StepStage; summary: string; details?: string[]; evidence?: Evidence }
  | { type: 'progress'; index: number; step: StepType; message: string; data?: unknown }
  | { type: 'note'; text: string }
  | { type: 'finished'; outcome: RunOutcome; exitCode: ExitCodeValue; message?: string; hint?: string; transcript?: string };

export interface ActionResult {
  outcome: RunOutcome;
  exitCode: ExitCodeValue;
  transcript?: string;
  runId?: string;
  plan?: ActionPlan;
  /** why the run did not finish ok */
  message?: string;
  hint?: string;
}
