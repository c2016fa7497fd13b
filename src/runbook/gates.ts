import * as z from 'zod';
import { expecting } from './expecting.js';
import { count, httpUrl, seconds, text } from './fields.js';

/**
 * Gate names, and the thresholds each gate reads from the runbook. Every
 * threshold has a default, written here once; the JSON Schema and the
 * editor show it.
 */
export const GATE_NAMES = ['compatibility', 'offsets', 'routing', 'governance', 'rollback', 'observability', 'cost'] as const;
export type GateName = (typeof GATE_NAMES)[number];

/** cost is reported and never blocks an action, so an action cannot require it. */
export const BLOCKING_GATE_NAMES = ['compatibility', 'offsets', 'routing', 'governance', 'rollback', 'observability'] as const;
export type BlockingGateName = (typeof BLOCKING_GATE_NAMES)[number];

export function gateName() {
  return z.enum(GATE_NAMES, { error: expecting('not a gate', GATE_NAMES.join(', ')) });
}

export function blockingGateName() {
  return z.enum(BLOCKING_GATE_NAMES, {
    error: expecting('not a blocking gate (cost is reported, never required)', BLOCKING_GATE_NAMES.join(', ')),
  });
}

export const DEFAULT_TOPIC_CONFIG_KEYS = ['cleanup.policy', 'max.message.bytes', 'message.timestamp.type', 'min.insync.replicas', 'retention.ms'];
export const DEFAULT_CONFIG_PARITY_KEYS = [
  'auto.create.topics.enable',
  'default.replication.factor',
  'min.insync.replicas',
  'unclean.leader.election.enable',
];

const compatibility = z
  .strictObject({
    topicConfigKeys: z
      .array(text())
      .default(() => [...DEFAULT_TOPIC_CONFIG_KEYS])
      .meta({ description: `topic configs that must agree between a topic and its counterpart (default ${DEFAULT_TOPIC_CONFIG_KEYS.join(', ')}); retention may be longer on the secondary, never shorter` }),
  })
  .meta({ description: 'the secondary can serve the workload as the primary does' });

const offsets = z
  .strictObject({
    maxLagRecords: count('replication lag per partition, in records (default 1000)').default(1000),
    maxLagSeconds: seconds('replication lag per partition, in seconds (default 30)').default(30),
    maxReplayRecords: count('records a group may re-read after the switch, per group (default 10000)').default(10_000),
    checkpointMaxAgeSeconds: seconds('oldest acceptable offset translation, in seconds (default 120)').default(120),
  })
  .meta({ description: 'consumers resume on the secondary near where they stopped' });

const routing = z
  .strictObject({
    dnsTtlMaxSeconds: seconds('longest acceptable DNS TTL of the routing alias, in seconds (default 60)').default(60),
  })
  .meta({ description: 'clients can be moved, and will follow' });

const governance = z
  .strictObject({
    configParityKeys: z
      .array(text())
      .default(() => [...DEFAULT_CONFIG_PARITY_KEYS])
      .meta({ description: `broker configs that must agree between the clusters (default ${DEFAULT_CONFIG_PARITY_KEYS.join(', ')})` }),
  })
  .meta({ description: 'the secondary enforces the same access rules and policy' });

const rollback = z
  .strictObject({
    rehearsedWithinDays: count('a successful revert must be on record within this many days for score 2 (default 30)').default(30),
  })
  .meta({ description: 'the switch can be undone' });

const observability = z
  .strictObject({
    heartbeatMaxAgeSeconds: seconds('oldest acceptable replication heartbeat, in seconds (default 60)').default(60),
    metrics: z
      .array(httpUrl())
      .default(() => [])
      .meta({ description: 'metrics endpoints that must answer (e.g. Prometheus exporters)' }),
  })
  .meta({ description: 'the switch can be watched' });

const cost = z
  .strictObject({
    currency: z.string().regex(/^[A-Z]{3}$/, { error: expecting('not a currency code', 'ISO 4217, e.g. USD') }).default('USD'),
    rates: z
      .strictObject({
        transferPerGB: z.number().nonnegative().optional().meta({ description: 'price of replicated bytes crossing regions or zones, per GB' }),
        storagePerGBMonth: z.number().nonnegative().optional().meta({ description: 'price of storage on the secondary, per GB-month' }),
      })
      .prefault({})
      .meta({ description: 'prices; without them the cost gate reports bytes only' }),
  })
  .meta({ description: 'what replication and a failback cost (reported, never blocking)' });

export const gatesSpec = z
  .strictObject({
    compatibility: compatibility.prefault({}),
    offsets: offsets.prefault({}),
    routing: routing.prefault({}),
    governance: governance.prefault({}),
    rollback: rollback.prefault({}),
    observability: observability.prefault({}),
    cost: cost.prefault({}),
  })
  .meta({ description: 'per-gate thresholds; anything left out takes its default' });

export type GatesSpec = z.output<typeof gatesSpec>;
export type OffsetsThresholds = GatesSpec['offsets'];
