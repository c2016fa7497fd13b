import { resolve as resolvePath } from 'node:path';
import { ExitCode, FailoverError, errorMessage, type ExitCodeValue } from '../errors.js';
import type { LoadedRunbook } from '../runbook/load.js';
import { processSecrets } from '../runbook/secrets.js';
import { runFacts } from '../transcript/runFacts.js';
import { TranscriptWriter, defaultTranscriptPath } from '../transcript/writer.js';
import type { ConfirmAnswer, ConfirmRequest } from '../steps/types.js';
import { RunbookConnections } from './connections.js';
import { KEY, PairStore, type LockHolder, type PhaseRecord } from './state.js';

/**
 * `failover resolve`: the pair's clusters hold copies of the phase that were
 * written on both sides of a partition (each operator declared the other
 * side down). failover cannot know which is true; the operator says which
 * cluster's copy to keep. The kept copy is written to both clusters with a
 * lineage that descends from both, so the conflict is settled, and the
 * discarded copy is recorded in the transcript. Nothing else changes: the
 * fences and routes either side made stay as they are, and `status` and
 * `check` then say what to do about them.
 */
export interface ResolveRequest {
  loaded: LoadedRunbook;
  keep: string;
  reason: string;
  transcriptsDir: string;
  argv: string[];
  env?: NodeJS.ProcessEnv;
}

export interface ResolveResult {
  exitCode: ExitCodeValue;
  message: string;
  hint?: string;
  transcript?: string;
}

export async function resolveConflict(req: ResolveRequest, confirm: (r: ConfirmRequest) => Promise<ConfirmAnswer>, say: (line: string) => void): Promise<ResolveResult> {
  const rb = req.loaded.runbook;
  const connections = new RunbookConnections(rb);
  const store = await PairStore.open(rb, (c) => connections.get(c));
  let writer: TranscriptWriter | undefined;
  try {
    const view = await store.read();
    if (!view.located) return { exitCode: ExitCode.usage, message: view.identity.problem?.message ?? 'the pair cannot be located', ...(view.identity.problem ? { hint: view.identity.problem.hint } : {}) };
    if (view.clusters.some((c) => !c.reachable)) {
      return { exitCode: ExitCode.usage, message: `both clusters must answer to settle their copies: ${view.clusters.filter((c) => !c.reachable).map((c) => `${c.cluster} (${c.error})`).join(', ')}`, hint: 'run it again when the partition has healed' };
    }
    if (!view.conflict) return { exitCode: ExitCode.usage, message: 'the copies of the pair\'s state agree: nothing to resolve', hint: `\`failover status ${req.loaded.file}\`` };
    const kept = view.conflict.copies.find((c) => c.cluster === req.keep);
    if (!kept) return { exitCode: ExitCode.usage, message: `--keep ${req.keep}: not a cluster of the pair`, hint: `one of ${view.conflict.copies.map((c) => c.cluster).join(', ')}` };
    const dropped = view.conflict.copies.filter((c) => c.cluster !== req.keep);
    for (const c of view.conflict.copies) say(`${c.cluster}: ${c.record.phase} (${c.record.action ?? '-'} by ${c.record.operator ?? '?'} on ${c.record.host ?? '?'}${c.record.runbook ? `, runbook ${c.record.runbook}` : ''})${c.cluster === req.keep ? '  <- keep' : '  <- discard'}`);
    const question = `Keep ${req.keep}'s copy (${kept.record.phase}) on both clusters and discard ${dropped.map((d) => `${d.cluster}'s (${d.record.phase})`).join(', ')}?`;
    const answer = await confirm({ kind: 'run', message: question });
    if (!answer.yes) return { exitCode: ExitCode.stopped, message: 'not confirmed; nothing was changed' };
    const facts = runFacts(req.env ?? process.env);
    writer = TranscriptWriter.create(defaultTranscriptPath(rb.name, 'resolve', new Date(), req.transcriptsDir), { redact: (t) => processSecrets.redact(req.loaded.secrets.redact(t)) });
    const first = writer.append({
      type: 'run-started',
      runbook: { path: req.loaded.file, name: rb.name, sha256: req.loaded.contentHash },
      action: 'resolve',
      toolVersion: facts.toolVersion,
      operator: facts.operator,
      host: facts.host,
      pid: facts.pid,
      argv: req.argv,
      phase: { conflict: view.conflict },
    });
    writer.append({ type: 'confirmed', message: question, via: answer.via });
    const me: LockHolder = { runId: first.hash, action: 'resolve', runbook: rb.name, operator: facts.operator, host: facts.host, pid: facts.pid, startedAt: first.time, transcript: resolvePath(writer.path) };
    const lineage = [...new Set([...view.conflict.copies.flatMap((c) => c.record.lineage ?? [])])].slice(-31);
    const record: PhaseRecord = { ...kept.record, lineage: [...lineage, `resolve-${first.hash.slice(0, 12)}`] };
    writer.append({ type: 'note', text: `kept ${req.keep}'s copy: ${req.reason}`, data: { kept: kept.record, discarded: dropped } });
    await store.write(me, [{ key: KEY.phase, value: record as unknown as Record<string, unknown> }], { lock: false });
    const after = await store.read();
    const ok = !after.conflict;
    writer.append({ type: 'run-finished', outcome: ok ? 'ok' : 'failed', exitCode: ok ? 0 : 1, summary: ok ? `both clusters now hold ${req.keep}'s copy` : 'the copies still disagree' });
    return ok
      ? { exitCode: ExitCode.ok, message: `both clusters now hold ${req.keep}'s copy: the pair is ${record.phase}`, hint: `\`failover status ${req.loaded.file}\` shows what the discarded side left (fences, route)`, transcript: writer.path }
      : { exitCode: ExitCode.findings, message: 'the copies still disagree after the write', transcript: writer.path };
  } catch (e) {
    if (e instanceof FailoverError) return { exitCode: e.exitCode, message: e.message, ...(e.hint ? { hint: e.hint } : {}) };
    return { exitCode: ExitCode.findings, message: errorMessage(e) };
  } finally {
    writer?.close();
    await store.close();
    await connections.close();
  }
}
