import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { TranscriptWriter, type TranscriptWriterOptions } from '../../../src/transcript/writer.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export function tmpFile(name = 'run.jsonl'): string {
  const dir = mkdtempSync(join(tmpdir(), 'failover-transcript-'));
  dirs.push(dir);
  return join(dir, name);
}

/** A fixed clock: each call is one second after the last. */
export function clock(start = Date.UTC(2026, 0, 15, 9, 0, 0)): () => Date {
  let t = start - 1000;
  return () => new Date((t += 1000));
}

/** Six entries of a small promote run; returns the writer, still open. */
export function writeSample(path: string, opts: TranscriptWriterOptions = {}): TranscriptWriter {
  const w = TranscriptWriter.create(path, { now: clock(), ...opts });
  w.append({
    type: 'run-started',
    runbook: { path: 'runbooks/lab.yaml', name: 'lab', sha256: 'a'.repeat(64) },
    action: 'promote',
    toolVersion: '0.1.0',
    operator: 'sam',
    host: 'laptop',
    pid: 4242,
    argv: ['promote', 'runbooks/lab.yaml'],
  });
  w.append({ type: 'gate', gate: 'offsets', score: 2, blocking: true, summary: 'lag 0' });
  w.append({ type: 'step-planned', index: 0, step: 'fence-writes', summary: 'deny WRITE for User:app on orders', plan: { acls: 1 } });
  w.append({ type: 'step-applied', index: 0, step: 'fence-writes', outcome: { created: 1 } });
  w.append({ type: 'step-verified', index: 0, step: 'fence-writes', status: 'pass', finding: 'writes denied' });
  w.append({ type: 'run-finished', outcome: 'ok', exitCode: 0 });
  return w;
}

export function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').slice(0, -1);
}

export function writeLines(path: string, ls: string[]): void {
  writeFileSync(path, ls.map((l) => l + '\n').join(''));
}
