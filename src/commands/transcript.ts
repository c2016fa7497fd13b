import { resolve } from 'node:path';
import type { AnchorCheck } from '../engine/anchors.js';
import { ExitCode, isFailoverError, type ExitCodeValue } from '../errors.js';
import { ensureReadableFile } from '../files.js';
import { loadRunbookOrThrow } from '../runbook/load.js';
import { renderTranscriptMarkdown } from '../transcript/markdown.js';
import { readTranscript, verifyChain, type ReadTranscript } from '../transcript/reader.js';
import { out, printError, printJson, warn } from '../ui/report.js';

export interface TranscriptOptions {
  json?: boolean;
  /** verify: check the chain against the anchors the pair's clusters hold */
  runbook?: string;
  cwd?: string;
}

/** `failover transcript show <file>`: Markdown for the postmortem, or the entries as JSON. */
export async function transcriptShow(file: string, opts: TranscriptOptions = {}): Promise<ExitCodeValue> {
  const read = await load(file);
  if (!read) return ExitCode.usage;
  const chain = verifyChain(read);
  if (opts.json) {
    printJson({ file, chain, entries: read.entries, badLines: badLines(read), torn: read.torn ? { line: read.torn.line, bytes: read.torn.bytes } : undefined });
    return ExitCode.ok;
  }
  if (!chain.ok && chain.firstBad) {
    warn(`${file}:${chain.firstBad.line}: ${chain.firstBad.reason}`);
  }
  out(renderTranscriptMarkdown(read.entries, { file, chain }));
  return ExitCode.ok;
}

/**
 * `failover transcript verify <file> [--runbook R]`: 0 when the hash chain
 * holds and the run recorded its end (or still holds the pair's lock), 1
 * when the chain is broken, the run is incomplete, or (with --runbook) the
 * file differs from the anchors on the clusters; 2 when it cannot be read.
 */
export async function transcriptVerify(file: string, opts: TranscriptOptions = {}): Promise<ExitCodeValue> {
  const read = await load(file);
  if (!read) return ExitCode.usage;
  const chain = verifyChain(read);
  let anchors: AnchorCheck | undefined;
  if (opts.runbook && chain.entries > 0) {
    const { checkAnchors } = await import('../engine/anchors.js');
    const loaded = await loadRunbookOrThrow(resolve(opts.cwd ?? process.cwd(), opts.runbook), { displayPath: opts.runbook });
    anchors = await checkAnchors(loaded, read);
  }
  // A run without its closing entry is incomplete, unless it is still running (it holds the pair's lock).
  const running = anchors?.lockedByThisRun === true;
  const incomplete = chain.ok && !chain.finished && !running;
  const ok = chain.ok && !incomplete && (anchors === undefined || anchors.ok);
  if (opts.json) {
    printJson({ file, ...chain, ok, incomplete, running, ...(anchors ? { anchors } : {}) });
  } else if (!chain.ok && chain.firstBad) {
    printError(
      `${file}:${chain.firstBad.line}: ${chain.firstBad.reason}`,
      `the first ${chain.entries} entries hold; everything from line ${chain.firstBad.line} on cannot be trusted`,
    );
  } else {
    out(`${file}: chain holds, ${chain.entries} entries`);
    out(`last hash ${chain.lastHash}`);
    if (anchors) (anchors.ok ? out : (t: string) => printError(t, 'the file is not the transcript the run wrote; keep the clusters\' record as the evidence'))(`anchors: ${anchors.finding}`);
    if (running) out('the run still holds the pair\'s lock: it is in progress');
    if (incomplete) printError(`${file}: incomplete: the run has no run-finished entry${opts.runbook ? ' and does not hold the pair\'s lock' : ''}`, opts.runbook ? 'it was cut short or lost its end; resume it, or abort the pair' : 'pass --runbook to check whether the run still holds the lock, and the anchors on the clusters');
  }
  return ok ? ExitCode.ok : ExitCode.findings;
}

async function load(file: string): Promise<ReadTranscript | undefined> {
  try {
    // A folder, a pipe or a device is refused before it is opened: reading a pipe would wait for ever.
    ensureReadableFile(file, 'transcript', 'give the path of a .jsonl transcript (they are written under transcripts/<runbook-name>/)');
    return await readTranscript(file);
  } catch (e) {
    if (!isFailoverError(e)) throw e;
    printError(e.message, e.hint);
    return undefined;
  }
}

function badLines(read: ReadTranscript): { line: number; error: string }[] {
  return read.lines.flatMap((l) => (l.error === undefined ? [] : [{ line: l.line, error: l.error }]));
}
