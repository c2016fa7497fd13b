import type { ZodType } from 'zod';
import type { Evidence, GateResult, Phase, RolesInForce } from '../gates/types.js';
import type { KafkaConnection } from '../kafka/connection.js';
import type { Acl } from '../kafka/acls.js';
import type { GateName } from '../runbook/gates.js';
import type { Runbook } from '../runbook/schema.js';
import type { StepParams, StepType } from '../runbook/steps.js';
import type { TemplateContext } from '../runbook/templates.js';

export type { Evidence } from '../gates/types.js';

/**
 * What every plan carries besides its own data. Plans are plain JSON: the
 * transcript records them, and `--resume` applies a recorded plan as it was
 * rather than planning again (a re-plan after a fence would see the fence as
 * made by hand, and a re-plan after a route switch would lose the value the
 * switch replaced).
 */
export interface PlanBase {
  /** one line: what the step will do */
  summary: string;
  /** the concrete changes, one per line: ACLs, offsets, the route; empty when there are none */
  details: string[];
  /** true when applying the plan would change nothing */
  noop?: boolean;
  /** why the step cannot be applied as planned; apply refuses while this is set */
  blocked?: string;
}

export interface OutcomeBase {
  summary: string;
}

/** Someone must say yes before the step goes on; `via` says who. */
export interface ConfirmRequest {
  kind: 'run' | 'step';
  message: string;
  index?: number;
}
export interface ConfirmAnswer {
  yes: boolean;
  via: 'prompt' | 'flag';
}

/** Live progress of a long step (waiting for replication, a fixed wait). */
export interface StepProgress {
  index: number;
  step: StepType;
  message: string;
  data?: unknown;
}

/** Why the action must stop now: a stop criterion fired, or the operator interrupted. */
export interface StopSignal {
  kind: 'criterion' | 'interrupt' | 'refused';
  criterion?: string;
  reason: string;
  data?: unknown;
}

/**
 * Runs gates in the context of a phase; the engine gets one from whoever
 * builds the gates. `dataPhase`, when given, is the phase in which the gates
 * about data (everything but routing) are judged: a verify step at the end
 * of promote asks whether clients now go to the promoted cluster (routing,
 * in the phase promote leads to) and whether the data it just moved arrived
 * (offsets, on the flow promote used, in the phase it started from).
 */
export type GateRunner = (names: readonly GateName[], context: { phase: Phase; roles: RolesInForce; dataPhase?: Phase }) => Promise<GateResult[]>;

/** What a route switch recorded, so that the next switch back can restore the exact previous value. */
export interface RouteRecord {
  mode: 'file' | 'command';
  to: string;
  /** the value before the switch (file mode); null when the key was absent */
  previous: string | null;
  /** whether the file existed before the switch */
  previousFileExisted?: boolean;
  /** the value the switch wrote (file mode) */
  set: string | null;
  /** the cluster the previous value served */
  previousFor: string;
  path?: string;
  key?: string;
  runId?: string;
}

/** The pair's records on the clusters that steps read and write (the engine keeps them in the state topic). */
export interface PairRecords {
  fence(cluster: string): Promise<Acl[] | undefined>;
  recordFence(cluster: string, acls: Acl[]): Promise<void>;
  route(): Promise<RouteRecord | undefined>;
  recordRoute(route: RouteRecord): Promise<void>;
  roles(): Promise<RolesInForce>;
  setRoles(roles: RolesInForce): Promise<void>;
}

/**
 * Everything a step may use. Each step type asks for the part it needs
 * (`Pick<StepContext, 'runbook' | 'connection'>`), so a test hands it only that.
 */
export interface StepContext {
  runbook: Runbook;
  /** the runbook's folder: commands run there, relative paths start there */
  baseDir: string;
  action: string;
  /** the roles in force when the action started (the home roles until continue-forward changes them) */
  roles: RolesInForce;
  /** the phase the action starts from, and the one it leads to, for gates re-run by a verify step */
  startPhase: Phase;
  targetPhase: Phase;
  /** which cluster owns writes before this action (the secondary while promoted) */
  activeCluster: string;
  connection(cluster: string): KafkaConnection;
  records: PairRecords;
  gates: GateRunner;
  confirm(req: ConfirmRequest): Promise<ConfirmAnswer>;
  progress(p: Omit<StepProgress, 'index' | 'step'>): void;
  /** stop criteria and Ctrl-C; long steps call it while they wait */
  checkStop(): Promise<StopSignal | undefined>;
  /** the `{{...}}` values for commands, with source and target set for a direction */
  templates(direction: 'forward' | 'reverse'): TemplateContext;
  env: NodeJS.ProcessEnv;
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** A step stopped on purpose (a refused confirm, a stop criterion while waiting, Ctrl-C). */
export class StepStopped extends Error {
  constructor(readonly signal: StopSignal) {
    super(signal.reason);
    this.name = 'StepStopped';
  }
}

/**
 * One step type: `plan` reads live state and returns data, `apply` does
 * exactly the plan and is idempotent, `verify` proves the postcondition from
 * live state. `outcome` is what apply returned, when the engine has it (a
 * recorded `run` step proves its exit code only through it).
 */
export interface StepModule<T extends StepType, P extends PlanBase = PlanBase, O extends OutcomeBase = OutcomeBase, C = StepContext> {
  name: T;
  params: ZodType<StepParams<T>, unknown>;
  plan(ctx: C, params: StepParams<T>): Promise<P>;
  apply(ctx: C, plan: P): Promise<O>;
  verify(ctx: C, plan: P, outcome?: O): Promise<Evidence>;
}

/** The registry's view of a step: types erased, as the engine drives any of them. */
export interface AnyStep {
  name: StepType;
  params: ZodType<unknown, unknown>;
  plan(ctx: StepContext, params: unknown): Promise<PlanBase>;
  apply(ctx: StepContext, plan: PlanBase): Promise<OutcomeBase>;
  verify(ctx: StepContext, plan: PlanBase, outcome?: OutcomeBase): Promise<Evidence>;
}
