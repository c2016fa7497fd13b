import { describe, expect, it } from 'vitest';
import { newClusterId } from '../../../src/lab/lab.js';

describe('newClusterId', () => {
  it('gives 22-character URL-safe ids that never start with "-" (kafka-storage would read one as an option)', () => {
    // One in 64 random ids starts with '-': 5,000 draws find one unless it is excluded.
    const ids = Array.from({ length: 5000 }, () => newClusterId());
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
