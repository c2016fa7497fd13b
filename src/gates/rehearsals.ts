import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readTranscript, verifyChain } from '../transcript/reader.js';

/** One transcript of a revert of this runbook, judged as rehearsal evidence. */
export interface RevertRecord {
  file: string;
  /** when the run finished (or started, when it did not finish) */
  at: string;
  /** a successful, real (not dry-run) revert whose hash chain holds */
  counts: boolean;
  /** why it does not count */
  reason?: string;
}

const MAX_FILES = 2000;

async function jsonlFiles(dir: string, depth = 3): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isFile() && e.name.endsWith('.jsonl')) out.push(p);
    else if (e.isDirectory() && depth > 0) out.push(...(await jsonlFiles(p, depth - 1)));
    if (out.length >= MAX_FILES) break;
  }
  return out;
}

/**
 * Every revert of the runbook named `runbookName` recorded under `dir`
 * (transcripts/<runbook>/... by convention, but any layout is searched).
 * A revert counts when its run-started says action revert and not a dry
 * run, its last entry is run-finished with outcome ok, and its hash chain
 * verifies from the first line to the last.
 */
export async function findReverts(dir: string, runbookName: string): Promise<{ dirExists: boolean; reverts: RevertRecord[]; scanned: number }> {
  let dirExists = true;
  try {
    await readdir(dir);
  } catch {
    dirExists = false;
  }
  const files = await jsonlFiles(dir);
  const reverts: RevertRecord[] = [];
  for (const file of files) {
    let read;
    try {
      read = await readTranscript(file);
    } catch {
      continue;
    }
    const first = read.entries[0];
    if (!first || first.type !== 'run-started' || first.action !== 'revert' || first.runbook.name !== runbookName) continue;
    const last = read.entries[read.entries.length - 1];
    const at = last?.time ?? first.time;
    const chain = verifyChain(read);
    let reason: string | undefined;
    if (first.dryRun) reason = 'a dry run';
    else if (!chain.ok) reason = `its hash chain breaks at line ${chain.firstBad?.line}: ${chain.firstBad?.reason}`;
    else if (last?.type !== 'run-finished') reason = 'the run did not finish';
    else if (last.outcome !== 'ok') reason = `it finished with outcome ${last.outcome}`;
    reverts.push({ file, at, counts: reason === undefined, ...(reason === undefined ? {} : { reason }) });
  }
  reverts.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
  return { dirExists, reverts, scanned: files.length };
}
