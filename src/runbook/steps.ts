import * as z from 'zod';
import { duration } from './duration.js';
import { expecting } from './expecting.js';
import { suggestion } from './didYouMean.js';
import { argv, clusterRef, count, direction, text } from './fields.js';
import { gateName } from './gates.js';

/**
 * The step types and their parameters: the one definition that the loader
 * validates, the JSON Schema publishes, and `src/steps/<type>.ts` reuses as
 * its `params` (`stepParams['fence-writes']`).
 *
 * In a runbook a step is a one-key map, `- fence-writes: { cluster: primary }`;
 * loaded, it becomes `{ type: 'fence-writes', params: { cluster: 'primary' } }`.
 */
// `- translate-offsets:` with nothing after it reads as null; say how to write "no parameters".
function params<S extends z.core.$ZodLooseShape>(shape: S) {
  return z.strictObject(shape, {
    error: (iss) => (iss.code === 'invalid_type' && iss.input === null ? expecting('no parameter map', '{} when the step takes none')(iss) : undefined),
  });
}

export const stepParams = {
  'fence-writes': params({
      cluster: clusterRef(),
      wait: duration()
        .optional()
        .meta({ description: 'keep trying this long when the cluster does not answer (its brokers or its controllers), before recording the fence as pending' }),
    })
    .meta({ description: 'DENY WRITE ACLs for the workload producers on the workload topics of this cluster' }),
  'unfence-writes': params({ cluster: clusterRef() })
    .meta({ description: 'removes exactly the fence ACLs that fence-writes created' }),
  'wait-replication': params({
      maxLagRecords: count('lag per partition, in records, to wait for (default 0: fully caught up)').default(0),
      timeout: duration().prefault('5m').meta({ description: 'give up after this long (default 5m)' }),
      direction: direction().default('forward').meta({ description: 'forward: primary to secondary (default); reverse: back' }),
    })
    .meta({ description: 'waits until the link has replicated the workload topics' }),
  'translate-offsets': params({
      direction: direction().default('forward').meta({ description: 'forward: commit on the secondary (default); reverse: on the primary' }),
      groups: z.array(text()).min(1).optional().meta({ description: 'groups to translate (default: the workload groups)' }),
    })
    .meta({ description: "commits each group's translated offsets on the destination cluster" }),
  'switch-route': params({ to: clusterRef() })
    .meta({ description: 'points the routing alias at this cluster, with routing.switch' }),
  'pause-link': params({ direction: direction().optional().meta({ description: 'one direction (default: every flow of the link)' }) })
    .meta({ description: 'pauses replication, through Kafka Connect REST or link.commands' }),
  'resume-link': params({ direction: direction().optional().meta({ description: 'one direction (default: every flow of the link)' }) })
    .meta({ description: 'resumes replication paused by pause-link' }),
  run: params({
      command: argv('the command, run in the runbook folder'),
      timeout: duration().prefault('60s').meta({ description: 'kill it after this long (default 60s)' }),
      expectExit: z.int().min(0).max(255).default(0).meta({ description: 'the exit code that means success (default 0)' }),
    })
    .meta({ description: 'runs a command; fails the step on another exit code or on timeout' }),
  confirm: params({ message: text('the question the operator answers') })
    .meta({ description: 'asks the operator; a refusal stops the action (resumable)' }),
  wait: params({ duration: duration() }).meta({ description: 'waits a fixed time' }),
  verify: params({ gates: z.array(gateName()).min(1, { error: expecting('no gates to verify', 'at least one gate name') }) })
    .meta({ description: 're-runs gates; fails the step when one scores 0' }),
  'set-roles': params({ primary: clusterRef(), secondary: clusterRef() })
    .meta({ description: 'records new home roles on the clusters (continue-forward)' }),
} as const;

export type StepParamsRegistry = typeof stepParams;
export type StepType = keyof StepParamsRegistry;
export const STEP_TYPES = Object.keys(stepParams) as StepType[];

/** The loaded parameters of a step type (durations in milliseconds, defaults filled). */
export type StepParams<T extends StepType> = z.output<StepParamsRegistry[T]>;
/** The parameters as written in the runbook. */
export type StepParamsInput<T extends StepType> = z.input<StepParamsRegistry[T]>;

/** One loaded step. Narrow on `type` to get typed `params`. */
export type StepSpec = { [T in StepType]: { type: T; params: StepParams<T> } }[StepType];

export function isStepType(name: string): name is StepType {
  return Object.hasOwn(stepParams, name);
}

const STEP_EXPECTED = `a one-key map { <step-type>: { params } } with a step type among ${STEP_TYPES.join(', ')}`;

// Said when no step type matched; the loader dives into the matching type's
// own issues when exactly one type fits the key.
function stepError(iss: object): string {
  (iss as Record<string, unknown>).expectedText = STEP_EXPECTED;
  const input = (iss as { input?: unknown }).input;
  if (input === null || typeof input !== 'object' || Array.isArray(input)) return 'a step is a one-key map';
  const keys = Object.keys(input);
  if (keys.length === 0) return 'empty step';
  if (keys.length > 1) return `a step has exactly one key, its type; found ${keys.length}: ${keys.map((k) => `"${k}"`).join(', ')}`;
  const key = keys[0]!;
  if (!isStepType(key)) return `unknown step type "${key}"${suggestion(key, STEP_TYPES)}`;
  return `invalid parameters for ${key}`;
}

const stepOptions = STEP_TYPES.map((type) => z.strictObject({ [type]: stepParams[type] }));

export const stepSpec = z
  .union(stepOptions as unknown as [z.ZodObject, z.ZodObject, ...z.ZodObject[]], { error: stepError })
  .transform((one): StepSpec => {
    const [type, params] = Object.entries(one)[0] as [StepType, unknown];
    return { type, params } as StepSpec;
  })
  .meta({ description: 'one step: { <step-type>: { params } }' });
