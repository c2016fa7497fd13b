import * as z from 'zod';
import { ACTION_NAMES } from './actions.js';
import { PASSWORD_MECHANISMS } from './clusters.js';
import { duration } from './duration.js';
import { expecting } from './expecting.js';
import { argv, count, positiveCount, seconds, text, topicName } from './fields.js';
import { STEP_TYPES } from './steps.js';

/**
 * A drill runs an action under a probe workload, with a fault injected first,
 * and measures the business outcome against `expect`, like a chaos
 * experiment's hypothesis.
 */
/** The consumer group protocols the probe's consumer speaks: Java's `group.protocol` values. */
export const GROUP_PROTOCOLS = ['classic', 'consumer'] as const;
export type GroupProtocol = (typeof GROUP_PROTOCOLS)[number];

export const SCENARIO_KINDS = ['planned', 'primary-down', 'primary-hung', 'broker-down', 'link-down', 'custom'] as const;
export type ScenarioKind = (typeof SCENARIO_KINDS)[number];

const probe = z
  .strictObject({
    topic: topicName().default('failover.probe').meta({ description: 'the topic the probe writes (default failover.probe); it must be replicated' }),
    group: text('the consumer group that reads the probe (default failover-probe)').default('failover-probe'),
    groupProtocol: z
      .enum(GROUP_PROTOCOLS, { error: expecting('not a consumer group protocol', `${GROUP_PROTOCOLS.join(' or ')} (the consumer protocol is KIP-848, Kafka 4.0 and later)`) })
      .default('classic')
      .meta({ description: "the probe consumer's group protocol, as Java's group.protocol: classic (default), or consumer (KIP-848, Kafka 4.0 and later), to rehearse what the applications use" }),
    keys: positiveCount('distinct keys; order is measured per key (default 32)').default(32),
    ratePerSecond: z.number().positive().default(100).meta({ description: 'events written per second (default 100)' }),
    staleRatePerSecond: z
      .number()
      .nonnegative()
      .default(20)
      .meta({ description: "events per second of the stale client, a producer that keeps the home primary's address and never follows the route (default 20; 0: no stale client)" }),
    staleTopic: topicName()
      .optional()
      .meta({ description: 'the topic the stale client writes (default: the probe topic); to see a fence work, a workload topic its principal may write' }),
    staleSasl: z
      .strictObject({
        mechanism: z.enum(PASSWORD_MECHANISMS, { error: expecting('not a supported SASL mechanism for the stale client', PASSWORD_MECHANISMS.join(', ')) }),
        username: text('the SASL user; ${env:NAME} keeps it out of the file'),
        password: text('the SASL password; write ${env:NAME} or ${file:path}'),
      })
      .optional()
      .meta({ description: "the stale client's SASL credentials (default: the home primary's, as the probe writes): an application principal, so that a fence applies to it" }),
  })
  .meta({ description: 'a producer and a consumer through the routing alias, writing keyed, sequenced events; and a stale client on the home primary' });

export const drillExpect = z
  .strictObject({
    maxLostEvents: count('events acknowledged but never read (RPO)').optional(),
    maxWriteDowntimeSeconds: seconds('longest time no write was acknowledged').optional(),
    maxReadDowntimeSeconds: seconds('longest time no event was read').optional(),
    maxDuplicates: count('events read more than once').optional(),
    maxReorderings: count('events read out of order within their key').optional(),
    maxWritesToDemoted: count("the stale client's events acknowledged by a demoted cluster after the switch away from it (split brain); default 0 when the stale client runs").optional(),
  })
  .meta({ description: 'the hypothesis: bounds on what the probe measures' });

const fault = z
  .strictObject({
    inject: argv('injects the fault ({{source.*}} is the primary)'),
    recover: argv('ends the fault after the drill').optional(),
    during: z
      .enum(STEP_TYPES, { error: expecting('not a step type', STEP_TYPES.join(', ')) })
      .optional()
      .meta({ description: "inject the fault inside the action instead of before it: once the action's first step of this type is planned, before it applies (e.g. wait-replication: the link dies while the promote waits for it)" }),
  })
  .meta({ description: 'commands that inject and recover the fault' });

const scenario = z
  .strictObject({
    kind: z
      .enum(SCENARIO_KINDS, { error: expecting('not a scenario kind', SCENARIO_KINDS.join(', ')) })
      .optional()
      .meta({ description: 'planned, primary-down, primary-hung, broker-down (one broker of the primary), link-down (the replication link) or custom (default: the scenario name when it is one of these, else custom)' }),
    description: text().optional(),
    action: z
      .enum(ACTION_NAMES, { error: expecting('not an action', ACTION_NAMES.join(', ')) })
      .default('promote')
      .meta({ description: 'the action the drill runs (default promote)' }),
    fault: fault.optional(),
    outcome: z
      .enum(['ok', 'stopped'], { error: expecting('not an action outcome', 'ok, stopped') })
      .default('ok')
      .meta({ description: 'how the action must end (default ok); stopped: it must stop on a stop criterion (exit 3) with nothing switched, and the drill then runs `failover abort`, which must bring the pair back to steady' }),
    dwell: duration().prefault('0s').meta({ description: 'how long the fault lasts before the action starts (default 0s)' }),
    expect: drillExpect.optional().meta({ description: 'overrides drill.expect for this scenario' }),
  })
  .meta({ description: 'one drill scenario' });

function kindOf(name: string, given: ScenarioKind | undefined): ScenarioKind {
  if (given !== undefined) return given;
  return (SCENARIO_KINDS as readonly string[]).includes(name) ? (name as ScenarioKind) : 'custom';
}

export const drillSpec = z
  .strictObject({
    probe: probe.optional(),
    expect: drillExpect.optional(),
    scenarios: z
      .record(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, { error: expecting('not a usable scenario name', 'letters, digits, "_" or "-"') }), scenario)
      .default(() => ({}))
      .transform((all) => Object.fromEntries(Object.entries(all).map(([name, s]) => [name, { ...s, kind: kindOf(name, s.kind) }])))
      .meta({ description: 'scenarios by name; planned, primary-down, primary-hung, broker-down and link-down are the well-known ones' }),
  })
  .meta({ description: 'game-day drills' });

export type DrillSpec = z.output<typeof drillSpec>;
export type ProbeSpec = NonNullable<DrillSpec['probe']>;
export type DrillExpect = z.output<typeof drillExpect>;
export type ScenarioSpec = DrillSpec['scenarios'][string];
