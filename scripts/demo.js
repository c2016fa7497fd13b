#!/usr/bin/env node
// npm run demo: bring the local lab up secure (SASL/SCRAM users and ACLs) and
// run a game-day drill of the fenced promote on it: a probe writes and reads
// 200 events/s through the route, and a stale client (orders-svc that keeps
// east's address) writes orders at 20/s, while runbooks/lab-secure.yaml fences
// east, drains replication, translates offsets, switches the route to west
// and, after a dwell, reverts to east. The drill measures what the switch
// cost (downtime, lost, duplicated and reordered events) and whether east
// took a single write after the switch, and ends by printing where its
// report is.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'failover.js');
const labDir = join(root, '.lab');
const step = (s) => process.stdout.write(`\n== ${s}\n`);
const run = (args) => {
  try {
    execFileSync(process.execPath, [cli, ...args], { stdio: 'inherit', cwd: root });
  } catch (e) {
    process.exit(e.status ?? 2);
  }
};

// A lab made plain (`failover lab up`) cannot become secure in place: its
// brokers were formatted without users. Its data is the lab's own, so the demo
// replaces it, and says so.
const state = readJson(join(labDir, 'state.json'));
if (state && state.settings && state.settings.secure === false) {
  step('the lab in .lab was started plain; the fenced promote needs it secure');
  console.log('Replacing it: `failover lab down --purge` (the lab\'s own topics and data), then `failover lab up --secure`.');
  run(['lab', 'down', '--purge']);
}

step('failover lab up --secure');
run(['lab', 'up', '--secure']);

// The runbook takes its passwords from the environment; the lab generated them
// into .lab/secrets.json. They go to the drill's environment and nowhere else.
const secrets = readJson(join(labDir, 'secrets.json'));
if (!secrets || !secrets.admin || !secrets['orders-svc']) {
  console.error(`no passwords in ${relative(root, join(labDir, 'secrets.json'))}; run \`npx failover lab down --purge\` and \`npm run demo\` again`);
  process.exit(2);
}
const env = { ...process.env, FAILOVER_LAB_ADMIN_PASSWORD: secrets.admin, FAILOVER_LAB_ORDERS_SVC_PASSWORD: secrets['orders-svc'] };

step('failover drill runbooks/lab-secure.yaml --scenario planned --revert --yes');
const drill = spawnSync(process.execPath, [cli, 'drill', 'runbooks/lab-secure.yaml', '--scenario', 'planned', '--revert', '--yes', '--json'], {
  cwd: root,
  env,
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
let result;
try {
  result = JSON.parse(drill.stdout);
} catch {
  process.stderr.write(drill.stdout ?? '');
  console.error(`the drill printed no result (exit ${drill.status}); see the messages above`);
  process.exit(drill.status || 2);
}

const m = result.measurement;
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
const at = (ms) => `+${(ms / 1000).toFixed(1)} s`;
step(`drill ${result.scenario.name} with revert: ${result.ok ? 'every expectation held' : result.completed ? `breached ${result.breached.join(', ')}` : `did not complete: ${result.problem}`}`);
for (const a of result.actions) {
  const applied = a.steps.filter((x) => x.status === 'applied').map((x) => `${x.step} ${at(x.at)}`);
  console.log(`${a.action.padEnd(22)}${applied.join(', ')} (${a.outcome})`);
}
console.log(`events acknowledged   ${m.events.acked} of ${m.events.created} (${Object.entries(m.events.ackedBy).map(([c, n]) => `${c} ${n}`).join(', ')})`);
console.log(`write downtime        ${s(m.writeDowntimeMs)}`);
console.log(`read downtime         ${s(m.readDowntimeMs)}`);
console.log(`lost                  ${m.lost}`);
console.log(`duplicates            ${m.duplicates} (replay predicted from the group's offsets: ${m.predictedReplay ?? 'unknown'})`);
console.log(`per-key reorderings   ${m.reorderings}`);
const st = m.stale;
if (st) {
  const p = result.probe.stale;
  console.log(`stale client          ${p.principal ?? 'the probe\'s user'} writing ${p.topic} to ${p.cluster}'s address: ${st.ackedBeforeSwitch} acknowledged before the switch, ${st.errorsByKind.fenced ?? 0} refused by the fence`);
  console.log(`writes to demoted     ${m.writesToDemoted} (${st.switches.map((x) => `${x.action} left ${x.demoted}: ${x.writesToDemoted}`).join('; ') || 'no switch'})`);
}
for (const x of result.expectations.filter((e) => !e.ok)) console.log(`breached              ${x.finding}`);
console.log(`\nThe lab keeps running (\`npx failover lab status\`, \`npx failover lab down\`).`);
console.log(`Transcript: ${relative(root, result.files.transcript)}; Markdown: ${relative(root, result.files.markdown)}`);
console.log(`Report: ${relative(root, result.files.html)}`);
process.exitCode = drill.status ?? 1;

function readJson(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}
