import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigResourceTypes, IncrementalAlterConfigOperationTypes } from '@platformatic/kafka';
import { TEST_LAB, cli, eventually, testLabConnections, unique } from '../labHarness.js';
import { FAULT_TIMEOUT_MS, evidence, gate, labUp, runCheck, scorecard, seedTopics, tempDir, writeRunbook } from './checkHarness.js';

/**
 * Faults on the secondary that the compatibility gate must catch. MM2
 * repairs two of them within seconds while it runs (it recreates a missing
 * remote topic, and resets a topic config it syncs), so MM2 is stopped for
 * this file, as it would have to be down for such a drift to last; lab up
 * restarts it at the end.
 */
describe('compatibility gate against real faults on west', () => {
  const deleted = unique('deleted');
  const parts = unique('parts');
  const cleanup = unique('cleanup');
  const conns = testLabConnections(10_000);

  beforeAll(async () => {
    await seedTopics(conns, [deleted, parts, cleanup], { partitions: 3, records: 30, rounds: 1 });
    const kill = await cli(['lab', 'kill', 'mm2', '--dir', TEST_LAB.dir]);
    expect(kill.exitCode, kill.all).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([conns.east.close(), conns.west.close()]);
    await labUp(TEST_LAB);
  }, FAULT_TIMEOUT_MS);

  it('a workload topic deleted on west scores 0, naming the topic', async () => {
    const rb = writeRunbook(tempDir(), { topics: [deleted] });
    const before = await runCheck(rb, ['--gate', 'compatibility']);
    expect(gate(before.result, 'compatibility').score, scorecard(before.result)).toBe(2);

    const admin = await conns.west.admin();
    await admin.deleteTopics({ topics: [`east.${deleted}`] });
    await eventually('west forgets the topic', 30_000, async () => ((await admin.listTopics()).includes(`east.${deleted}`) ? undefined : true));

    const { result, cli: r } = await runCheck(rb, ['--gate', 'compatibility']);
    expect(gate(result, 'compatibility').score).toBe(0);
    const e = evidence(result, 'compatibility.counterparts');
    expect(e.status).toBe('fail');
    expect(e.finding).toContain(`east.${deleted}`);
    expect(r.exitCode).toBe(1);
  });

  it('different partition counts score 0, naming both counts', async () => {
    const admin = await conns.west.admin();
    await admin.createPartitions({ topics: [{ name: `east.${parts}`, count: 5 }] });
    const rb = writeRunbook(tempDir(), { topics: [parts] });
    const { result } = await runCheck(rb, ['--gate', 'compatibility']);
    expect(gate(result, 'compatibility').score).toBe(0);
    const e = evidence(result, 'compatibility.partitions');
    expect(e.status).toBe('fail');
    expect(e.finding).toContain(`${parts} has 3 on east, east.${parts} has 5 on west`);
  });

  it('a different cleanup.policy fails, naming both values', async () => {
    // IncrementalAlterConfigs, as kafka-configs --alter --add-config does: the topic's other configs stay as they are.
    const admin = await conns.west.admin();
    await admin.incrementalAlterConfigs({
      resources: [
        {
          resourceType: ConfigResourceTypes.TOPIC,
          resourceName: `east.${cleanup}`,
          configs: [{ name: 'cleanup.policy', configOperation: IncrementalAlterConfigOperationTypes.SET, value: 'compact' }],
        },
      ],
    });
    const rb = writeRunbook(tempDir(), { topics: [cleanup] });
    const { result } = await runCheck(rb, ['--gate', 'compatibility']);
    const e = evidence(result, 'compatibility.topic-configs');
    expect(e.status).toBe('fail');
    expect(e.finding).toContain(`cleanup.policy of ${cleanup} is delete on east but compact on west`);
    expect(gate(result, 'compatibility').score).toBe(0);
  });
});
