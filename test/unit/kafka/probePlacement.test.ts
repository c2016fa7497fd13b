import { describe, expect, it } from 'vitest';
import { javaPartition } from '../../../src/kafka/probeClients.js';

/*
 * Kafka's own murmur2 test vectors (clients' UtilsTest): the probe must put
 * each key where Java's default partitioner puts it, toPositive(murmur2) % n.
 */
const JAVA_MURMUR2: Record<string, number> = {
  '21': -973932308,
  foobar: -790332482,
  'a-little-bit-long-string': -985981536,
  'a-little-bit-longer-string': -1486304829,
  lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8: -58897971,
  abc: 479470107,
};

describe('javaPartition', () => {
  it.each(Object.entries(JAVA_MURMUR2))('places %s as Java does', (key, hash) => {
    for (const n of [1, 3, 4, 7, 12]) expect(javaPartition(Buffer.from(key), n)).toBe((hash & 0x7fffffff) % n);
  });

  it('differs from unsigned murmur2 (the client default) for a key whose hash is negative', () => {
    // murmur2('21') = -973932308: Java's toPositive gives partition 0 of 3, the unsigned hash partition 2.
    expect(javaPartition(Buffer.from('21'), 3)).toBe(0);
    expect((-973932308 >>> 0) % 3).toBe(2);
  });
});
