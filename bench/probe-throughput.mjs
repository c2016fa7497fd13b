#!/usr/bin/env node
// Can the drill probe sustain 1,000 events/s with its recording on, and what
// does that cost in CPU? Runs the probe (producer and group consumer) against
// a running lab's primary for a while, then reports the achieved rate, the
// acknowledgement latency, the consumer's keeping up, and process.cpuUsage()
// over the run.
// Usage: node bench/probe-throughput.mjs [--lab .lab] [--rate 1000] [--seconds 20]
//        (run `npm run build` and `failover lab up` first)
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { lab: { type: 'string', default: join(root, '.lab') }, rate: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '20' } } });
const rate = Number(values.rate);
const seconds = Number(values.seconds);

const { labPaths } = await import(join(root, 'dist/lab/labConfig.js'));
const { readState } = await import(join(root, 'dist/lab/labState.js'));
const { Probe } = await import(join(root, 'dist/drill/probe.js'));
const { measure } = await import(join(root, 'dist/drill/measure.js'));

const state = readState(labPaths(values.lab).state);
if (!state) {
  console.error(`no lab in ${values.lab}; run \`failover lab up\` first`);
  process.exit(2);
}
if (state.settings.secure) {
  console.error('the bench runs against a plain lab');
  process.exit(2);
}
const bootstrap = (name) => [`127.0.0.1:${state.settings.ports[name]}`];
// No routing section: the probe's route is the primary itself.
const runbook = {
  clusters: { east: { bootstrap: bootstrap('east') }, west: { bootstrap: bootstrap('west') } },
  roles: { primary: 'east', secondary: 'west' },
  link: { kind: 'mirrormaker2', aliases: { east: 'east', west: 'west' }, separator: '.' },
};
const probe = new Probe({
  runbook,
  spec: { topic: 'failover.probe', group: `bench-probe-${process.pid}`, keys: 32, ratePerSecond: rate },
  runId: `bench-${Date.now().toString(36)}`,
  clientOptions: (t) => ({ bootstrap: t.bootstrap, requestTimeoutMs: 10_000, connectionTimeoutMs: 3000, clientId: 'failover-bench' }),
});

await probe.start();
// CPU and wall time from the moment the clients are connected: the steady state.
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const created0 = probe.log.count;
await new Promise((r) => setTimeout(r, seconds * 1000));
const created = probe.log.count - created0;
const wall = performance.now() - wall0;
const cpu = process.cpuUsage(cpu0);
// The measurement ends when writing stops; the pause after it only lets the
// consumer catch up, and must not count as a gap in the acknowledgements.
const endAt = probe.log.time();
await probe.stopWriting();
await new Promise((r) => setTimeout(r, 2000));
await probe.stop();

const log = probe.log;
const lat = [];
for (let i = 0; i < log.count; i++) if (log.isAcked(i)) lat.push(log.ackAt[i] - log.sentAt[i]);
lat.sort((a, b) => a - b);
const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))] ?? NaN;
const m = measure({ log, reads: [], endAt });
const cpuMs = (cpu.user + cpu.system) / 1000;
console.log(`probe at ${rate}/s for ${(wall / 1000).toFixed(1)} s on ${bootstrap('east')[0]}`);
console.log(`  events created   ${created} (${(created / (wall / 1000)).toFixed(0)}/s)`);
console.log(`  acknowledged     ${m.events.acked} of ${m.events.created}, failed ${m.events.failed}`);
console.log(`  ack latency      p50 ${q(0.5).toFixed(1)} ms, p99 ${q(0.99).toFixed(1)} ms, max ${lat.at(-1)?.toFixed(1)} ms`);
console.log(`  received         ${m.received.distinct} distinct, ${m.duplicates} duplicates, ${m.received.unreadAcked} acknowledged but unread`);
console.log(`  longest ack gap  ${m.writeDowntimeMs.toFixed(1)} ms`);
console.log(`  CPU              ${cpuMs.toFixed(0)} ms user+system over ${(wall / 1000).toFixed(1)} s = ${((cpuMs / wall) * 100).toFixed(1)}% of one core (${((cpuMs * 1000) / created).toFixed(0)} µs per event)`);
const sustained = created / (wall / 1000) >= rate * 0.98 && m.events.failed === 0;
console.log(sustained ? 'sustained' : 'NOT sustained');
process.exit(sustained ? 0 : 1);
