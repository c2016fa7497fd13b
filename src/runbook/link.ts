import * as z from 'zod';
import { expecting } from './expecting.js';
import { argv, clusterName, httpUrl, text } from './fields.js';

/**
 * How data moves between the clusters. Only two shapes matter to failover:
 * MirrorMaker 2 renames topics and translates offsets through checkpoints;
 * an offset-preserving link (Cluster Linking, MSK Replicator with identical
 * names, Redpanda shadowing, AutoMQ Kafka Linking) keeps names and offsets.
 * MirrorMaker 2 with IdentityReplicationPolicy keeps names but not offsets:
 * it is a mirrormaker2 link with `replicationPolicy: identity`, translated
 * through its checkpoints and offset syncs like any MM2 link.
 */

const controlCommands = z
  .strictObject({
    pause: argv('pauses the flow from {{source.*}} to {{target.*}}').optional(),
    resume: argv('resumes the flow from {{source.*}} to {{target.*}}').optional(),
  })
  .meta({ description: 'commands that pause and resume one direction of the link' });

const connectControl = z
  .strictObject({
    urls: z.array(httpUrl()).min(1, { error: expecting('no Connect REST URL', 'at least one URL') }),
    connectors: z
      .strictObject({
        forward: z.array(text()).default(() => []).meta({ description: 'connectors of the primary-to-secondary flow' }),
        reverse: z.array(text()).default(() => []).meta({ description: 'connectors of the secondary-to-primary flow' }),
      })
      .prefault({})
      .meta({ description: 'connector names per direction (default: all MirrorMaker connectors found)' }),
  })
  .meta({ description: 'the Kafka Connect REST API that runs the MirrorMaker 2 connectors, for pause-link/resume-link' });

/** MirrorMaker 2's naming: DefaultReplicationPolicy or IdentityReplicationPolicy. */
export const REPLICATION_POLICIES = ['default', 'identity'] as const;

const mirrormaker2 = z
  .strictObject({
    kind: z.literal('mirrormaker2'),
    aliases: z
      .record(clusterName(), z.string().regex(/^[A-Za-z0-9._-]+$/, { error: expecting('not a usable alias', 'letters, digits, ".", "_" or "-"') }))
      .meta({ description: 'cluster name -> the MirrorMaker 2 alias of that cluster (remote topics are named <alias><separator><topic>)' }),
    replicationPolicy: z
      .enum(REPLICATION_POLICIES, { error: expecting('not a MirrorMaker 2 replication policy', REPLICATION_POLICIES.join(' or ')) })
      .default('default')
      .meta({
        description:
          "MirrorMaker 2's replication.policy.class: default (DefaultReplicationPolicy, remote topics named <alias><separator><topic>) or identity (IdentityReplicationPolicy, remote topics keep their names; one direction runs at a time)",
      }),
    separator: z
      .string()
      .min(1)
      .default('.')
      .meta({ description: 'replication.policy.separator (default ".")' }),
    reverse: z
      .boolean()
      .default(false)
      .meta({ description: 'a secondary-to-primary flow also runs (needed to fail back); with replicationPolicy identity, one is set up and started once the forward flow stops' }),
    // Checkpoints always live on the target cluster (<source-alias>.checkpoints.internal);
    // only the offset-syncs topic moves, with MM2's offset-syncs.topic.location.
    offsetSyncsLocation: z
      .enum(['source', 'target'], { error: expecting('not an offset-syncs location', 'source or target') })
      .default('source')
      .meta({ description: 'where mm2-offset-syncs.<alias>.internal lives: MirrorMaker 2 offset-syncs.topic.location (default source)' }),
    connect: connectControl.optional(),
    commands: controlCommands.optional(),
  })
  .meta({ description: 'MirrorMaker 2: remote topics are renamed, offsets translated through checkpoints' });

const naming = z
  .union([z.literal('identical'), z.strictObject({ prefix: text('prefix added to topic names on the destination') })], {
    error: expecting('not a naming rule', 'identical, or { prefix: "..." }'),
  })
  .meta({ description: 'how destination topic names derive from source names' });

const offsetPreserving = z
  .strictObject({
    kind: z.literal('offset-preserving'),
    product: z
      .enum(['cluster-linking', 'msk-replicator', 'redpanda-shadowing', 'automq-linking', 'other'])
      .default('other')
      .meta({ description: 'what runs the link; informational, shown in plans and reports' }),
    naming: naming.default('identical'),
    reverse: z.boolean().default(false).meta({ description: 'a secondary-to-primary link also exists (needed to fail back)' }),
    commands: controlCommands.optional(),
  })
  .meta({ description: 'a link that keeps topic names (or adds a prefix) and offsets' });

export const LINK_KINDS = ['mirrormaker2', 'offset-preserving'] as const;

export const linkSpec = z
  .discriminatedUnion('kind', [mirrormaker2, offsetPreserving], {
    error: (iss) => {
      const input = (iss as { input?: unknown }).input;
      const absent = input !== null && typeof input === 'object' && !Object.hasOwn(input, 'kind');
      return expecting(absent ? 'required key is missing' : 'not a known link kind', LINK_KINDS.join(' or '))(iss);
    },
  })
  .meta({ description: 'the replication link between the clusters' });

export type LinkSpec = z.output<typeof linkSpec>;
export type MirrorMaker2Link = Extract<LinkSpec, { kind: 'mirrormaker2' }>;
export type OffsetPreservingLink = Extract<LinkSpec, { kind: 'offset-preserving' }>;
