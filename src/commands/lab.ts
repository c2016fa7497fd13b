import { readFileSync, existsSync } from 'node:fs';
import { ExitCode, FailoverError, type ExitCodeValue } from '../errors.js';
import { describeLab, labDown as down, labLogFile, labSignal as signalLab, labUp as up, type LabDescription } from '../lab/lab.js';
import { colours } from '../ui/colour.js';
import { info, out, printJson } from '../ui/report.js';

function list(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const items = v.split(',').map((x) => x.trim()).filter(Boolean);
  if (items.length === 0) throw new FailoverError(`empty list: "${v}"`, { hint: 'give comma-separated names' });
  return items;
}

export async function labUp(opts: {
  dir: string; kafka?: string; secure?: boolean; eastPort: number; westPort: number; topics?: string; groups?: string; json?: boolean;
  withoutAuthorizer?: string;
}): Promise<ExitCodeValue> {
  const topics = list(opts.topics);
  const groups = list(opts.groups);
  const withoutAuthorizer = list(opts.withoutAuthorizer);
  for (const n of withoutAuthorizer ?? []) {
    if (n !== 'east' && n !== 'west') throw new FailoverError(`--without-authorizer: no cluster "${n}"`, { hint: 'name east or west' });
  }
  const d = await up(
    {
      dir: opts.dir,
      ...(opts.kafka ? { kafka: opts.kafka } : {}),
      ...(opts.secure ? { secure: true } : {}),
      eastPort: opts.eastPort,
      westPort: opts.westPort,
      ...(topics ? { topics } : {}),
      ...(groups ? { groups } : {}),
      ...(withoutAuthorizer ? { withoutAuthorizer: withoutAuthorizer as ('east' | 'west')[] } : {}),
    },
    (line) => info(line),
  );
  if (opts.json) printJson(d);
  else render(d, d.alreadyRunning ? 'The lab is already running; nothing changed.' : `The lab is ready (${(d.elapsedMs / 1000).toFixed(1)} s).`);
  return ExitCode.ok;
}

export async function labStatus(opts: { dir: string; json?: boolean }): Promise<ExitCodeValue> {
  const d = await describeLab(opts.dir);
  if (opts.json) printJson(d);
  else render(d);
  const healthy = d.processes.every((p) => p.state === 'running') && d.heartbeats.every((h) => h.ageMs !== undefined && h.ageMs < 10_000);
  return healthy ? ExitCode.ok : ExitCode.findings;
}

export async function labDown(opts: { dir: string; purge?: boolean }): Promise<ExitCodeValue> {
  const r = await down(opts.dir, Boolean(opts.purge));
  out(r.stopped.length ? `stopped ${r.stopped.join(', ')}` : 'nothing was running');
  if (r.purged) out(`deleted ${opts.dir}`);
  return ExitCode.ok;
}

export async function labSignal(action: 'kill' | 'pause' | 'resume', target: string, opts: { dir: string }): Promise<ExitCodeValue> {
  const r = signalLab(opts.dir, action, target);
  const verb = action === 'kill' ? 'killed' : action === 'pause' ? 'paused' : 'resumed';
  out(`${verb} ${r.name} (pid ${r.pid})`);
  return ExitCode.ok;
}

export async function labLogs(target: string, opts: { dir: string; lines: number }): Promise<ExitCodeValue> {
  const file = labLogFile(opts.dir, target);
  if (!existsSync(file)) throw new FailoverError(`no log yet for ${target} (${file})`, { hint: 'run `failover lab up` first' });
  const lines = readFileSync(file, 'utf8').split('\n');
  out(lines.slice(-opts.lines - 1).join('\n'));
  return ExitCode.ok;
}

function render(d: LabDescription, headline?: string): void {
  const c = colours();
  if (headline) out(c.bold(headline));
  out(`lab: ${d.dir}  (Kafka ${d.settings.kafkaVersion}${d.settings.secure ? ', SASL/SCRAM + ACLs' : ''})`);
  for (const p of d.processes) {
    const state = p.state === 'running' ? c.green(p.state) : p.state === 'paused' ? c.yellow(p.state) : c.red(p.state);
    const where = p.address ? ` ${p.address}` : '';
    const id = p.clusterId ? ` cluster ${p.clusterId}` : '';
    out(`  ${p.name.padEnd(5)} ${state.padEnd(7)}${p.pid ? ` pid ${p.pid}` : ''}${where}${id}`);
    out(`        log ${p.log}`);
  }
  for (const h of d.heartbeats) {
    out(`  heartbeat ${h.flow}: ${h.ageMs !== undefined ? `${(h.ageMs / 1000).toFixed(1)} s old` : c.yellow(h.error ?? 'unknown')}`);
  }
  out(`  mirrored topics: ${d.settings.topics.join(', ')}; groups: ${d.settings.groups.join(', ')}`);
}
