import { describe, expect, it } from 'vitest';
import { toPlan } from '../../../src/steps/commitPlan.js';
import type { GroupTranslation } from '../../../src/steps/offsetTranslation.js';

/** One group, one partition of `east.orders` on west translated back to `orders` on east (a revert). */
function group(p: { committed?: number; translated?: number; current?: number; replay?: number; status?: 'translated' | 'none' }): GroupTranslation {
  return {
    group: 'billing',
    targetState: 'Empty',
    targetMembers: 0,
    partitions: [
      {
        group: 'billing',
        sourceTopic: 'east.orders',
        targetTopic: 'orders',
        partition: 0,
        method: 'checkpoint',
        status: p.status ?? 'translated',
        ...(p.committed === undefined ? {} : { committed: p.committed }),
        ...(p.translated === undefined ? {} : { targetOffset: p.translated }),
        ...(p.current === undefined ? {} : { current: p.current }),
        ...(p.replay === undefined ? {} : { replay: p.replay }),
      },
    ],
  };
}
const sent = (offset: number) => new Map([['east.orders\u00000', offset]]);

describe('translate-offsets never moves a commit back silently', () => {
  it('behind the home commit, and the group did not move past what was sent: the home commit stays, replay 0', () => {
    // The revert's translation of west's 140 lands at 145 on east, where billing is at 350; the promote sent it 140.
    const p = toPlan(group({ committed: 140, translated: 145, current: 350, replay: 0 }), new Map([['east.orders\u00000', 140]]));
    expect(p.commits).toEqual([]);
    expect(p.partitions[0]).toMatchObject({ kept: true, replay: 0, translated: 145, current: 350 });
    expect(p.partitions[0]!.note).toBe('keeps the commit 350: the translation (145) is behind it, and the group did not move past 140 on the source');
    expect(p.replay).toBe(0);
  });

  it('behind the home commit, and the group moved past what was sent (or nothing was sent): the backward move is replay, and it is made', () => {
    for (const lastSent of [sent(100), undefined]) {
      const p = toPlan(group({ committed: 140, translated: 145, current: 350, replay: 3 }), lastSent);
      expect(p.commits).toEqual([{ topic: 'orders', partition: 0, offset: 145 }]);
      expect(p.partitions[0]).toMatchObject({ rewind: 205, replay: 205 });
      expect(p.partitions[0]!.kept).toBeUndefined();
      expect(p.partitions[0]!.note).toMatch(/^moves the commit back from 350 to 145: 205 record\(s\) read again/);
      expect(p.replay).toBe(205);
    }
    // A replay estimate larger than the rewind is kept.
    expect(toPlan(group({ committed: 140, translated: 345, current: 350, replay: 9 }), undefined).partitions[0]).toMatchObject({ rewind: 5, replay: 9 });
  });

  it('at or ahead of the commit, or no commit there: committed as translated, with the estimated replay', () => {
    expect(toPlan(group({ committed: 10, translated: 350, current: 350, replay: 0 }), sent(0))).toMatchObject({ commits: [{ offset: 350 }], replay: 0 });
    const ahead = toPlan(group({ committed: 10, translated: 400, current: 350, replay: 2 }), sent(0));
    expect(ahead.commits).toEqual([{ topic: 'orders', partition: 0, offset: 400 }]);
    expect(ahead.partitions[0]).toMatchObject({ replay: 2 });
    expect(ahead.partitions[0]!.rewind).toBeUndefined();
    expect(toPlan(group({ committed: 10, translated: 5 }), sent(0)).commits).toEqual([{ topic: 'orders', partition: 0, offset: 5 }]);
  });

  it('no translation: nothing committed, the reason kept, and the group replay unknown', () => {
    const g = group({ committed: 10, current: 350, status: 'none' });
    g.partitions[0]!.reason = 'no-checkpoint';
    const p = toPlan(g, sent(0));
    expect(p.commits).toEqual([]);
    expect(p.partitions[0]).toMatchObject({ note: 'no-checkpoint' });
    expect(p.partitions[0]!.translated).toBeUndefined();
    expect(p.replay).toBeUndefined();
  });

  it('a partition is planned exactly: its fields, its note, and nothing more', () => {
    const g = group({ committed: 140, translated: 145, current: 350, replay: 7 });
    expect(toPlan(g, sent(140)).partitions[0]).toEqual({
      sourceTopic: 'east.orders',
      targetTopic: 'orders',
      partition: 0,
      method: 'checkpoint',
      committed: 140,
      translated: 145,
      current: 350,
      replay: 0,
      kept: true,
      note: 'keeps the commit 350: the translation (145) is behind it, and the group did not move past 140 on the source',
    });
    g.partitions[0]!.note = 'by timestamp';
    expect(toPlan(g, undefined).partitions[0]).toEqual({
      sourceTopic: 'east.orders',
      targetTopic: 'orders',
      partition: 0,
      method: 'checkpoint',
      committed: 140,
      translated: 145,
      current: 350,
      replay: 205,
      rewind: 205,
      note: 'moves the commit back from 350 to 145: 205 record(s) read again; by timestamp',
    });
    const bare = group({ translated: 5 });
    expect(toPlan(bare, undefined).partitions[0]).toEqual({ sourceTopic: 'east.orders', targetTopic: 'orders', partition: 0, method: 'checkpoint', translated: 5 });
  });

  it('an offset that is not a translation (beyond the replicated data) is never committed, nor taken as behind', () => {
    const g = group({ committed: 10, translated: 999, current: 350, status: 'none' });
    g.partitions[0]!.reason = 'beyond-replicated-data';
    const p = toPlan(g, sent(0));
    expect(p.commits).toEqual([]);
    expect(p.partitions[0]).toEqual({ sourceTopic: 'east.orders', targetTopic: 'orders', partition: 0, method: 'checkpoint', committed: 10, current: 350, note: 'beyond-replicated-data' });
  });

  it('the group replay adds the partitions up, and is unknown when one partition\'s is', () => {
    const g = group({ committed: 10, translated: 20, current: 10, replay: 3 });
    g.partitions.push({ ...g.partitions[0]!, partition: 1, targetOffset: 30, replay: 4 });
    expect(toPlan(g, undefined).replay).toBe(7);
    g.partitions.push({ ...g.partitions[0]!, partition: 2, targetOffset: 30 });
    delete g.partitions[2]!.replay;
    expect(toPlan(g, undefined).replay).toBeUndefined();
    expect(toPlan(g, undefined).commits.map((c) => c.partition)).toEqual([0, 1, 2]);
  });

  it('the keep rule needs the source commit: unknown (the source is down), the backward move is counted', () => {
    const p = toPlan(group({ translated: 145, current: 350 }), sent(140));
    expect(p.partitions[0]).toMatchObject({ rewind: 205 });
  });
});
