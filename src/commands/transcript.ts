import { ExitCode, isFailoverError, type ExitCodeValue } from '../errors.js';
import { ensureReadableFile } from '../files.js';
import { renderTranscriptMarkdown } from '../transcript/markdown.js';
import { readTranscript, verifyChain, type ReadTranscript } from '../transcript/reader.js';
import { out, printError, printJson, warn } from '../ui/report.js';

export interface TranscriptOptions {
  json?: boolean;
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

/** `failover transcript verify <file>`: 0 when the hash chain holds, 1 when it is broken, 2 when the file cannot be read. */
export async function transcriptVerify(file: string, opts: TranscriptOptions = {}): Promise<ExitCodeValue> {
  const read = await load(file);
  if (!read) return ExitCode.usage;
  const chain = verifyChain(read);
  if (opts.json) {
    printJson({ file, ...chain });
  } else if (chain.ok) {
    out(`${file}: chain holds, ${chain.entries} entries${chain.finished ? '' : ' (the run has no run-finished entry)'}`);
    out(`last hash ${chain.lastHash}`);
  } else if (chain.firstBad) {
    printError(
      `${file}:${chain.firstBad.line}: ${chain.firstBad.reason}`,
      `the first ${chain.entries} entries hold; everything from line ${chain.firstBad.line} on cannot be trusted`,
    );
  }
  return chain.ok ? ExitCode.ok : ExitCode.findings;
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
