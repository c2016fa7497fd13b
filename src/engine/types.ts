import type { ExitCodeValue } from '../errors.js';
import type { GateResult, Phase, RolesInForce } from '../gates/types.js';
import type { GateName } from '../runbook/gates.js';
import type { LoadedRunbook } from '../runbook/load.js';
import type { StepType, StopWhen } from '../runbook/schema.js';
import type { EngineAction } from './program.js';
import type { RunOutcome } from '../transcript/entries.js';
import type { ConfirmAnswer, ConfirmRequest, DrillProbeWorkload, Evidence, GateRunner, PlanBase } from '../steps/types.js';
import type { RunbookConnections } from './connections.js';
import type { LockHolder } from './state.js';

export type { ConfirmAnswer, ConfirmRequest, GateRunner } from '../steps/types.js';

export interface ActionRequest {
  loaded: LoadedRunbook;
  action: EngineAction;
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
  /** clusters the operator declares down, with why: the action runs without their lock. `ifSilent`: only if it does not answer (a drill's fault) */
  declaredDown?: { cluster: string; reason: string; ifSilent?: boolean }[];
  /** abort: the stuck run's transcript, when it is not where the pair's record says */
  abortTranscript?: string;
  /** fence: keep trying a cluster that does not answer this long (it is coming back) */
  waitMs?: number;
  /** cluster ids the caller learnt while the clusters answered (a drill, before its fault): how the pair is found when one is down */
  knownIds?: Record<string, string>;
  /** a drill's probe: translate-offsets moves its group (commits on its topic and that topic's copies) with the workload groups */
  probe?: DrillProbeWorkload;
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
  /**
   * awaited after a step is planned and before it applies: a drill injects a
   * fault here (`fault.during`), so the step runs with the fault in place
   */
  beforeApply?(step: { index: number; type: StepType }): Promise<void>;
}

export interface PlannedStep {
  index: number;
  type: StepType;
  /** as the transcript names it, when it differs from the type (`undo switch-route`) */
  label?: string;
  params: unknown;
  plan?: PlanBase;
  /** planning failed: the step cannot run as things stand */
  error?: string;
  /** completed in the run being resumed */
  done?: boolean;
}

export interface ActionPlan {
  runbook: { name: string; file: string; sha256: string };
  action: EngineAction;
  phase: { phase: Phase; roles: RolesInForce; recorded: boolean; transcript?: string };
  /** what the phase check says about starting now */
  canStart: { ok: boolean; reason?: string; hint?: string };
  lock: { cluster: string; holder: LockHolder }[];
  requires: GateName[];
  stopWhen?: StopWhen;
  steps: PlannedStep[];
  unreachable: { cluster: string; error: string }[];
  /** pending fences, state conflicts: what the operator must know before anything runs */
  hazards: string[];
  /** plans of later steps are computed from the pair as it is now; each step is planned again just before it runs */
  provisional: boolean;
}

export type StepStage = 'planned' | 'applied' | 'verified' | 'reverified' | 'reapplying' | 'skipped';

export type EngineEvent =
  | { type: 'started'; transcript: string; runId: string; resumed: boolean }
  | { type: 'locked'; clusters: string[]; declaredDown: string[] }
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
