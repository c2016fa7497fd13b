import { describe, expect, it } from 'vitest';
import { flowNaming, isWorkloadCommit, producedTopics, targetTopicName } from '../../../src/steps/workload.js';
import { movedGroups } from '../../../src/steps/translateOffsets.js';

const rb = {
  workload: { topics: ['orders', '/pay-.*/'], groups: [], producers: [] },
  link: { kind: 'mirrormaker2' as const, aliases: { east: 'e', west: 'w' }, separator: '.', reverse: true, offsetSyncsLocation: 'source' as const },
};

describe('the workload as steps see it', () => {
  it('fences every literal topic (even a missing one) and the existing topics a regex selects, never internal ones', () => {
    expect(producedTopics(rb, ['pay-eu', 'pay-us', 'other', '__pay-x', 'e.orders'])).toEqual(['orders', 'pay-eu', 'pay-us']);
  });

  it('names copies by the MM2 aliases, and sends a copy home under its original name', () => {
    const fwd = flowNaming(rb as never, 'east', 'west');
    expect(targetTopicName(fwd, 'orders')).toBe('e.orders');
    const back = flowNaming(rb as never, 'west', 'east');
    expect(targetTopicName(back, 'e.orders')).toBe('orders');
    expect(targetTopicName(back, 'orders')).toBe('w.orders');
  });

  it("counts a group's commit on a copy coming home as workload, and other topics as not", () => {
    const back = flowNaming(rb as never, 'west', 'east');
    expect(isWorkloadCommit(rb, back, 'e.orders')).toBe(true);
    expect(isWorkloadCommit(rb, back, 'orders')).toBe(true);
    expect(isWorkloadCommit(rb, back, 'e.pay-eu')).toBe(true);
    expect(isWorkloadCommit(rb, back, 'e.audit')).toBe(false);
    expect(isWorkloadCommit(rb, back, 'x.orders')).toBe(false);
  });
});

describe("a drill's probe group in translate-offsets", () => {
  const runbook = { ...rb, workload: { ...rb.workload, groups: ['billing', 'shipping'] } } as never;
  const probe = { topic: 'failover.probe', group: 'failover-probe' };

  it('moves the workload groups alone outside a drill, with the workload as the runbook has it', () => {
    const m = movedGroups({ runbook }, undefined);
    expect(m.groups).toEqual(['billing', 'shipping']);
    expect(m.workload.topics).toEqual(['orders', '/pay-.*/']);
  });

  it("adds the probe group after the step's groups, and its topic (and that topic's copies) to the commits that move", () => {
    const m = movedGroups({ runbook, probe }, ['billing']);
    expect(m.groups).toEqual(['billing', 'failover-probe']);
    const back = flowNaming(rb as never, 'west', 'east');
    expect(isWorkloadCommit(m, back, 'e.failover.probe')).toBe(true);
    expect(isWorkloadCommit(m, back, 'failover.probe')).toBe(true);
    expect(isWorkloadCommit({ workload: (runbook as { workload: never }).workload }, back, 'e.failover.probe')).toBe(false);
    expect(m.workload.groups).toEqual(['billing', 'shipping']);
    expect(m.probeGroup).toBe('failover-probe');
  });

  it('names a probe group that is also listed once', () => {
    const listed = movedGroups({ runbook, probe: { ...probe, group: 'billing' } }, undefined);
    expect(listed.groups).toEqual(['billing', 'shipping']);
    // The runbook's own group: not the drill's to leave behind.
    expect(listed.probeGroup).toBeUndefined();
  });
});
