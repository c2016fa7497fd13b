import { describe, expect, it } from 'vitest';
import { reasonText, translateByTimestamp, translateCheckpointed, translateIdentical } from '../../../src/kafka/translateOffsets.js';
import type { CheckpointRecord } from '../../../src/kafka/mm2Translation.js';

const where = { group: 'billing', sourceTopic: 'orders', targetTopic: 'orders', partition: 0 };

describe('translateIdentical (offset-preserving links)', () => {
  const target = { partition: 0, earliest: 10, latest: 50 };

  it('keeps the offset inside the target log', () => {
    expect(translateIdentical({ ...where, committed: 40 }, target)).toStrictEqual({
      ...where,
      committed: 40,
      method: 'identical',
      status: 'translated',
      targetOffset: 40,
      replay: 0,
    });
  });

  it('keeps a commit at either edge of the target log as it is, with nothing to explain', () => {
    expect(translateIdentical({ ...where, committed: 50 }, target)).toStrictEqual({ ...where, committed: 50, method: 'identical', status: 'translated', targetOffset: 50, replay: 0 });
    expect(translateIdentical({ ...where, committed: 10 }, target)).toStrictEqual({ ...where, committed: 10, method: 'identical', status: 'translated', targetOffset: 10, replay: 0 });
  });

  it('never resumes past the target end: the missing records arrive at those offsets and are read again', () => {
    expect(translateIdentical({ ...where, committed: 60 }, target)).toStrictEqual({
      ...where,
      committed: 60,
      method: 'identical',
      status: 'translated',
      targetOffset: 50,
      replay: 10,
      note: "the commit (60) is beyond the target's end (50); resuming at the end re-reads the 10 records still to arrive",
    });
  });

  it('resumes at the start of what the target retains when the commit is older, and says how much is gone', () => {
    expect(translateIdentical({ ...where, committed: 4 }, target)).toStrictEqual({
      ...where,
      committed: 4,
      method: 'identical',
      status: 'translated',
      targetOffset: 10,
      replay: 0,
      note: "the commit (4) is before the target's retained data (10); 6 records are gone there",
    });
  });

  it('has nothing to say for a partition the target lacks', () => {
    expect(translateIdentical({ ...where, committed: 60 }, undefined)).toStrictEqual({
      ...where,
      committed: 60,
      method: 'identical',
      status: 'none',
      reason: 'no-target-partition',
      note: 'the partition does not exist on the target',
    });
  });
});

describe('translateByTimestamp', () => {
  const target = { partition: 0, earliest: 0, latest: 500 };
  const sourceRecord = { offset: 120, timestamp: Date.UTC(2026, 10, 24, 12, 0, 0) };

  it("resumes at the earliest target offset with the next record's timestamp", () => {
    const t = translateByTimestamp({ ...where, committed: 120 }, { target, sourceRecord, lookup: { offset: 118 }, exactTarget: 120 });
    expect(t).toStrictEqual({
      ...where,
      committed: 120,
      method: 'timestamp',
      status: 'translated',
      targetOffset: 118,
      replay: 2,
      note: 'by timestamp 2026-11-24T12:00:00.000Z of source offset 120',
    });
  });

  it('says nothing about replay when the exact position is unknown, and never counts a negative replay', () => {
    expect(translateByTimestamp({ ...where, committed: 120 }, { target, sourceRecord, lookup: { offset: 118 } })).not.toHaveProperty('replay');
    expect(translateByTimestamp({ ...where, committed: 120 }, { target, sourceRecord, lookup: { offset: 118 }, exactTarget: 110 }).replay).toBe(0);
  });

  it('at the end of the source partition, dates the translation by the last record before the commit', () => {
    const t = translateByTimestamp({ ...where, committed: 121 }, { target, previousRecord: { offset: 120, timestamp: 0 }, lookup: { offset: 117 } });
    expect(t).toMatchObject({ status: 'translated', targetOffset: 117, note: 'by timestamp 1970-01-01T00:00:00.000Z of source offset 120' });
  });

  it('prefers the record at the commit to the one before it', () => {
    const t = translateByTimestamp({ ...where, committed: 120 }, { target, sourceRecord, previousRecord: { offset: 119, timestamp: 0 }, lookup: { offset: 118 } });
    expect(t.note).toBe('by timestamp 2026-11-24T12:00:00.000Z of source offset 120');
  });

  it('resumes at the end when the target has nothing that new yet, and never past the end', () => {
    expect(translateByTimestamp({ ...where, committed: 120 }, { target, sourceRecord, lookup: { offset: -1 } }).targetOffset).toBe(500);
    expect(translateByTimestamp({ ...where, committed: 120 }, { target, sourceRecord, lookup: { offset: 700 } }).targetOffset).toBe(500);
  });

  it('resumes at offset 0 when that is where the timestamp lands', () => {
    expect(translateByTimestamp({ ...where, committed: 0 }, { target, sourceRecord: { offset: 0, timestamp: 0 }, lookup: { offset: 0 } }).targetOffset).toBe(0);
  });

  it('says why it cannot translate: no partition on the target, no record to date, no answer from the target', () => {
    const none = (reason: string, note: string) => ({ ...where, committed: 120, method: 'timestamp', status: 'none', reason, note });
    expect(translateByTimestamp({ ...where, committed: 120 }, { sourceRecord, lookup: { offset: 1 } })).toStrictEqual(
      none('no-target-partition', 'the partition does not exist on the target'),
    );
    expect(translateByTimestamp({ ...where, committed: 120 }, { target, lookup: { offset: 1 } })).toStrictEqual(
      none('source-record-gone', 'the record at the committed offset is no longer on the source (retention), so its timestamp is unknown'),
    );
    expect(translateByTimestamp({ ...where, committed: 120 }, { target, sourceRecord })).toStrictEqual(
      none('target-lookup-failed', 'the target could not look up an offset for the timestamp'),
    );
  });
});

describe('translateCheckpointed', () => {
  const remote = { ...where, targetTopic: 'east.orders' };
  const checkpoint: CheckpointRecord = { group: 'billing', topic: 'east.orders', partition: 0, upstreamOffset: 105, downstreamOffset: 41, metadata: '', writtenAt: 1 };
  const summary = { upstreamOffset: 105, downstreamOffset: 41, writtenAt: 1 };
  const target = { partition: 0, earliest: 0, latest: 60 };

  it('estimates replay from the offset syncs', () => {
    const t = translateCheckpointed({ ...remote, committed: 105 }, { checkpoint, syncs: [{ upstreamOffset: 100, downstreamOffset: 40 }], target });
    // Exact position 45 (5 records after the sync), MM2 resumes at 41: 4 records replayed.
    expect(t).toStrictEqual({ ...remote, committed: 105, method: 'checkpoint', status: 'translated', targetOffset: 41, replay: 4, checkpoint: summary });
  });

  it('says nothing about replay without offset syncs', () => {
    expect(translateCheckpointed({ ...remote, committed: 105 }, { checkpoint, target })).toStrictEqual({
      ...remote,
      committed: 105,
      method: 'checkpoint',
      status: 'translated',
      targetOffset: 41,
      checkpoint: summary,
    });
    expect(translateCheckpointed({ ...remote, committed: 105 }, { checkpoint, syncs: null, target })).not.toHaveProperty('replay');
  });

  it('takes the newest checkpoint as it is when the source could not be read, and says so', () => {
    expect(translateCheckpointed(remote, { checkpoint, syncs: [{ upstreamOffset: 100, downstreamOffset: 40 }], target })).toStrictEqual({
      ...remote,
      method: 'checkpoint',
      status: 'translated',
      targetOffset: 41,
      note: 'the commit on the source could not be read; the newest checkpoint is taken as it is',
      checkpoint: summary,
    });
  });

  it('reports MM2 declining, with the checkpoint it found and, beyond the replicated data, the offending offset', () => {
    expect(translateCheckpointed({ ...remote, committed: 110 }, { checkpoint, target })).toStrictEqual({
      ...remote,
      committed: 110,
      method: 'checkpoint',
      status: 'none',
      reason: 'checkpoint-behind-commit',
      note: 'the newest checkpoint translates an earlier commit',
      checkpoint: summary,
    });
    expect(translateCheckpointed({ ...remote, committed: 105 }, { checkpoint, target: { partition: 0, earliest: 0, latest: 30 } })).toStrictEqual({
      ...remote,
      committed: 105,
      method: 'checkpoint',
      status: 'none',
      reason: 'beyond-replicated-data',
      note: 'the translated offset lies beyond the replicated data; committing it would skip records',
      targetOffset: 41,
      checkpoint: summary,
    });
  });

  it('without a checkpoint, the offset syncs tell why MM2 has none', () => {
    expect(translateCheckpointed({ ...remote, committed: 5 }, { syncs: [{ upstreamOffset: 10, downstreamOffset: 0 }], target })).toStrictEqual({
      ...remote,
      committed: 5,
      method: 'checkpoint',
      status: 'none',
      reason: 'committed-before-first-sync',
      note: 'the group committed before the first offset sync MirrorMaker 2 holds, so it declines to translate',
    });
    expect(translateCheckpointed({ ...remote, committed: 5 }, { syncs: [], target })).toMatchObject({ reason: 'no-offset-sync' });
    expect(translateCheckpointed({ ...remote, committed: 5 }, { target })).toMatchObject({ reason: 'no-checkpoint', note: 'no MirrorMaker 2 checkpoint yet' });
  });

  it('has nothing to say for a partition the target lacks', () => {
    expect(translateCheckpointed({ ...remote, committed: 105 }, { checkpoint })).toStrictEqual({
      ...remote,
      committed: 105,
      method: 'checkpoint',
      status: 'none',
      reason: 'no-target-partition',
      note: 'the partition does not exist on the target',
    });
  });
});

describe('reasonText', () => {
  it('explains every reason in words, the MM2 ones included', () => {
    expect(reasonText('source-unreachable')).toBe('the source cluster could not be read');
    expect(reasonText('checkpoint-ahead-of-commit')).toBe(
      'the newest checkpoint translates a later position than the commit (the group rewound); using it would skip records',
    );
  });
});
