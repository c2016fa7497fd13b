import { describe, expect, it } from 'vitest';
import { checkpointsTopic, looksLikeHeartbeat, offsetSyncsTopic, replicatedHeartbeatsTopic, sourceTopicName, targetTopicName } from '../../../src/kafka/naming.js';

const eastToWest = { kind: 'mirrormaker2' as const, sourceAlias: 'east', targetAlias: 'west', separator: '.' };

describe('topic naming across a flow', () => {
  it('MM2 prefixes the source alias, and maps a topic that came from the target back to its original name', () => {
    expect(targetTopicName(eastToWest, 'orders')).toBe('east.orders');
    expect(targetTopicName(eastToWest, 'west.orders')).toBe('orders');
    expect(sourceTopicName(eastToWest, 'east.orders')).toBe('orders');
    expect(sourceTopicName(eastToWest, 'orders')).toBeUndefined();
  });

  it('a bare alias prefix is a topic name of its own, not a remote topic with an empty name', () => {
    expect(targetTopicName(eastToWest, 'west.')).toBe('east.west.');
    expect(sourceTopicName(eastToWest, 'east.')).toBeUndefined();
  });

  // Checked on a lab (lab up --replication-policy identity): it-verify on east is it-verify on west,
  // it-verify-heartbeats is east.it-verify-heartbeats, and checkpoints name the group's topic it-verify.
  it('MM2 identity naming keeps the name, except for heartbeat-like topics, which get the default prefix and are never renamed back', () => {
    const identity = { ...eastToWest, identity: true };
    expect(targetTopicName(identity, 'orders')).toBe('orders');
    expect(targetTopicName(identity, 'west.orders')).toBe('west.orders');
    expect(sourceTopicName(identity, 'orders')).toBe('orders');
    expect(sourceTopicName(identity, 'east.orders')).toBe('east.orders');
    expect(targetTopicName(identity, 'heartbeats')).toBe('east.heartbeats');
    expect(targetTopicName(identity, 'it-verify-heartbeats')).toBe('east.it-verify-heartbeats');
    expect(targetTopicName(identity, 'west.heartbeats')).toBe('east.west.heartbeats');
    expect(sourceTopicName(identity, 'east.it-verify-heartbeats')).toBe('it-verify-heartbeats');
    expect(sourceTopicName(identity, 'heartbeats')).toBeUndefined();
    expect(targetTopicName({ ...eastToWest, identity: false }, 'orders')).toBe('east.orders');
    expect(looksLikeHeartbeat('heartbeats')).toBe(true);
    expect(looksLikeHeartbeat('x-heartbeats')).toBe(true);
    expect(looksLikeHeartbeat('heartbeats-x')).toBe(false);
  });

  it('offset-preserving links keep the name or add a prefix', () => {
    expect(targetTopicName({ kind: 'offset-preserving' }, 'orders')).toBe('orders');
    expect(targetTopicName({ kind: 'offset-preserving', prefix: 'dr-' }, 'orders')).toBe('dr-orders');
    expect(sourceTopicName({ kind: 'offset-preserving', prefix: 'dr-' }, 'dr-orders')).toBe('orders');
    expect(sourceTopicName({ kind: 'offset-preserving', prefix: 'dr-' }, 'orders')).toBeUndefined();
    expect(sourceTopicName({ kind: 'offset-preserving' }, 'orders')).toBe('orders');
  });

  it('names MM2 internal topics with the separator, as DefaultReplicationPolicy does', () => {
    expect(checkpointsTopic('east')).toBe('east.checkpoints.internal');
    expect(checkpointsTopic('east', '_')).toBe('east_checkpoints_internal');
    expect(offsetSyncsTopic({ sourceAlias: 'east', targetAlias: 'west' }, 'source')).toBe('mm2-offset-syncs.west.internal');
    expect(offsetSyncsTopic({ sourceAlias: 'east', targetAlias: 'west' }, 'target')).toBe('mm2-offset-syncs.east.internal');
    expect(replicatedHeartbeatsTopic('east', '.')).toBe('east.heartbeats');
  });
});
