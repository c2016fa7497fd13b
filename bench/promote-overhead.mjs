#!/usr/bin/env node
/**
 * The tool's own overhead in `failover promote`: wall time of the whole
 * command (start-up, lock, required gates, the full plan, every step's plan,
 * apply and verify, the phase writes) minus the time spent waiting, which
 * belongs to replication (wait-replication's apply) and to the operator
 * (the confirmation; --yes answers at once here). On an estate of 500 topics
 * x 4 partitions (2,000 partitions) and 200 consumer groups, each committed
 * on 5 topics (4,000 committed partitions), in a secure lab of its own
 * (.lab-bench-promote, ports 18792/28792), so the fence is real: 500 DENY
 * ACLs for orders-svc.
 *
 * The lab's promote is run as written in runbooks/lab-secure.yaml (fence, wait,
 * translate, switch, verify; requires compatibility, offsets, routing,
 * governance, rollback), then a revert puts the estate back for the next run.
 *
 *   npm run build && node bench/promote-overhead.mjs [--keep]
 *
 * --keep leaves the bench lab running (the next run reuses its estate).
 */
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parse as parseYaml } from 'yaml';

const root = join(import.meta.dirname, '..');
const dist = (p) => join(root, 'dist', p);
const { createAcls } = await import(dist('kafka/acls.js'));
const { GROUPS, PARTITIONS, TOPICS, buildEstate, endBenchLab, failover, log, secureBenchLab } = await import('./estate.mjs');

const keep = process.argv.includes('--keep');
const DIR = join(root, '.lab-bench-promote');
const PORTS = { east: 18792, west: 28792 };
const lab = secureBenchLab(DIR, PORTS);
const { east, west, password } = lab;
try {
  // The estate, reused when a --keep run built it. orders-svc, the workload's
  // producer, may write its topics: the fence is what stops it.
  const { groups, committedPartitions: expected } = await buildEstate({
    east,
    west,
    // On both clusters: the governance gate, which the fenced promote requires, wants the producer's grants on west too.
    onCreated: (topics) =>
      Promise.all([east, west].map((c) => createAcls(c, topics.map((t) => ({ principal: 'User:orders-svc', host: '*', resourceType: 'Topic', resourceName: t, patternType: 'LITERAL', operation: 'Write', permission: 'ALLOW' }))))),
  });

  // The runbook: this lab's clusters, the lab's promote as runbooks/lab-secure.yaml writes it (the fenced one).
  const lab = parseYaml(readFileSync(join(root, 'runbooks', 'lab-secure.yaml'), 'utf8'));
  const promote = lab.actions.promote;
  const name = `bench-promote-${Date.now().toString(36)}`;
  const runbook = join(DIR, 'bench-runbook.yaml');
  const transcripts = join(DIR, 'bench-transcripts');
  const route = join(DIR, 'bench-route.properties');
  mkdirSync(transcripts, { recursive: true });
  writeFileSync(route, `bootstrap.servers=127.0.0.1:${PORTS.east}\n`);
  const auth = `{ sasl: { mechanism: scram-sha-256, username: admin, password: "\${env:BENCH_ADMIN_PASSWORD}" } }`;
  const step = (s) => {
    const [type, params] = Object.entries(s)[0];
    return `{ ${type}: ${JSON.stringify(params)} }`;
  };
  writeFileSync(
    runbook,
    `version: 1
name: ${name}
clusters:
  east: { bootstrap: [127.0.0.1:${PORTS.east}], auth: ${auth}, timeouts: { requestTimeout: 30s, connectionTimeout: 5s } }
  west: { bootstrap: [127.0.0.1:${PORTS.west}], auth: ${auth}, timeouts: { requestTimeout: 30s, connectionTimeout: 5s } }
roles: { primary: east, secondary: west }
link: { kind: mirrormaker2, aliases: { east: east, west: west }, reverse: true }
workload:
  topics: ["/bench-t-.*/"]
  groups: [${groups.map((g) => `"${g}"`).join(', ')}]
  producers: [User:orders-svc]
routing:
  alias: bench-kafka.lab:9092
  switch: { file: { path: ./bench-route.properties, key: bootstrap.servers } }
actions:
  promote:
    requires: ${JSON.stringify(promote.requires)}
    stopWhen: ${JSON.stringify(promote.stopWhen)}
    steps: [${promote.steps.map(step).join(', ')}]
  revert:
    steps: [{ unfence-writes: { cluster: primary } }, { switch-route: { to: primary } }, { translate-offsets: { direction: reverse } }]
  continue-forward:
    steps: [{ set-roles: { primary: west, secondary: east } }]
`,
  );
  const env = { BENCH_ADMIN_PASSWORD: password };

  log(`promote --yes (${promote.steps.length} steps, requires ${promote.requires.join(', ')})`);
  const startedAt = Date.now();
  const t0 = performance.now();
  const r = failover(['promote', runbook, '--yes', '--transcripts', transcripts], env);
  const wallMs = performance.now() - t0;
  const endedAt = Date.now();
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    throw new Error(`promote exited ${r.status}`);
  }
  const file = readdirSync(join(transcripts, name)).find((f) => f.endsWith('-promote.jsonl'));
  const entries = readFileSync(join(transcripts, name, file), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const at = (e) => Date.parse(e.time);
  // wait-replication's apply polls the lag (one full measurement of every
  // workload partition on both clusters) until it is within bounds, sleeping
  // between polls. Only the polls that found it still behind, and the sleeps,
  // are waiting for replication; the last poll, the one that finds it caught
  // up, is the tool's own work (when nothing lags, it is the whole apply).
  // The outcome's waitedMs ends when that last poll returns: under one poll
  // interval (src/steps/waitReplication.ts, POLL_MS = 500) means no sleep
  // happened, the first poll found it caught up, and nothing was waited for.
  // Otherwise the last poll is estimated by the step's verify, which makes the
  // same measurement.
  const POLL_MS = 500;
  const waitSteps = entries
    .filter((e) => e.type === 'step-applied' && e.step === 'wait-replication')
    .map((e) => {
      const verified = entries.find((v) => v.type === 'step-verified' && v.index === e.index);
      const applyMs = e.durationMs ?? 0;
      const polledOnce = (e.outcome?.waitedMs ?? Infinity) < POLL_MS;
      const measureMs = polledOnce ? applyMs : verified ? at(verified) - at(e) : 0;
      return { applyMs, lastPollMs: measureMs, polledOnce, waitMs: Math.max(0, applyMs - measureMs), summary: e.summary };
    });
  const waits = waitSteps.reduce((s, w) => s + w.waitMs, 0);
  // A prompt's wait sits between the plan note and the confirmed entry; with --yes (via "flag") nothing waits,
  // and that interval is the tool printing the plan, which is overhead.
  const shown = entries.find((e) => e.type === 'note' && e.text === 'the plan shown to the operator');
  const confirmed = entries.find((e) => e.type === 'confirmed' && e.index === undefined);
  const confirmMs = shown && confirmed && confirmed.via !== 'flag' ? at(confirmed) - at(shown) : 0;
  const overheadMs = wallMs - waits - confirmMs;

  // Where the time went, from the transcript's own clock.
  const first = entries[0];
  const mark = (pred) => entries.find(pred);
  const locked = mark((e) => e.type === 'note' && e.text.startsWith('lock taken'));
  const gatesDone = [...entries.slice(0, entries.indexOf(shown))].reverse().find((e) => ['gate', 'check', 'override'].includes(e.type)) ?? locked;
  const promoting = mark((e) => e.type === 'note' && e.text === 'phase -> promoting');
  const phases = [
    ['start-up to run-started', undefined, first],
    ['lock (state topics created)', mark((e) => e.type === 'note' && e.text.startsWith('taking the lock')), locked],
    ['required gates', locked, gatesDone],
    ['the full plan (every step planned)', gatesDone, shown],
    ['plan printed, confirmation (--yes)', shown, confirmed],
    ['to the phase -> promoting note', confirmed, promoting],
  ];
  const breakdown = {};
  for (const [label, a, b] of phases) if (b) breakdown[label] = a ? at(b) - at(a) : at(b) - startedAt;
  for (const s of entries.filter((e) => e.type === 'step-planned')) {
    const applied = entries.find((e) => e.type === 'step-applied' && e.index === s.index);
    const verified = entries.find((e) => e.type === 'step-verified' && e.index === s.index);
    const prev = entries[entries.indexOf(s) - 1];
    breakdown[`${s.index + 1}. ${s.step}: plan${prev === promoting ? ' (+ phase write)' : ''}`] = at(s) - at(prev);
    if (applied) breakdown[`${s.index + 1}. ${s.step}: apply`] = applied.durationMs;
    if (applied && verified) breakdown[`${s.index + 1}. ${s.step}: verify`] = at(verified) - at(applied);
  }
  const last = entries.at(-1);
  const lastVerified = [...entries].reverse().find((e) => e.type === 'step-verified');
  if (lastVerified) breakdown['phase -> promoted, run-finished'] = at(last) - at(lastVerified);
  breakdown['after run-finished (unlock, close, exit)'] = endedAt - at(last);

  const translate = entries.find((e) => e.type === 'step-planned' && e.step === 'translate-offsets');
  const fence = entries.find((e) => e.type === 'step-planned' && e.step === 'fence-writes');
  const summary = {
    estate: { topics: TOPICS, partitions: TOPICS * PARTITIONS, groups: GROUPS, committedPartitions: expected },
    fencedAcls: fence?.plan?.acls?.length,
    translatedOffsets: translate?.plan?.groups?.reduce((s, g) => s + g.commits.length, 0),
    wallSeconds: +(wallMs / 1000).toFixed(2),
    waitReplicationSeconds: +(waits / 1000).toFixed(2),
    waitReplicationSteps: waitSteps.map((w) => ({ applySeconds: +(w.applyMs / 1000).toFixed(2), polledOnce: w.polledOnce, lastPollSeconds: +(w.lastPollMs / 1000).toFixed(2), waitingSeconds: +(w.waitMs / 1000).toFixed(2), summary: w.summary })),
    confirmationSeconds: +(confirmMs / 1000).toFixed(2),
    overheadSeconds: +(overheadMs / 1000).toFixed(2),
    breakdownMs: breakdown,
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(
    `promote overhead: ${summary.overheadSeconds} s (wall ${summary.wallSeconds} s minus ${summary.waitReplicationSeconds} s waiting for replication and ${summary.confirmationSeconds} s for confirmation) for ${GROUPS} groups over ${TOPICS * PARTITIONS} partitions\n`,
  );

  log('revert --yes (puts the estate back for the next run)');
  const t1 = performance.now();
  const rv = failover(['revert', runbook, '--yes', '--transcripts', transcripts], env);
  log(`revert exited ${rv.status} in ${((performance.now() - t1) / 1000).toFixed(1)} s`);
  if (rv.status !== 0) process.stderr.write(rv.stderr);
} finally {
  await endBenchLab(lab, DIR, keep);
}
