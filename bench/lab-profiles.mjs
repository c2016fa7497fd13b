#!/usr/bin/env node
// What each lab profile costs on this machine: the wall time of `failover lab
// up` from an empty folder (jars already resolved) until heartbeats flow, and
// the resident memory of the lab's java processes then (the RSS of every
// process whose command line carries the lab's marker, summed). Each profile
// is started, measured and purged in turn, one at a time.
// Usage: node bench/lab-profiles.mjs [--east-port 19892] [--west-port 29892] [--only="--brokers 3 --tls"]
//        (run `npm run build` first)
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(root, 'bin', 'failover.js');
const { values } = parseArgs({ options: { 'east-port': { type: 'string', default: '19892' }, 'west-port': { type: 'string', default: '29892' }, only: { type: 'string', multiple: true } } });

const PROFILES = values.only?.map((p) => p.split(' ').filter(Boolean)) ?? [
  [],
  ['--secure'],
  ['--tls'],
  ['--tls', '--sasl', 'scram-sha-512'],
  ['--sasl', 'plain'],
  ['--sasl', 'oauthbearer'],
  ['--replication-policy', 'identity'],
  ['--brokers', '3'],
  ['--brokers', '3', '--tls', '--sasl', 'scram-sha-512'],
];

/** Resident kB of the lab's java processes: `-Dfailover.lab=<lab root>:<name>` is on each command line. */
function labRss(labRoot) {
  const out = {};
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let cmd;
    try {
      cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const marker = cmd.find((a) => a.startsWith(`-Dfailover.lab=${labRoot}:`));
    if (!marker) continue;
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    out[marker.slice(marker.lastIndexOf(':') + 1)] = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return out;
}

const rows = [];
for (const profile of PROFILES) {
  const dir = join(root, `.lab-profile-bench`);
  rmSync(dir, { recursive: true, force: true });
  const args = ['lab', 'up', '--dir', dir, '--east-port', values['east-port'], '--west-port', values['west-port'], ...profile];
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, timeout: 15 * 60_000 });
  const seconds = (Date.now() - t0) / 1000;
  // Settle a little: RSS right after start-up is still growing.
  execFileSync('sleep', ['10']);
  const rss = labRss(dir);
  spawnSync(process.execPath, [cli, 'lab', 'down', '--purge', '--dir', dir], { encoding: 'utf8' });
  const totalMb = Object.values(rss).reduce((a, b) => a + b, 0) / 1024;
  const brokersMb = Object.entries(rss).filter(([n]) => n !== 'mm2').map(([, v]) => v / 1024);
  const row = {
    profile: profile.join(' ') || '(default)',
    ok: r.status === 0,
    upSeconds: Number(seconds.toFixed(1)),
    totalRssMb: Math.round(totalMb),
    perBrokerMb: brokersMb.length ? `${Math.round(Math.min(...brokersMb))}-${Math.round(Math.max(...brokersMb))}` : '-',
    mm2Mb: Math.round((rss.mm2 ?? 0) / 1024),
    loadBefore: load,
  };
  rows.push(row);
  process.stdout.write(`${JSON.stringify(row)}\n`);
  if (r.status !== 0) process.stderr.write(`${r.stdout}\n${r.stderr}\n`);
}
process.stdout.write('\n| profile | `lab up` wall time | RSS of the lab\'s JVMs | per broker | MM2 | load before |\n|---|---|---|---|---|---|\n');
for (const r of rows) process.stdout.write(`| \`${r.profile}\` | ${r.ok ? `${r.upSeconds} s` : 'failed'} | ${r.totalRssMb} MB | ${r.perBrokerMb} MB | ${r.mm2Mb} MB | ${r.loadBefore} |\n`);
