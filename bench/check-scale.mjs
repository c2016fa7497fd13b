#!/usr/bin/env node
/**
 * How long does `failover check` take on an estate of 500 topics x 4
 * partitions and 200 consumer groups, next to the commands an operator
 * would run by hand for the same facts with Kafka's own tools from the same
 * jars (kafka-topics --describe, kafka-configs --describe,
 * kafka-consumer-groups --describe --all-groups, kafka-acls --list, on both
 * clusters)?
 *
 * Builds the estate on a secure lab of its own (.lab-bench, ports
 * 19492/29492: SASL/SCRAM and the StandardAuthorizer, as production runs),
 * mirrored by MM2 with checkpoints and with the same ACLs on both clusters
 * (the producer's Write on every topic, the consumers' Read on every
 * group), then times both in the same run. The authorizer is what gives
 * `kafka-acls --list` something to list, and check's governance gate the
 * same ACLs to compare; the figures without the ACL listing are printed too.
 *
 *   npm run build && node bench/check-scale.mjs [--keep] [--runs N]
 *
 * --keep leaves the bench lab running (the next run reuses its estate).
 * Target: check at least 10x faster than the manual sequence, and under 5 s.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = join(import.meta.dirname, '..');
const dist = (p) => join(root, 'dist', p);
const { runKafkaTool } = await import(dist('lab/kafkaTools.js'));
const { createAcls } = await import(dist('kafka/acls.js'));
const { GROUPS, PARTITIONS, TOPICS, buildEstate, endBenchLab, failover, log, secureBenchLab } = await import('./estate.mjs');

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const runs = Number(args[args.indexOf('--runs') + 1] ?? 3) || 3;
const DIR = join(root, '.lab-bench');
const PORTS = { east: 19492, west: 29492 };
/**
 * CPU seconds used by the children this process has waited for (user +
 * system), from /proc/self/stat: on a machine shared with other work, wall
 * time measures the scheduler as much as the program, CPU time does not.
 */
function childCpuSeconds() {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    return (Number(fields[13]) + Number(fields[14])) / ticks;
  } catch {
    return NaN;
  }
}

// 1. The lab.
const lab = secureBenchLab(DIR, PORTS);
const { east, west, password } = lab;
try {
  // 2. The estate (topics, records, mirroring, commits, checkpoints), reused from a --keep run.
  const grants = (topics) =>
    [
      ...topics.map((t) => ({ principal: 'User:bench-svc', host: '*', resourceType: 'Topic', resourceName: t, patternType: 'LITERAL', operation: 'Write', permission: 'ALLOW' })),
      ...Array.from({ length: GROUPS }, (_, g) => ({ principal: 'User:bench-app', host: '*', resourceType: 'Group', resourceName: `bench-g-${String(g).padStart(3, '0')}`, patternType: 'LITERAL', operation: 'Read', permission: 'ALLOW' })),
    ];
  const { groups, committedPartitions: expected } = await buildEstate({
    east,
    west,
    onCreated: (topics) => Promise.all([east, west].map((c) => createAcls(c, grants(topics)))),
  });

  // 4. The runbook (the admin's password comes from the environment, as in runbooks/lab-secure.yaml).
  const AUTH = `{ sasl: { mechanism: scram-sha-256, username: admin, password: "\${env:BENCH_ADMIN_PASSWORD}" } }`;
  const runbook = join(DIR, 'bench-runbook.yaml');
  mkdirSync(join(DIR, 'bench-transcripts'), { recursive: true });
  writeFileSync(join(DIR, 'bench-route.properties'), `bootstrap.servers=127.0.0.1:${PORTS.east}\n`);
  writeFileSync(
    runbook,
    `version: 1
name: bench-estate
clusters:
  east: { bootstrap: [127.0.0.1:${PORTS.east}], auth: ${AUTH}, timeouts: { requestTimeout: 10s, connectionTimeout: 3s } }
  west: { bootstrap: [127.0.0.1:${PORTS.west}], auth: ${AUTH}, timeouts: { requestTimeout: 10s, connectionTimeout: 3s } }
roles: { primary: east, secondary: west }
link: { kind: mirrormaker2, aliases: { east: east, west: west }, reverse: true }
workload:
  topics: ["/bench-t-.*/"]
  groups: [${groups.map((g) => `"${g}"`).join(', ')}]
  producers: [User:bench-svc]
routing:
  alias: bench-kafka.lab:9092
  switch: { file: { path: ./bench-route.properties, key: bootstrap.servers } }
actions:
  promote:
    stopWhen: { lagSecondsAbove: 60 }
    steps: [{ fence-writes: { cluster: primary } }, { translate-offsets: {} }, { switch-route: { to: secondary } }]
  revert:
    steps: [{ unfence-writes: { cluster: primary } }, { switch-route: { to: primary } }, { translate-offsets: { direction: reverse } }]
  continue-forward:
    steps: [{ set-roles: { primary: west, secondary: east } }]
`,
  );

  // 5. Timing: failover check (every gate, cost included) ...
  const checkTimes = [];
  const checkCpu = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const c0 = childCpuSeconds();
    const r = failover(['check', runbook, '--json', '--transcripts', join(DIR, 'bench-transcripts')], { BENCH_ADMIN_PASSWORD: password });
    checkTimes.push(performance.now() - t0);
    checkCpu.push(childCpuSeconds() - c0);
    if (r.status !== 0 && r.status !== 1) {
      process.stderr.write(r.stderr);
      throw new Error(`check exited ${r.status}`);
    }
    last = JSON.parse(r.stdout);
  }
  const offsets = last.gates.find((g) => g.gate === 'offsets');
  const translations = offsets.evidence.find((e) => e.check === 'offsets.translation')?.data?.translations ?? [];
  log(`check saw ${last.clusters.map((c) => `${c.name}: ${c.reachable ? 'up' : 'down'}`).join(', ')}; ${translations.length} translated partitions; scores ${last.gates.map((g) => `${g.gate}=${g.score}`).join(' ')}`);
  for (const c of last.clusters) log(`  ${c.name} snapshot parts (ms): ${JSON.stringify(c.timings)}`);

  // ... against the operator's sequence, one tool after the other, on both clusters.
  const manual = [];
  for (const cluster of ['east', 'west']) {
    for (const [tool, toolArgs] of [
      ['topics', ['--describe']],
      ['configs', ['--describe', '--entity-type', 'topics']],
      ['consumerGroups', ['--describe', '--all-groups']],
      ['acls', ['--list']],
    ]) {
      const c0 = childCpuSeconds();
      const r = await runKafkaTool({ dir: DIR, tool, cluster, args: toolArgs, timeoutMs: 600_000 });
      manual.push({ command: r.command, ms: r.elapsedMs, cpu: childCpuSeconds() - c0, exit: r.exitCode, lines: r.stdout.split('\n').length });
      log(`  ${(r.elapsedMs / 1000).toFixed(1).padStart(6)} s  exit ${r.exitCode}  ${r.stdout.split('\n').length} lines  ${r.command}`);
    }
  }

  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const checkMs = median(checkTimes);
  // A tool that failed gathered nothing: its time is left out rather than counted as work.
  const failed = manual.filter((m) => m.exit !== 0);
  for (const m of failed) log(`  left out (exit ${m.exit}, no facts gathered): ${m.command}`);
  const manualMs = manual.filter((m) => m.exit === 0).reduce((s, m) => s + m.ms, 0);
  const ratio = manualMs / checkMs;
  const withoutAcls = manual.filter((m) => m.exit === 0 && !m.command.startsWith('kafka-acls'));
  const withoutAclsMs = withoutAcls.reduce((n, m) => n + m.ms, 0);
  const checkCpuS = median(checkCpu);
  const manualCpuS = manual.filter((m) => m.exit === 0).reduce((n, m) => n + m.cpu, 0);
  const summary = {
    loadAverage: loadavg().map((l) => +l.toFixed(1)),
    estate: { topics: TOPICS, partitions: TOPICS * PARTITIONS, groups: GROUPS, committedPartitions: expected },
    checkSeconds: +(checkMs / 1000).toFixed(2),
    checkRunsSeconds: checkTimes.map((t) => +(t / 1000).toFixed(2)),
    manualSeconds: +(manualMs / 1000).toFixed(2),
    manual: manual.map((m) => ({ command: m.command, seconds: +(m.ms / 1000).toFixed(2), cpuSeconds: +m.cpu.toFixed(2), exit: m.exit })),
    ratio: +ratio.toFixed(1),
    withoutAclListing: { manualSeconds: +(withoutAclsMs / 1000).toFixed(2), ratio: +(withoutAclsMs / checkMs).toFixed(1) },
    cpuSeconds: { check: +checkCpuS.toFixed(2), manual: +manualCpuS.toFixed(2), ratio: +(manualCpuS / checkCpuS).toFixed(1) },
    targets: { tenTimesFaster: ratio >= 10, underFiveSeconds: checkMs < 5000 },
  };
  process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  process.stdout.write(`failover check: ${summary.checkSeconds} s (median of ${runs}); Kafka tools by hand: ${summary.manualSeconds} s${failed.length ? ` (${failed.length} failed command(s) left out)` : ''}; ${summary.ratio}x faster (${summary.withoutAclListing.ratio}x against the tools without kafka-acls --list)\n`);
  process.stdout.write(`CPU: check ${summary.cpuSeconds.check} s, tools ${summary.cpuSeconds.manual} s (${summary.cpuSeconds.ratio}x); load average ${summary.loadAverage.join(' ')} on ${(await import('node:os')).cpus().length} cores\n`);
} finally {
  await endBenchLab(lab, DIR, keep);
}
