import { readFileSync, existsSync } from 'node:fs';
import { ExitCode, FailoverError, type ExitCodeValue } from '../errors.js';
import { describeLab, labDown as down, labLogFiles, labSignal as signalLab, labUp as up, type LabDescription } from '../lab/lab.js';
import { shapeOf, type LabSaslMechanism, type LabSettings, type ReplicationPolicyName } from '../lab/labConfig.js';
import { colours } from '../ui/colour.js';
import { info, out, printJson } from '../ui/report.js';

function list(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const items = v.split(',').map((x) => x.trim()).filter(Boolean);
  if (items.length === 0) throw new FailoverError(`empty list: "${v}"`, { hint: 'give comma-separated names' });
  return items;
}

export async function labUp(opts: {
  dir: string; kafka?: string; secure?: boolean; eastPort?: number; westPort?: number; topics?: string; groups?: string; json?: boolean;
  withoutAuthorizer?: string; brokers?: 1 | 3; tls?: boolean; sasl?: LabSaslMechanism; replicationPolicy?: ReplicationPolicyName;
  syncGroupOffsets?: boolean;
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
      ...(opts.eastPort !== undefined ? { eastPort: opts.eastPort } : {}),
      ...(opts.westPort !== undefined ? { westPort: opts.westPort } : {}),
      ...(topics ? { topics } : {}),
      ...(groups ? { groups } : {}),
      ...(withoutAuthorizer ? { withoutAuthorizer: withoutAuthorizer as ('east' | 'west')[] } : {}),
      ...(opts.brokers ? { brokers: opts.brokers } : {}),
      ...(opts.tls ? { tls: true } : {}),
      ...(opts.sasl ? { sasl: opts.sasl } : {}),
      ...(opts.replicationPolicy ? { replicationPolicy: opts.replicationPolicy } : {}),
      ...(opts.syncGroupOffsets !== undefined ? { syncGroupOffsets: opts.syncGroupOffsets } : {}),
    },
    (line) => info(line),
  );
  if (opts.json) printJson(d);
  else {
    render(d, d.alreadyRunning ? 'The lab is already running; nothing changed.' : `The lab is ready (${(d.elapsedMs / 1000).toFixed(1)} s).`);
    for (const f of d.wrote ?? []) out(`  wrote ${f}`);
  }
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
  if (r.purged) out(`deleted ${opts.dir} (its data, route files, credentials and runbook)`);
  return ExitCode.ok;
}

export async function labSignal(action: 'kill' | 'pause' | 'resume', target: string, opts: { dir: string }): Promise<ExitCodeValue> {
  const r = signalLab(opts.dir, action, target);
  const verb = action === 'kill' ? 'killed' : action === 'pause' ? 'paused' : 'resumed';
  out(`${verb} ${r.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`);
  return ExitCode.ok;
}

export async function labLogs(target: string, opts: { dir: string; lines: number }): Promise<ExitCodeValue> {
  const files = labLogFiles(opts.dir, target);
  const missing = files.filter((f) => !existsSync(f.file));
  if (missing.length === files.length) throw new FailoverError(`no log yet for ${target} (${files.map((f) => f.file).join(', ')})`, { hint: 'run `failover lab up` first' });
  for (const f of files) {
    if (!existsSync(f.file)) continue;
    if (files.length > 1) out(`== ${f.name} (${f.file})`);
    const lines = readFileSync(f.file, 'utf8').split('\n');
    out(lines.slice(-opts.lines - 1).join('\n'));
  }
  return ExitCode.ok;
}

function render(d: LabDescription, headline?: string): void {
  const c = colours();
  if (headline) out(c.bold(headline));
  out(`lab: ${d.dir}  (${profileWords(d.settings)})`);
  if (shapeOf(d.settings).sasl === 'oauthbearer') {
    out(c.yellow('  OAUTHBEARER here uses unsecured tokens (alg none) that anyone can write: for labs only, never for a cluster that matters.'));
  }
  for (const p of d.processes) {
    const state = p.state === 'running' ? c.green(p.state) : p.state === 'paused' ? c.yellow(p.state) : c.red(p.state);
    const where = p.address ? ` ${p.address}` : '';
    const id = p.clusterId ? ` cluster ${p.clusterId}` : '';
    out(`  ${p.name.padEnd(6)} ${state.padEnd(7)}${p.pid ? ` pid ${p.pid}` : ''}${where}${id}`);
    out(`        log ${p.log}`);
  }
  for (const h of d.heartbeats) {
    out(`  heartbeat ${h.flow}: ${h.ageMs !== undefined ? `${(h.ageMs / 1000).toFixed(1)} s old` : c.yellow(h.error ?? 'unknown')}`);
  }
  out(`  mirrored topics: ${d.settings.topics.join(', ')}; groups: ${d.settings.groups.join(', ')}`);
}

/** The lab's shape in words: `Kafka 4.3.1, 3 brokers per cluster, TLS, SASL/SCRAM-SHA-512 + ACLs`. */
export function profileWords(s: LabSettings): string {
  const shape = shapeOf(s);
  const parts = [`Kafka ${s.kafkaVersion}`];
  if (shape.brokers > 1) parts.push(`${shape.brokers} brokers per cluster`);
  if (shape.tls) parts.push('TLS');
  if (shape.sasl) parts.push(`SASL/${shape.sasl.toUpperCase()} + ACLs`);
  if (shape.replicationPolicy === 'identity') parts.push('identity naming, east->west only');
  if (shape.syncGroupOffsets) parts.push('MM2 group offset sync');
  return parts.join(', ');
}
