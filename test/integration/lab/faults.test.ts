import { describe, expect, it } from 'vitest';
import { describeCluster, ensureTopics } from '../../../src/kafka/clusterInfo.js';
import { readTopic } from '../../../src/kafka/readTopic.js';
import { TEST_LAB, cli, labUpArgs, testLabConnections, unique } from '../labHarness.js';
import { testProducer } from '../testClients.js';

/** Each test restores the lab before it ends, even when it fails. */
describe('lab fault injection', () => {
  it('lab kill east makes east unreachable within the client timeout, and lab up brings it back with its data', async () => {
    const topic = unique('kill');
    const before = testLabConnections();
    await ensureTopics(before.east, [{ topic, partitions: 1 }]);
    const producer = testProducer(before.east);
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'kept across a SIGKILL' }] });
    await producer.close();
    await before.east.close();
    await before.west.close();

    try {
      const kill = await cli(['lab', 'kill', 'east', '--dir', TEST_LAB.dir]);
      expect(kill.exitCode, kill.all).toBe(0);
      expect(kill.stdout).toMatch(/killed east \(pid \d+\)/);

      const status = await cli(['lab', 'status', '--dir', TEST_LAB.dir, '--json']);
      expect(status.exitCode).toBe(1);
      const st = JSON.parse(status.stdout) as { processes: { name: string; state: string }[] };
      expect(st.processes.find((p) => p.name === 'east')?.state).toBe('stopped');

      const { east } = testLabConnections(2000);
      const t0 = Date.now();
      await expect(describeCluster(east)).rejects.toThrow(/east/);
      expect(Date.now() - t0).toBeLessThan(2000 + 1500);
      await east.close();
    } finally {
      const up = await cli(labUpArgs(TEST_LAB));
      expect(up.exitCode, up.all).toBe(0);
    }
    const after = testLabConnections();
    try {
      const recs = await readTopic(after.east, topic);
      expect(recs.map((r) => r.value?.toString())).toEqual(['kept across a SIGKILL']);
    } finally {
      await after.east.close();
      await after.west.close();
    }
  });

  it('lab pause west makes a request to west time out, and lab resume west recovers', async () => {
    const pause = await cli(['lab', 'pause', 'west', '--dir', TEST_LAB.dir]);
    expect(pause.exitCode, pause.all).toBe(0);
    try {
      const status = await cli(['lab', 'status', '--dir', TEST_LAB.dir, '--json'], { timeoutMs: 30_000 });
      const st = JSON.parse(status.stdout) as { processes: { name: string; state: string }[] };
      expect(st.processes.find((p) => p.name === 'west')?.state).toBe('paused');

      const { west } = testLabConnections(2000);
      const t0 = Date.now();
      // A paused broker accepts the connection and never answers.
      await expect(describeCluster(west)).rejects.toThrow(/west.*(no answer|timed out|cannot connect)/);
      expect(Date.now() - t0).toBeLessThan(2000 + 1500);
      await west.close();
    } finally {
      const resume = await cli(['lab', 'resume', 'west', '--dir', TEST_LAB.dir]);
      expect(resume.exitCode, resume.all).toBe(0);
    }
    const { west, east } = testLabConnections(5000);
    try {
      const info = await describeCluster(west);
      expect(info.clusterId).toMatch(/^[\w-]{22}$/);
    } finally {
      await west.close();
      await east.close();
    }
  });

  it('refuses to signal an unknown process, with exit code 2 and a hint', async () => {
    const r = await cli(['lab', 'pause', 'mm2', '--dir', TEST_LAB.dir]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/cannot pause "mm2"/);
    expect(r.stderr).toMatch(/hint: choose one of: east, west/);
  });
});
