#!/usr/bin/env node
// npm run demo: bring the local lab up and run a game-day drill on it: a
// probe writes and reads 200 events/s through the route while the lab
// runbook promotes west and, after a dwell, reverts to east. The drill
// measures what the switch cost (downtime, lost, duplicated and reordered
// events) and ends by printing where its report is.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'failover.js');
const step = (s) => process.stdout.write(`\n== ${s}\n`);

step('failover lab up');
try {
  execFileSync(process.execPath, [cli, 'lab', 'up'], { stdio: 'inherit', cwd: root });
} catch (e) {
  process.exit(e.status ?? 2);
}

// The lab's clients find Kafka through this file; the route starts at east.
const route = join(root, '.lab', 'route', 'orders.properties');
if (!existsSync(route)) {
  mkdirSync(dirname(route), { recursive: true });
  writeFileSync(route, 'bootstrap.servers=127.0.0.1:19092\n');
}

step('failover drill runbooks/lab.yaml --scenario planned --revert --yes');
const drill = spawnSync(process.execPath, [cli, 'drill', 'runbooks/lab.yaml', '--scenario', 'planned', '--revert', '--yes', '--json'], {
  cwd: root,
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
step(`drill ${result.scenario.name} with revert: ${result.ok ? 'every expectation held' : result.completed ? `breached ${result.breached.join(', ')}` : `did not complete: ${result.problem}`}`);
console.log(`events acknowledged   ${m.events.acked} of ${m.events.created} (${Object.entries(m.events.ackedBy).map(([c, n]) => `${c} ${n}`).join(', ')})`);
console.log(`write downtime        ${s(m.writeDowntimeMs)}`);
console.log(`read downtime         ${s(m.readDowntimeMs)}`);
console.log(`lost                  ${m.lost}`);
console.log(`duplicates            ${m.duplicates} (replay predicted from the group's offsets: ${m.predictedReplay ?? 'unknown'})`);
console.log(`per-key reorderings   ${m.reorderings}`);
for (const x of result.expectations.filter((e) => !e.ok)) console.log(`breached              ${x.finding}`);
console.log(`\nThe lab keeps running (\`npx failover lab status\`, \`npx failover lab down\`).`);
console.log(`Transcript: ${relative(root, result.files.transcript)}; Markdown: ${relative(root, result.files.markdown)}`);
console.log(`Report: ${relative(root, result.files.html)}`);
process.exitCode = drill.status ?? 1;
