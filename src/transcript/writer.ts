import { closeSync, fstatSync, fsyncSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FailoverError, errorMessage } from '../errors.js';
import { ensureDir, fileError } from '../files.js';
import { GENESIS_HASH, chainHash, sha256Hex, toJsonData } from './chain.js';
import { ENVELOPE_KEYS, TRANSCRIPT_VERSION, type EntryData, type TranscriptEntry } from './entries.js';
import { parseTranscript, verifyChain } from './reader.js';
import { redactJsonData, toRedactor, type Redactor } from './redact.js';

export interface TranscriptWriterOptions {
  /** a redactor, or the secret values themselves; applied to every entry before it is hashed and written */
  redact?: Redactor | readonly string[];
  /** for tests and fixtures */
  now?: () => Date;
}

/**
 * The append-only journal of one run. `append` returns only after the entry
 * is on disk (write, then fsync), so a caller can announce a side effect and
 * then perform it: if the machine dies in between, the transcript says what
 * was about to happen. Writes are synchronous on purpose; an action does one
 * thing at a time, and an fsync per entry is cheap next to a cluster call.
 */
export class TranscriptWriter {
  readonly path: string;
  private fd: number | undefined;
  private seq: number;
  private prevHash: string;
  private readonly redact: Redactor;
  private readonly now: () => Date;

  private constructor(path: string, fd: number, seq: number, prevHash: string, opts: TranscriptWriterOptions) {
    this.path = path;
    this.fd = fd;
    this.seq = seq;
    this.prevHash = prevHash;
    this.redact = toRedactor(opts.redact);
    this.now = opts.now ?? (() => new Date());
  }

  /** Starts a new transcript; refuses to write into a file that already has entries. */
  static create(path: string, opts: TranscriptWriterOptions = {}): TranscriptWriter {
    ensureDir(dirname(path), 'the transcripts folder', TRANSCRIPTS_HINT);
    const fd = openOrExplain(path);
    if (fstatSync(fd).size > 0) {
      closeSync(fd);
      throw new FailoverError(`transcript ${path} already has entries`, {
        hint: 'pass --resume to continue that run, or let failover choose a new file',
      });
    }
    syncDir(dirname(path));
    return new TranscriptWriter(path, fd, 0, GENESIS_HASH, opts);
  }

  /**
   * Opens an existing transcript to continue it: the next entry carries on
   * the seq and the hash chain. A torn last line (a crash during a write)
   * never announced anything, since its write did not finish; it is cut off
   * and a note records what was cut. Any other break in the chain is refused.
   */
  static resume(path: string, opts: TranscriptWriterOptions = {}): TranscriptWriter {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw new FailoverError(`cannot read transcript ${path}: ${errorMessage(e)}`, { hint: 'check the path given to --resume' });
    }
    const read = parseTranscript(text);
    const chain = verifyChain(read);
    if (!chain.ok && !(chain.firstBad && read.torn && chain.firstBad.line === read.torn.line)) {
      throw new FailoverError(`cannot resume ${path}: line ${chain.firstBad?.line}: ${chain.firstBad?.reason}`, {
        hint: `run \`failover transcript verify ${path}\`; a transcript whose chain is broken cannot be continued`,
      });
    }
    const last = read.entries.at(-1);
    const fd = openOrExplain(path);
    const writer = new TranscriptWriter(path, fd, last?.seq ?? 0, last?.hash ?? GENESIS_HASH, opts);
    if (read.torn) {
      ftruncateSync(fd, read.torn.offset);
      fsyncSync(fd);
      writer.append({
        type: 'note',
        text: `resume cut a torn line ${read.torn.line} (${read.torn.bytes} bytes) left by an interrupted write`,
        data: { tornLine: read.torn.line, tornBytes: read.torn.bytes, tornSha256: sha256Hex(read.torn.text) },
      });
    }
    return writer;
  }

  get lastSeq(): number {
    return this.seq;
  }

  get lastHash(): string {
    return this.prevHash;
  }

  /** Redacts, hashes, writes and fsyncs one entry; returns it as written. */
  append<D extends EntryData>(data: D): D & TranscriptEntry {
    if (this.fd === undefined) throw new FailoverError(`transcript ${this.path} is closed`, { hint: 'this is a bug in failover; please report it' });
    const body = redactJsonData(withoutEnvelope(toJsonData(data)), this.redact) as Record<string, unknown>;
    const seq = this.seq + 1;
    const unhashed = { v: TRANSCRIPT_VERSION, seq, time: this.now().toISOString(), type: data.type, ...body };
    const hash = chainHash(this.prevHash, unhashed);
    const entry = { ...unhashed, hash } as unknown as D & TranscriptEntry;
    const line = JSON.stringify(entry) + '\n';
    try {
      // One write call per line, so a crash leaves at most one torn line at the end.
      writeSync(this.fd, line);
      fsyncSync(this.fd);
    } catch (e) {
      throw fileError(e, 'write to the transcript', this.path, 'free space or fix the folder, then resume the run with --resume from this transcript');
    }
    this.seq = seq;
    this.prevHash = hash;
    return entry;
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}

function withoutEnvelope(data: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = { ...(data as Record<string, unknown>) };
  for (const k of ENVELOPE_KEYS) delete out[k];
  return out;
}

export const TRANSCRIPTS_HINT = 'choose a folder failover can write with --transcripts <dir>; an action does not start without its transcript';

function openOrExplain(path: string): number {
  try {
    return openSync(path, 'a');
  } catch (e) {
    throw fileError(e, 'open the transcript', path, TRANSCRIPTS_HINT);
  }
}

/** Makes a new file's directory entry durable too; not every platform can fsync a folder. */
function syncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Windows cannot open a folder for fsync; the file's own fsync still holds its data.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** `2026-05-01T12-30-05.123Z`: ISO 8601 with ':' replaced, so it sorts by time and is a valid file name everywhere. */
export function fileSafeTime(time: Date): string {
  return time.toISOString().replace(/:/g, '-');
}

/**
 * Where a run's transcript goes by default:
 * `<root>/<runbook-name>/<time>-<action>.jsonl`. Names are reduced to
 * characters that are safe in a path, so a runbook name cannot point outside
 * `root`.
 */
export function defaultTranscriptPath(runbookName: string, action: string, time: Date = new Date(), root = 'transcripts'): string {
  return join(root, safeSegment(runbookName), `${fileSafeTime(time)}-${safeSegment(action)}.jsonl`);
}

function safeSegment(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_');
  return cleaned === '' ? '_' : cleaned;
}
