/**
 * How a topic is named on the other side of a replication flow.
 *
 * MirrorMaker 2's DefaultReplicationPolicy names a remote topic
 * `<source alias><separator><topic>`. A topic that came from the target in
 * the first place (`west.orders` on east, flowing to west) maps back to its
 * original name, as MM2's checkpoint task renames it; that is what makes
 * a failback land on the original topic.
 *
 * MirrorMaker 2's IdentityReplicationPolicy (`identity: true`) keeps the
 * name, except for a topic whose name ends in `heartbeats`: the policy hands
 * those to the default rule, so that heartbeats stay traceable
 * (`heartbeats` on east is `east.heartbeats` on west, and so is
 * `x-heartbeats`: `east.x-heartbeats`). Checkpoints, offset syncs and the
 * replicated heartbeats keep their alias-based names under both policies.
 *
 * An offset-preserving link keeps the name, or adds a fixed prefix.
 */
export type FlowNaming =
  | { kind: 'mirrormaker2'; sourceAlias: string; targetAlias: string; separator: string; identity?: boolean }
  | { kind: 'offset-preserving'; prefix?: string };

/** MirrorMaker 2's ReplicationPolicy.looksLikeHeartbeat: IdentityReplicationPolicy renames these as the default policy does. */
export function looksLikeHeartbeat(topic: string): boolean {
  return topic.endsWith('heartbeats');
}

/** Does this flow keep the topic's name (an identity MirrorMaker 2 flow, for a topic that is not heartbeat-like)? */
function keepsName(naming: FlowNaming & { kind: 'mirrormaker2' }, topic: string): boolean {
  return naming.identity === true && !looksLikeHeartbeat(topic);
}

export function targetTopicName(naming: FlowNaming, sourceTopic: string): string {
  if (naming.kind === 'offset-preserving') return `${naming.prefix ?? ''}${sourceTopic}`;
  if (keepsName(naming, sourceTopic)) return sourceTopic;
  // Under identity naming a heartbeat-like topic gets the default policy's prefix, and is never renamed back.
  if (naming.identity === true) return `${naming.sourceAlias}${naming.separator}${sourceTopic}`;
  const back = `${naming.targetAlias}${naming.separator}`;
  if (sourceTopic.startsWith(back) && sourceTopic.length > back.length) return sourceTopic.slice(back.length);
  return `${naming.sourceAlias}${naming.separator}${sourceTopic}`;
}

/** The source topic a target topic replicates, or undefined when the name does not come from this flow. */
export function sourceTopicName(naming: FlowNaming, targetTopic: string): string | undefined {
  if (naming.kind === 'offset-preserving') {
    const prefix = naming.prefix ?? '';
    return targetTopic.startsWith(prefix) ? targetTopic.slice(prefix.length) : undefined;
  }
  if (keepsName(naming, targetTopic)) return targetTopic;
  const remote = `${naming.sourceAlias}${naming.separator}`;
  if (targetTopic.startsWith(remote) && targetTopic.length > remote.length) return targetTopic.slice(remote.length);
  return undefined;
}

/**
 * MM2's checkpoints topic on the target of a flow: `<source alias>.checkpoints.internal`.
 * MM2 writes its internal topic names with the custom separator too
 * (replication.policy.internal.topic.separator.enabled, default true).
 */
export function checkpointsTopic(sourceAlias: string, separator = '.'): string {
  return `${sourceAlias}${separator}checkpoints${separator}internal`;
}

/**
 * MM2's offset-syncs topic of a flow and the side it lives on
 * (`offset-syncs.topic.location`): on the source it is named after the
 * target alias, on the target after the source alias.
 */
export function offsetSyncsTopic(flow: { sourceAlias: string; targetAlias: string }, location: 'source' | 'target', separator = '.'): string {
  return `mm2-offset-syncs${separator}${location === 'source' ? flow.targetAlias : flow.sourceAlias}${separator}internal`;
}

/** Where a flow's source heartbeats arrive on the target: `<source alias><separator>heartbeats`. */
export function replicatedHeartbeatsTopic(sourceAlias: string, separator: string): string {
  return `${sourceAlias}${separator}heartbeats`;
}
