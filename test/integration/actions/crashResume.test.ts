import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { aclKey, listAcls } from '../../../src/kafka/acls.js';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { fetchGroupOffsets } from '../../../src/kafka/groups.js';
import { partitionEndsOf } from '../../../src/kafka/listOffsets.js';
import { fenceAcl } from '../../../src/steps/fenceAcls.js';
import { parseTranscript, verifyChain } from '../../../src/transcript/reader.js';
import { SECURE_LAB, cli, resetPairState } from '../labHarness.js';
import { connectAs, labPromote, onlyTranscript, preparedRunbook, routeTo, type TestRunbook } from './actionLab.js';

/** The state a promote leaves, with this runbook's names taken out, so that two runbooks' outcomes compare. */
async function outcome(rb: TestRunbook, admin: { east: KafkaConnection; west: KafkaConnection }) {
  const acls = new Set((await listAcls(admin.east)).map(aclKey));
  const status = JSON.parse((await cli(['status', rb.path, '--json'], { env: rb.env })).stdout) as { phase: { phase: string; roles: unknown }; writer: string; locks: { holder: unknown }[] };
  const offsets = (await fetchGroupOffsets(admin.west, rb.groups)).get(rb.groups[0]!);
  const ends = await partitionEndsOf(admin.west, rb.topics.map((t) => `east.${t}`));
  const atEnd = offsets && 'offsets' in offsets && offsets.offsets.length === 3 && offsets.offsets.every((o) => ends.get(o.topic)?.find((e) => e.partition === o.partition)?.latest === o.offset);
  return {
    fenced: rb.topics.every((t) => acls.has(aclKey(fenceAcl('User:orders-svc', t)))),
    route: readFileSync(rb.routeFile, 'utf8').replace(routeTo(rb, 'west'), 'WEST').replace(routeTo(rb, 'east'), 'EAST'),
    phase: status.phase.phase,
    roles: status.phase.roles,
    writer: status.writer,
    lockFree: status.locks.every((l) => l.holder === null),
    groupOnWestAtEnd: atEnd,
  };
}

function transcriptOf(rb: TestRunbook): string {
  return onlyTranscript(join(rb.dir, 'transcripts'), rb.name);
}

describe("a promote killed right after each step's apply resumes to the state of an uninterrupted one", () => {
  let admin: { east: KafkaConnection; west: KafkaConnection };
  const lab = labPromote();
  const steps = lab.promote!.length;

  async function fresh(): Promise<TestRunbook> {
    return preparedRunbook(SECURE_LAB, admin, { ...lab, groups: 2 });
  }
  const promote = (rb: TestRunbook, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
    cli(['promote', rb.path, '--yes', '--transcripts', join(rb.dir, 'transcripts'), ...extra], { env: { ...rb.env, ...env }, timeoutMs: 300_000 });

  let reference: Awaited<ReturnType<typeof outcome>>;

  beforeAll(async () => {
    admin = { east: connectAs(SECURE_LAB, 'east'), west: connectAs(SECURE_LAB, 'west') };
  });
  // Each promote starts from a steady pair: the pair's state is shared by every runbook on it.
  beforeEach(() => resetPairState(SECURE_LAB));
  afterAll(async () => {
    await admin.east.close();
    await admin.west.close();
  });

  it('runs the lab promote uninterrupted', async () => {
    expect(steps).toBe(5);
    const rb = await fresh();
    const r = await promote(rb);
    expect(r.exitCode, r.all).toBe(0);
    reference = await outcome(rb, admin);
    expect(reference).toEqual({ fenced: true, route: expect.stringContaining('bootstrap.servers=WEST'), phase: 'promoted', roles: { primary: 'east', secondary: 'west' }, writer: 'west', lockFree: true, groupOnWestAtEnd: true });
  });

  // Inside an apply, before its step-applied entry: after the fence ACLs are created, and between two groups' commits.
  for (const point of ['fence-writes:after-create', 'translate-offsets:between-groups']) {
    it(`killed inside an apply (${point}), --resume converges to the same state`, async () => {
      const rb = await fresh();
      const killed = await promote(rb, [], { FAILOVER_TEST_CRASH_AT: point });
      expect(killed.exitCode, killed.all).not.toBe(0);
      const path = transcriptOf(rb);
      const before = parseTranscript(readFileSync(path, 'utf8')).entries;
      const step = point.split(':')[0];
      // The step was planned and not recorded as applied: the crash came from inside its apply.
      expect(before.at(-1)).toMatchObject({ type: 'step-planned', step });
      if (step === 'fence-writes') expect((await outcome(rb, admin)).fenced).toBe(true);
      const resumed = await promote(rb, ['--resume', path]);
      expect(resumed.exitCode, resumed.all).toBe(0);
      expect(await outcome(rb, admin)).toEqual(reference);
      const read = parseTranscript(readFileSync(path, 'utf8'));
      expect(verifyChain(read).ok).toBe(true);
      expect(read.entries.filter((e) => e.type === 'step-applied').map((e) => (e as unknown as { index: number }).index)).toEqual([0, 1, 2, 3, 4]);
    });
  }

  for (let k = 0; k < 5; k++) {
    it(`killed after step ${k + 1} applies, --resume ends the same, and no step is applied twice`, async () => {
      const rb = await fresh();
      const killed = await promote(rb, [], { FAILOVER_TEST_CRASH_AFTER_APPLY: String(k) });
      expect(killed.exitCode, killed.all).not.toBe(0);
      const path = transcriptOf(rb);
      const before = parseTranscript(readFileSync(path, 'utf8')).entries;
      expect(before.at(-1)).toMatchObject({ type: 'step-applied', index: k });
      expect(before.some((e) => e.type === 'run-finished')).toBe(false);

      // The killed run still holds the lock: another run is refused, naming it.
      const other = await promote(rb);
      expect(other.exitCode, other.all).toBe(2);
      expect(other.stderr).toMatch(new RegExp(`the pair is locked by .+ on .+ running promote of ${rb.name} since`));

      const resumed = await promote(rb, ['--resume', path]);
      expect(resumed.exitCode, resumed.all).toBe(0);
      expect(await outcome(rb, admin)).toEqual(reference);

      const read = parseTranscript(readFileSync(path, 'utf8'));
      expect(verifyChain(read).ok).toBe(true);
      const applied = read.entries.filter((e) => e.type === 'step-applied').map((e) => (e as unknown as { index: number }).index);
      expect(applied).toEqual([0, 1, 2, 3, 4]);
      expect(read.entries.filter((e) => e.type === 'step-verified' && (e as unknown as { index: number }).index === k)).toHaveLength(1);
      expect(read.entries.at(-1)).toMatchObject({ type: 'run-finished', outcome: 'ok' });
    });
  }
});
