import { copyFileSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aclKey, createAcls, listAcls, type Acl } from '../../../src/kafka/acls.js';
import type { KafkaConnection } from '../../../src/kafka/connection.js';
import { fetchGroupOffsets } from '../../../src/kafka/groups.js';
import { partitionEndsOf } from '../../../src/kafka/listOffsets.js';
import { ensureTopics } from '../../../src/kafka/clusterInfo.js';
import { parseTranscript } from '../../../src/transcript/reader.js';
import { SECURE_LAB, cli, eventually, unique, type CliResult } from '../labHarness.js';
import { connectAs, labSecretValues, onlyTranscript, prepareWorkload, routeTo, writeRoute, writeTestRunbook, type TestRunbook } from './actionLab.js';
import { outcome, testProducer } from '../testClients.js';
import { LiveConsumer, LiveProducer } from './liveClients.js';

interface TranslatePlanJson {
  groups: { group: string; commits: { topic: string; partition: number; offset: number }[]; replay?: number }[];
  replay?: number;
}

function entriesOf(path: string) {
  return parseTranscript(readFileSync(path, 'utf8')).entries;
}

function translatePlan(path: string): TranslatePlanJson {
  const planned = entriesOf(path).filter((e) => e.type === 'step-planned' && e.step === 'translate-offsets');
  expect(planned).toHaveLength(1);
  return (planned[0] as unknown as { plan: TranslatePlanJson }).plan;
}

async function committed(conn: KafkaConnection, group: string): Promise<Map<string, number>> {
  const r = (await fetchGroupOffsets(conn, [group])).get(group);
  return new Map(r && 'offsets' in r ? r.offsets.map((o) => [`${o.topic}-${o.partition}`, o.offset]) : []);
}

describe('promote and revert on the secure lab, under a live producer and consumer', () => {
  let rb: TestRunbook;
  let admin: { east: KafkaConnection; west: KafkaConnection };
  let svc: { east: KafkaConnection; west: KafkaConnection };
  const outputs: CliResult[] = [];
  const transcripts = () => join(rb.dir, 'transcripts');
  let routeBefore: string;

  beforeAll(async () => {
    rb = writeTestRunbook(SECURE_LAB, { topics: 1, groups: 1 });
    admin = { east: connectAs(SECURE_LAB, 'east'), west: connectAs(SECURE_LAB, 'west') };
    svc = { east: connectAs(SECURE_LAB, 'east', 'orders-svc'), west: connectAs(SECURE_LAB, 'west', 'orders-svc') };
    await prepareWorkload(rb, admin);
    routeBefore = writeRoute(rb, 'east');
  });
  afterAll(async () => {
    for (const c of [admin.east, admin.west, svc.east, svc.west]) await c.close();
  });

  const topic = () => rb.topics[0]!;
  const group = () => rb.groups[0]!;
  const run = async (args: string[]) => {
    const r = await cli([...args, '--transcripts', transcripts()], { env: rb.env, timeoutMs: 300_000 });
    outputs.push(r);
    return r;
  };

  const producer = () => new LiveProducer(svc.east, topic(), 'east');
  let live: LiveProducer;
  let east: LiveConsumer;
  let west: LiveConsumer;

  it('promote: fences orders-svc off east, drains, translates the group, moves the route; the consumer resumes on west without a gap', async () => {
    live = producer();
    await live.start();
    east = new LiveConsumer(admin.east, group(), [topic()]);
    await east.start();
    await east.until('60 records', () => east.values.length >= 60);
    // The consumer leaves east (its position committed); the producer keeps writing through the promote.
    await east.stop();

    const r = await run(['promote', rb.path, '--yes']);
    expect(r.exitCode, r.all).toBe(0);
    await new Promise((res) => setTimeout(res, 500));
    await live.stop();

    // Writes to east are refused from the fence on, and refused now.
    expect(live.refusals.some((e) => /TOPIC_AUTHORIZATION_FAILED/.test(e)), live.refusals.slice(0, 3).join('\n')).toBe(true);
    const late = testProducer(svc.east);
    expect(await outcome(late.send({ topic: topic(), messages: [{ value: 'after-promote' }] }))).toMatch(/TOPIC_AUTHORIZATION_FAILED/);
    await late.close();

    // Replication drained: the copy on west ends where east ends.
    const [eastEnds, westEnds] = await Promise.all([partitionEndsOf(admin.east, [topic()]), partitionEndsOf(admin.west, [`east.${topic()}`])]);
    expect(westEnds.get(`east.${topic()}`)!.map((p) => p.latest)).toEqual(eastEnds.get(topic())!.map((p) => p.latest));

    // West holds the translated offsets the plan named.
    const path = onlyTranscript(transcripts(), rb.name, 'promote');
    const plan = translatePlan(path);
    const g = plan.groups.find((x) => x.group === group())!;
    expect(g.commits).toHaveLength(3);
    const onWest = await committed(admin.west, group());
    for (const c of g.commits) expect(onWest.get(`${c.topic}-${c.partition}`), `${c.topic}-${c.partition}`).toBeGreaterThanOrEqual(c.offset);

    // The route points at west.
    expect(readFileSync(rb.routeFile, 'utf8')).toContain(`bootstrap.servers=${routeTo(rb, 'west')}`);

    // The consumer joins on west: nothing acknowledged is missing, and it reads again at most what the plan predicted.
    west = new LiveConsumer(admin.west, group(), [`east.${topic()}`]);
    await west.start();
    const seen = () => new Set([...east.values, ...west.values]);
    await west.until('every acknowledged record', () => {
      const s = seen();
      return live.acknowledged.every((v) => s.has(v));
    });
    await new Promise((res) => setTimeout(res, 1000));
    const skipped = live.acknowledged.filter((v) => !seen().has(v));
    expect(skipped).toEqual([]);
    const readOnEast = new Set(east.values);
    const duplicates = west.values.filter((v) => readOnEast.has(v)).length;
    expect(g.replay, `the plan predicts the replay: ${JSON.stringify(g)}`).toBeDefined();
    expect(duplicates).toBeLessThanOrEqual(g.replay!);
    expect(live.acknowledged.length).toBeGreaterThan(east.values.length);

    const status = await cli(['status', rb.path, '--json', '--transcripts', transcripts()], { env: rb.env });
    outputs.push(status);
    expect(status.exitCode, status.all).toBe(0);
    expect(JSON.parse(status.stdout), status.stdout).toMatchObject({
      phase: { phase: 'promoted', roles: { primary: 'east', secondary: 'west' } },
      writer: 'west',
      locks: [{ cluster: 'east', holder: null }, { cluster: 'west', holder: null }],
      clusters: [{ cluster: 'east', reachable: true, topicExists: true }, { cluster: 'west', reachable: true, topicExists: true }],
    });
  });

  it('transcript verify holds, and detects an edited or a deleted line', async () => {
    const path = onlyTranscript(transcripts(), rb.name, 'promote');
    const ok = await cli(['transcript', 'verify', path]);
    expect(ok.exitCode, ok.all).toBe(0);
    const lines = readFileSync(path, 'utf8').split('\n');
    const edited = join(rb.dir, 'edited.jsonl');
    const i = lines.findIndex((l) => l.includes('"step-applied"'));
    writeFileSync(edited, lines.map((l, n) => (n === i ? l.replace('"created 1 DENY', '"created 0 DENY') : l)).join('\n'));
    expect(readFileSync(edited, 'utf8')).not.toEqual(readFileSync(path, 'utf8'));
    const e = await cli(['transcript', 'verify', edited]);
    expect(e.exitCode).toBe(1);
    expect(e.all).toContain(`:${i + 1}:`);
    const deleted = join(rb.dir, 'deleted.jsonl');
    writeFileSync(deleted, lines.filter((_, n) => n !== 3).join('\n'));
    const d = await cli(['transcript', 'verify', deleted]);
    expect(d.exitCode).toBe(1);
    copyFileSync(path, join(rb.dir, 'copy.jsonl'));
    expect((await cli(['transcript', 'verify', join(rb.dir, 'copy.jsonl')])).exitCode).toBe(0);
  });

  it('revert: removes only the fence ACLs (hand-made ones survive), restores the route byte for byte, translates the group back', async () => {
    // Hand-made DENYs, one on the workload topic for another principal, one for the producer on another topic.
    const other = unique('hand');
    await ensureTopics(admin.east, [{ topic: other, partitions: 1 }]);
    const deny = (principal: string, t: string): Acl => ({ principal, host: '*', resourceType: 'Topic', resourceName: t, patternType: 'LITERAL', operation: 'Write', permission: 'DENY' });
    const hand = [deny('User:billing', topic()), deny('User:orders-svc', other)];
    await createAcls(admin.east, hand);

    // After the switch the application writes on west, and the consumer reads both the copy and west's own topic.
    const onWest = new LiveProducer(svc.west, topic(), 'west');
    await onWest.start();
    await eventually('writes on west', 30_000, async () => (onWest.acknowledged.length >= 40 ? true : undefined));
    await onWest.stop();
    await west.stop();
    west = new LiveConsumer(admin.west, group(), [`east.${topic()}`, topic()]);
    await west.start();
    await west.until('west writes read', () => onWest.acknowledged.every((v) => west.values.includes(v)));
    await west.stop();
    // West's own writes reach east (as west.<topic>) before revert.
    await eventually('west.<topic> on east', 60_000, async () => {
      const [w, e] = await Promise.all([partitionEndsOf(admin.west, [topic()]), partitionEndsOf(admin.east, [`west.${topic()}`])]);
      const a = w.get(topic())!.map((p) => p.latest);
      const b = e.get(`west.${topic()}`)?.map((p) => p.latest);
      return b && JSON.stringify(a) === JSON.stringify(b) ? true : undefined;
    });
    const westPositions = await committed(admin.west, group());

    const r = await run(['revert', rb.path, '--yes']);
    expect(r.exitCode, r.all).toBe(0);

    const acls = new Set((await listAcls(admin.east)).map(aclKey));
    expect(acls.has(aclKey(deny('User:orders-svc', topic())))).toBe(false);
    for (const h of hand) expect(acls.has(aclKey(h)), aclKey(h)).toBe(true);
    expect(readFileSync(rb.routeFile, 'utf8')).toBe(routeBefore);

    // Back on east: the copy's position lands on the original topic, west's own topic on its copy.
    const plan = translatePlan(onlyTranscript(transcripts(), rb.name, 'revert'));
    const g = plan.groups.find((x) => x.group === group())!;
    const topics = new Set(g.commits.map((c) => c.topic));
    expect(topics).toEqual(new Set([topic(), `west.${topic()}`]));
    const onEast = await committed(admin.east, group());
    const eastEnds = await partitionEndsOf(admin.east, [topic(), `west.${topic()}`]);
    for (const c of g.commits) {
      const now = onEast.get(`${c.topic}-${c.partition}`)!;
      expect(now, `${c.topic}-${c.partition}`).toBeGreaterThanOrEqual(c.offset);
      expect(now).toBeLessThanOrEqual(eastEnds.get(c.topic)!.find((p) => p.partition === c.partition)!.latest);
    }
    // The group had read everything on west, so it resumes at the end of both on east (no replay with MM2's dense syncs).
    for (const p of [0, 1, 2]) {
      expect(westPositions.get(`east.${topic()}-${p}`)).toBeDefined();
      expect(onEast.get(`${topic()}-${p}`)).toBe(eastEnds.get(topic())!.find((e) => e.partition === p)!.latest);
    }

    // orders-svc may write to east again.
    const again = testProducer(svc.east);
    expect(await outcome(again.send({ topic: topic(), messages: [{ value: 'after-revert' }] }))).toBe('acknowledged');
    await again.close();

    const status = await cli(['status', rb.path, '--json'], { env: rb.env });
    expect(JSON.parse(status.stdout)).toMatchObject({ phase: { phase: 'steady' }, writer: 'east' });
  });

  it('no password of the secure lab appears in a transcript or in any output', () => {
    const secrets = labSecretValues(SECURE_LAB);
    expect(secrets.length).toBe(4);
    const files = readdirSync(join(transcripts(), rb.name)).map((f) => readFileSync(join(transcripts(), rb.name, f), 'utf8'));
    expect(files.length).toBe(2);
    for (const text of [...files, ...outputs.map((o) => o.all)]) for (const s of secrets) expect(text).not.toContain(s);
  });
});
