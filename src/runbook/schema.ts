import * as z from 'zod';
import { actionsSpec } from './actions.js';
import { clusterSpec } from './clusters.js';
import { drillSpec } from './drill.js';
import { expecting } from './expecting.js';
import { argv, clusterName, hostPort, principal, text, topicSelector } from './fields.js';
import { gatesSpec } from './gates.js';
import { linkSpec } from './link.js';

/**
 * The runbook language, version 1: the one definition from which come the
 * TypeScript types, the loader's validation and the published JSON Schema.
 * Field-level pieces live beside this file, one idea each.
 */

const roles = z
  .strictObject({
    primary: clusterName().meta({ description: 'the cluster that owns writes at home' }),
    secondary: clusterName().meta({ description: 'the standby that promote makes the primary' }),
  })
  .meta({ description: 'the home roles; the live phase is read from the clusters' });

const workload = z
  .strictObject({
    topics: z
      .array(topicSelector())
      .min(1, { error: expecting('no topics', 'at least one topic name or /regex/') })
      .meta({ description: 'topic names on the home primary; /regex/ allowed' }),
    groups: z.array(text()).default(() => []).meta({ description: 'consumer groups whose offsets move with the switch' }),
    producers: z
      .array(principal())
      .default(() => [])
      .meta({ description: 'principals that write the topics; fence-writes denies them' }),
  })
  .meta({ description: 'the topics, consumer groups and producer principals the runbook moves' });

const routeSwitch = z
  .union(
    [
      z
        .strictObject({
          file: z.strictObject({
            path: text('a properties file the clients read, relative to the runbook folder'),
            key: text('the key to rewrite (default bootstrap.servers)').default('bootstrap.servers'),
          }),
        })
        .meta({ description: 'rewrite one key of a properties file with the target bootstrap' }),
      z
        .strictObject({ command: argv('moves the alias; {{target.bootstrap}} is where it must point') })
        .meta({ description: 'run a command that moves the alias (DNS, service discovery, a load balancer)' }),
    ],
    { error: expecting('not a route switch', 'file: { path, key } or command: [program, arg, ...]') },
  )
  .meta({ description: 'how switch-route moves the alias' });

const routing = z
  .strictObject({
    alias: hostPort().meta({ description: 'what the clients are configured with, host:port' }),
    switch: routeSwitch,
  })
  .meta({ description: 'how clients find the primary' });

const policy = z
  .strictObject({
    allowedRegions: z.array(text()).optional().meta({ description: "regions a cluster may run in; checked against each cluster's region" }),
    residency: z
      .record(z.string().min(1), z.array(z.string()).min(1))
      .optional()
      .meta({ description: 'label -> allowed values; every cluster must carry the label with one of the values (e.g. jurisdiction: [us])' }),
  })
  .meta({ description: 'data placement policy, checked by validate and the governance gate' });

export const runbookSchema = z
  .strictObject({
    version: z.literal(1, { error: expecting('unsupported runbook version', '1') }),
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, {
        error: expecting('not a usable runbook name', 'letters, digits, ".", "_" or "-", at most 100; it names state topics and transcripts'),
      })
      .meta({ description: 'the runbook name; it names the state topic and transcripts' }),
    owner: text('the team that owns this runbook').optional(),
    description: text().optional(),
    clusters: z
      .record(clusterName(), clusterSpec)
      .refine((c) => Object.keys(c).length >= 2, { error: expecting('a runbook needs two clusters', 'at least two clusters') })
      .meta({ description: 'the clusters, by name' }),
    roles,
    link: linkSpec,
    workload,
    routing: routing.optional(),
    gates: gatesSpec.prefault({}),
    actions: actionsSpec,
    drill: drillSpec.optional(),
    policy: policy.optional(),
  })
  .meta({ title: 'failover runbook', description: 'A failover runbook, version 1' });

export type Runbook = z.output<typeof runbookSchema>;
/** A runbook as written (durations as strings, defaults not yet filled). */
export type RunbookInput = z.input<typeof runbookSchema>;
export type RolesSpec = Runbook['roles'];
export type WorkloadSpec = Runbook['workload'];
export type RoutingSpec = NonNullable<Runbook['routing']>;
export type RouteSwitch = RoutingSpec['switch'];
export type PolicySpec = NonNullable<Runbook['policy']>;

export type { ClusterSpec, ClusterAuth, SaslMechanism } from './clusters.js';
export type { LinkSpec, MirrorMaker2Link, OffsetPreservingLink } from './link.js';
export type { GatesSpec, GateName, BlockingGateName, OffsetsThresholds } from './gates.js';
export type { ActionSpec, ActionsSpec, ActionName, StopWhen } from './actions.js';
export type { StepSpec, StepType, StepParams, StepParamsInput } from './steps.js';
export type { DrillSpec, DrillExpect, ProbeSpec, ScenarioSpec, ScenarioKind } from './drill.js';
export type { Direction, RoleName } from './fields.js';
