import { resolve } from 'node:path';
import { pairStatus, type FlowLag } from '../engine/status.js';
import { ExitCode, type ExitCodeValue } from '../errors.js';
import { loadRunbookOrThrow } from '../runbook/load.js';
import { redact } from '../runbook/secrets.js';
import { colours } from '../ui/colour.js';
import { out, printJson } from '../ui/report.js';

export interface StatusOptions {
  runbook: string;
  json?: boolean;
  transcripts?: string;
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

/** `failover status <runbook>`: phase, roles, who holds the lock, lag each way, the last transcript. Exit 2 when no cluster answers. */
export async function status(opts: StatusOptions): Promise<ExitCodeValue> {
  const env = opts.env ?? process.env;
  const loaded = await loadRunbookOrThrow(resolve(opts.cwd, opts.runbook), { env, displayPath: opts.runbook });
  const s = await pairStatus(loaded, { transcriptsDir: resolve(opts.cwd, opts.transcripts ?? 'transcripts') });
  const reachable = s.clusters.some((c) => c.reachable);
  if (opts.json) {
    printJson(s);
    return reachable ? ExitCode.ok : ExitCode.usage;
  }
  const c = colours();
  const w = (line: string) => out(redact(line));
  w(c.bold(s.runbook.name) + c.dim(` (${s.runbook.file})`));
  w(`phase:   ${s.phase.phase}${s.recorded ? '' : c.dim(' (nothing recorded on the clusters: the runbook roles, steady)')}`);
  w(`roles:   ${s.phase.roles.primary} primary, ${s.phase.roles.secondary} secondary${s.phase.roles.primary !== s.homeRoles.primary ? c.dim(` (home: ${s.homeRoles.primary} primary)`) : ''}`);
  w(`writes:  ${s.writer}`);
  const held = s.locks.filter((l) => l.holder);
  if (held.length === 0) w('lock:    free');
  for (const l of held) w(`lock:    ${c.yellow(`held on ${l.cluster} by ${l.holder!.operator} on ${l.holder!.host} (pid ${l.holder!.pid}), ${l.holder!.action} since ${l.holder!.startedAt}`)}`);
  const newest = Math.max(0, ...s.clusters.map((cl) => cl.rev));
  for (const cl of s.clusters) {
    if (!cl.reachable) w(c.red(`${cl.cluster}: unreachable (${cl.error ?? 'no answer'})`));
    else if (s.recorded && !cl.topicExists) w(c.yellow(`${cl.cluster}: holds no copy of the state; the other copy is shown, and the next action's first state write creates it there`));
    else if (cl.rev < newest) w(c.yellow(`${cl.cluster}: its copy of the state is behind (revision ${cl.rev} of ${newest}); the newer copy is shown`));
  }
  for (const f of s.lag) w(`lag ${f.source}->${f.target}: ${lagLine(f, c)}`);
  if (s.lastTranscript) w(`last:    ${s.lastTranscript.path}${s.lastTranscript.action ? ` (${s.lastTranscript.action}${s.lastTranscript.operator ? ` by ${s.lastTranscript.operator}` : ''}, ${s.lastTranscript.outcome})` : ''}`);
  if (s.phase.transcript && s.phase.transcript !== s.lastTranscript?.path) w(`phase set by: ${s.phase.transcript}`);
  return reachable ? ExitCode.ok : ExitCode.usage;
}

/** A flow's lag: "N record(s) behind" only when every partition's lag in records is known. */
function lagLine(f: FlowLag, c: ReturnType<typeof colours>): string {
  if (f.error !== undefined) return `${c.red('cannot measure')} ${f.error}`;
  const list = (of: 'records' | 'seconds', count: number) => {
    const shown = (f.unknown ?? []).filter((u) => u.of === of).slice(0, 2);
    return `${shown.map((u) => `${u.topic}-${u.partition}: ${u.reason}`).join('; ')}${count > shown.length ? `; and ${count - shown.length} more` : ''}`;
  };
  const records = f.unknownPartitions ?? 0;
  if (records > 0) return `${c.red(`unknown for ${records} of ${f.partitions} partition(s)`)} (${list('records', records)}); worst known partition ${f.maxLag}`;
  const oldest = f.maxLagSeconds !== undefined ? `${f.maxLagSeconds.toFixed(1)} s` : `${c.yellow('unknown')} (${list('seconds', f.unknownAges ?? 0)})`;
  return `${f.totalLag} record(s) behind over ${f.partitions} partition(s), worst ${f.maxLag}, oldest ${oldest}`;
}
