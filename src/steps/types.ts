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

/**
 * Someone must say yes before the step goes on; `via` says who. `typed`:
 * on a terminal the person must type this text (a cluster declared down),
 * not just answer yes.
 */
export interface ConfirmRequest {
  kind: 'run' | 'step' | 'declare-down' | 'take-over';
  message: string;
  index?: number;
  typed?: string;
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
export type GateRunner = (names: readonly GateName[], context: { phase: Phase; roles: RolesInForce; dataPhase?: Phase; expectedDown?: readonly string[] }) => Promise<GateResult[]>;

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

/** A fence the pair could not apply yet, because its cluster did not answer: applied the moment it returns. */
export interface PendingFenceSpec {
  producers: string[];
  /** the workload topics as the runbook names them (patterns included) */
  topics: string[];
  reason: string;
}

/** The pair's records on the clusters that steps read and write (the engine keeps them in the state topic). */
export interface PairRecords {
  /** the ACLs fence-writes created on a cluster (undefined: none recorded) */
  fence(cluster: string): Promise<Acl[] | undefined>;
  /** the fence of a cluster that is still to be applied, if any */
  pendingFence(cluster: string): Promise<PendingFenceSpec | undefined>;
  /** records the fence's ACLs; `pending` set means they could not be applied yet, undefined clears it */
  recordFence(cluster: string, acls: Acl[], pending?: PendingFenceSpec): Promise<void>;
  /** the offsets translate-offsets last committed for a group on a cluster */
  translated(cluster: string, group: string): Promise<{ topic: string; partition: number; offset: number }[] | undefined>;
  recordTranslated(cluster: string, group: string, commits: { topic: string; partition: number; offset: number }[]): Promise<void>;
  route(): Promise<RouteRecord | undefined>;
  recordRoute(route: RouteRecord): Promise<void>;
  roles(): Promise<RolesInForce>;
  setRoles(roles: RolesInForce): Promise<void>;
}

/**
 * Everything a step may use. Each step type asks for the part it needs
 * (`Pick<StepContext, 'runbook' | 'connection'>`), so a test hands it only that.
 */
/** A drill's probe: its group is the drill's own, and moves with the workload groups wherever translate-offsets runs. */
export interface DrillProbeWorkload {
  topic: string;
  group: string;
}

export interface StepContext {
  runbook: Runbook;
  /** set when a drill runs the action: its probe group moves with the workload groups */
  probe?: DrillProbeWorkload;
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
  /** clusters the operator declared down for this run: not expected to answer, and not counted against the pair */
  declaredDown: readonly string[];
  /** whether a cluster answers now: asked again on purpose (a cluster that was down may be back) */
  reachable(cluster: string): Promise<{ ok: true } | { ok: false; error: string }>;
  /** the cluster id behind an address (the routing alias), asked with `like`'s auth; and a runbook cluster's own id */
  clusterIdAt(bootstrap: string[], like: string): Promise<{ clusterId?: string; error?: string }>;
  clusterId(cluster: string): Promise<string | undefined>;
  /** writes ACLs through the cluster's KRaft controllers (KIP-919); undefined when the runbook names none */
  aclsViaControllers(cluster: string, acls: readonly Acl[]): Promise<{ ok: true; via: string } | { ok: false; error: string } | undefined>;
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
  /** how `failover abort` takes the step's effect back; absent for steps that change nothing */
  undo?: UndoModule<P, O, C>;
}

/** What a transcript recorded of one step: its plan and, when it was applied, the outcome. */
export interface RecordedStep<P extends PlanBase = PlanBase, O extends OutcomeBase = OutcomeBase> {
  plan: P;
  outcome?: O;
}

/**
 * The undo of a step, planned from what the stuck run's transcript recorded
 * (never from the runbook, which may have changed since), and from the
 * pair as it is now. Its apply is idempotent like any step's, and its
 * verify proves the step's effect is gone. A step whose apply may have been
 * cut short is undone as if it had been applied: each undo takes back only
 * what it finds.
 */
export interface UndoModule<P extends PlanBase, O extends OutcomeBase, C> {
  plan(ctx: C, recorded: RecordedStep<P, O>): Promise<PlanBase>;
  apply(ctx: C, plan: PlanBase): Promise<OutcomeBase>;
  verify(ctx: C, plan: PlanBase): Promise<Evidence>;
}

/** The registry's view of a step: types erased, as the engine drives any of them. */
export interface AnyStep {
  name: StepType;
  params: ZodType<unknown, unknown>;
  plan(ctx: StepContext, params: unknown): Promise<PlanBase>;
  apply(ctx: StepContext, plan: PlanBase): Promise<OutcomeBase>;
  verify(ctx: StepContext, plan: PlanBase, outcome?: OutcomeBase): Promise<Evidence>;
  undo?: UndoModule<PlanBase, OutcomeBase, StepContext>;
}
