import { describe, expect, it } from 'vitest';
import { translateByTimestamp, translateCheckpointed, translateIdentical } from '../../../src/kafka/translateOffsets.js';

const where = { group: 'billing', sourceTopic: 'orders', targetTopic: 'orders', partition: 0 };

describe('translateIdentical (offset-preserving links)', () => {
  it('keeps the offset inside the target log', () => {
    expect(translateIdentical({ ...where, committed: 40 }, { partition: 0, earliest: 0, latest: 50 })).toMatchObject({ status: 'translated', targetOffset: 40, replay: 0 });
  });

  it('never resumes past the target end: the missing records arrive at those offsets and are read again', () => {
    expect(translateIdentical({ ...where, committed: 60 }, { partition: 0, earliest: 0, latest: 50 })).toMatchObject({ status: 'translated', targetOffset: 50, replay: 10 });
  });

  it('has nothing to say for a partition the target lacks', () => {
    expect(translateIdentical({ ...where, committed: 60 }, undefined)).toMatchObject({ status: 'none', reason: 'no-target-partition' });
  });
});

describe('translateByTimestamp', () => {
  const target = { partition: 0, earliest: 0, latest: 500 };

  it('resumes at the earliest target offset with the next record\'s timestamp', () => {
    const t = translateByTimestamp({ ...where, committed: 120 }, { target, sourceRecord: { offset: 120, timestamp: 5000 }, lookup: { offset: 118 }, exactTarget: 120 });
    expect(t).toMatchObject({ status: 'translated', method: 'timestamp', targetOffset: 118, replay: 2 });
  });

  it('resumes at the end when the target has nothing that new yet', () => {
    expect(translateByTimestamp({ ...where, committed: 120 }, { target, sourceRecord: { offset: 120, timestamp: 5000 }, lookup: { offset: -1 } })).toMatchObject({ targetOffset: 500 });
  });

  it('without a record to date, says so', () => {
    expect(translateByTimestamp({ ...where, committed: 120 }, { target })).toMatchObject({ status: 'none', reason: 'source-record-gone' });
  });
});

describe('translateCheckpointed', () => {
  it('estimates replay from the offset syncs', () => {
    const t = translateCheckpointed(
      { ...where, targetTopic: 'east.orders', committed: 105 },
      {
        checkpoint: { group: 'billing', topic: 'east.orders', partition: 0, upstreamOffset: 105, downstreamOffset: 41, metadata: '', writtenAt: 1 },
        syncs: [{ upstreamOffset: 100, downstreamOffset: 40 }],
        target: { partition: 0, earliest: 0, latest: 60 },
      },
    );
    // Exact position 45 (5 records after the sync), MM2 resumes at 41: 4 records replayed.
    expect(t).toMatchObject({ status: 'translated', targetOffset: 41, replay: 4 });
  });
});
