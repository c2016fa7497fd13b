import { resolve } from 'node:path';
import { pairStatus, type FlowLag } from '../engine/status.js';
import { ExitCode, type ExitCodeValue } from '../errors.js';
import { folderToRead } from '../files.js';
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

/**
 * `failover status <runbook>`: phase, roles, who holds the lock, fences,
 * lag each way, the last transcript. Exit 1 when the pair is in danger (a
 * fence pending on a cluster that answers, copies of the state that
 * disagree), 2 when no cluster answers.
 */
export async function status(opts: StatusOptions): Promise<ExitCodeValue> {
  const env = opts.env ?? process.env;
  const transcriptsDir = resolve(opts.cwd, opts.transcripts ?? 'transcripts');
  folderToRead(transcriptsDir, 'the transcripts folder', 'give --transcripts the folder where failover wrote earlier transcripts (it need not exist yet)');
  const loaded = await loadRunbookOrThrow(resolve(opts.cwd, opts.runbook), { env, displayPath: opts.runbook });
  const s = await pairStatus(loaded, { transcriptsDir });
  const reachable = s.clusters.some((c) => c.reachable);
  // A pending fence on a cluster that answers (two writable primaries), or copies that disagree: a finding.
  const code = !reachable ? ExitCode.usage : s.hazards.some((h) => h.severity === 'fail') ? ExitCode.findings : ExitCode.ok;
  if (opts.json) {
    printJson(s);
    return code;
  }
  const c = colours();
  const w = (line: string) => out(redact(line));
  w(c.bold(s.runbook.name) + c.dim(` (${s.runbook.file})`));
  const ids = Object.entries(s.pair.ids).map(([n, id]) => `${n} ${id}`).join(', ');
  w(`pair:    ${ids || 'cluster ids unknown'}${s.pair.topic ? c.dim(` (state in ${s.pair.topic})`) : ''}`);
  if (s.pair.problem) w(c.red(`state:   ${s.pair.problem}`));
  w(`phase:   ${s.phase.phase}${s.recorded ? '' : c.dim(' (nothing recorded on the clusters: the runbook roles, steady)')}${s.phase.runbook && s.phase.runbook !== s.runbook.name && s.phase.phase !== 'steady' ? c.yellow(` by runbook ${s.phase.runbook}`) : ''}`);
  w(`roles:   ${s.roles.primary} primary, ${s.roles.secondary} secondary${s.roles.primary !== s.homeRoles.primary ? c.dim(` (home: ${s.homeRoles.primary} primary)`) : ''}`);
  w(`writes:  ${s.writer}${s.writerNote ? c.yellow(` (${s.writerNote})`) : ''}`);
  for (const d of s.phase.declaredDown ?? []) w(c.yellow(`declared down: ${d.cluster} by ${d.operator} on ${d.host} at ${d.time}: ${d.reason}`));
  for (const f of s.fences) {
    if (f.pending) w((f.pending.clusterAnswers ? c.red : c.yellow)(`fence:   ${f.cluster} PENDING since ${f.pending.since}${f.pending.clusterAnswers ? `: ${f.cluster} answers and is not fenced` : ` (${f.cluster} does not answer)`}`));
    else if (f.acls > 0) w(`fence:   ${f.cluster}, ${f.acls} DENY WRITE ACL(s) made by failover`);
  }
  for (const h of s.hazards) w((h.severity === 'fail' ? c.red : c.yellow)(`${h.severity === 'fail' ? 'DANGER' : 'warning'}: ${h.text}`));
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
  return code;
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
