#!/usr/bin/env node
// Wall time of `failover validate runbooks/lab.yaml` beside a bare `node -e ''`,
// measured in the same run, interleaved so machine load hits both alike.
// `failover --version` is shown too: the CLI frame's own start-up (commander,
// chalk), which every command pays before its module loads.
// Usage: node bench/validate.mjs [repetitions]   (run `npm run build` first)
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const reps = Number(process.argv[2] ?? 15);
const cases = {
  'node -e ""': [process.execPath, ['-e', '']],
  'failover --version': [process.execPath, [join(root, 'bin/failover.js'), '--version']],
  'failover validate runbooks/lab.yaml': [process.execPath, [join(root, 'bin/failover.js'), 'validate', 'runbooks/lab.yaml']],
};

function once([cmd, args]) {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { cwd: root, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) {
    process.stderr.write(`${args.join(' ')} exited ${r.status}:\n${r.stdout}${r.stderr}`);
    process.exit(1);
  }
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

for (const c of Object.values(cases)) once(c); // warm the file cache
const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let i = 0; i < reps; i++) for (const [name, c] of Object.entries(cases)) times[name].push(once(c));

const [bare, , validate] = Object.keys(cases).map((k) => median(times[k]));
for (const [name, xs] of Object.entries(times)) {
  console.log(`${name.padEnd(38)} median ${median(xs).toFixed(0).padStart(5)} ms   min ${Math.min(...xs).toFixed(0).padStart(5)} ms   (${reps} runs)`);
}
console.log(`ratio validate / bare node: ${(validate / bare).toFixed(2)}x; validate adds ${(validate - bare).toFixed(0)} ms; target < 300 ms wall: ${validate < 300 ? 'met' : 'missed'}`);
