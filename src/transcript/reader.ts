import { readFile } from 'node:fs/promises';
import { ExitCode, FailoverError, errorMessage } from '../errors.js';
import { GENESIS_HASH, chainHash } from './chain.js';
import { TRANSCRIPT_VERSION, isEntryType, type EntryType, type TranscriptEntry } from './entries.js';

/** One complete (newline-terminated) line of a transcript file. */
export interface TranscriptLine {
  /** 1-based line number in the file */
  line: number;
  text: string;
  entry?: TranscriptEntry;
  /** why the line is not an entry */
  error?: string;
}

export interface TornLine {
  line: number;
  /** byte offset where the torn line starts; the file is intact up to here */
  offset: number;
  bytes: number;
  text: string;
}

export interface ReadTranscript {
  lines: TranscriptLine[];
  /** the lines that parsed as entries, in file order */
  entries: TranscriptEntry[];
  /**
   * Text after the last newline. The writer ends every entry with a newline
   * in the same write, so such text is a write a crash cut short.
   */
  torn?: TornLine;
}

export interface ChainResult {
  ok: boolean;
  /** how many entries hold, from the first up to the first bad line (all of them when ok) */
  entries: number;
  /** the hash of the last entry that holds (the genesis value if none does) */
  lastHash: string;
  /** the last entry that holds is `run-finished` */
  finished: boolean;
  firstBad?: { line: number; reason: string };
}

/** Reads and parses a transcript file; a missing or unreadable file is a usage error with a hint. */
export async function readTranscript(path: string): Promise<ReadTranscript> {
  let buf: Buffer;
  try {
    buf = await readFile(path);
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    throw new FailoverError(missing ? `no transcript at ${path}` : `cannot read transcript ${path}: ${errorMessage(e)}`, {
      exitCode: ExitCode.usage,
      hint: missing ? 'transcripts are written under transcripts/<runbook-name>/; check the path' : 'check the file permissions',
    });
  }
  return parseTranscript(buf);
}

/** Parses transcript text. Never throws: bad lines carry an `error`, a torn tail is reported in `torn`. */
export function parseTranscript(content: string | Buffer): ReadTranscript {
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const end = text.lastIndexOf('\n') + 1;
  const body = text.slice(0, end);
  const tail = text.slice(end);
  const raw = body === '' ? [] : body.slice(0, -1).split('\n');

  const lines: TranscriptLine[] = raw.map((t, i) => {
    const line = i + 1;
    const parsed = parseEntry(t.endsWith('\r') ? t.slice(0, -1) : t);
    return typeof parsed === 'string' ? { line, text: t, error: parsed } : { line, text: t, entry: parsed };
  });
  const result: ReadTranscript = { lines, entries: lines.flatMap((l) => (l.entry ? [l.entry] : [])) };
  if (tail !== '') {
    result.torn = { line: raw.length + 1, offset: Buffer.byteLength(body, 'utf8'), bytes: Buffer.byteLength(tail, 'utf8'), text: tail };
  }
  return result;
}

type FieldKind = 'string' | 'number' | 'boolean' | 'object' | 'array';

/** The fields each entry type must have for the reader and renderer to rely on them. */
const REQUIRED: Record<EntryType, Record<string, FieldKind>> = {
  'run-started': { runbook: 'object', action: 'string', toolVersion: 'string', operator: 'string', host: 'string', pid: 'number', argv: 'array' },
  gate: { gate: 'string', score: 'number' },
  check: { gate: 'string', check: 'string', status: 'string', finding: 'string' },
  'step-planned': { index: 'number', step: 'string' },
  confirmed: { message: 'string', via: 'string' },
  'step-applied': { index: 'number', step: 'string' },
  'step-verified': { index: 'number', step: 'string', status: 'string', finding: 'string' },
  stopped: { reason: 'string', resumable: 'boolean' },
  override: { gate: 'string', reason: 'string' },
  'run-finished': { outcome: 'string', exitCode: 'number' },
  note: { text: 'string' },
};

function kindOf(v: unknown): FieldKind | 'null' | 'other' {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  const t = typeof v;
  return t === 'string' || t === 'number' || t === 'boolean' || t === 'object' ? t : 'other';
}

/** An entry, or the reason the line is not one. */
function parseEntry(text: string): TranscriptEntry | string {
  if (text.trim() === '') return 'empty line';
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `not JSON (${errorMessage(e)})`;
  }
  if (kindOf(v) !== 'object') return 'not a JSON object';
  const o = v as Record<string, unknown>;
  if (o.v !== TRANSCRIPT_VERSION) return `unsupported transcript version ${JSON.stringify(o.v)} (this failover reads version ${TRANSCRIPT_VERSION})`;
  if (typeof o.seq !== 'number' || !Number.isInteger(o.seq) || o.seq < 1) return 'missing or invalid seq';
  if (typeof o.time !== 'string' || Number.isNaN(Date.parse(o.time))) return 'missing or invalid time';
  if (typeof o.hash !== 'string' || !/^[0-9a-f]{64}$/.test(o.hash)) return 'missing or invalid hash';
  if (!isEntryType(o.type)) return `unknown entry type ${JSON.stringify(o.type)}`;
  for (const [field, kind] of Object.entries(REQUIRED[o.type])) {
    if (kindOf(o[field]) !== kind) return `${o.type} entry without a valid '${field}' (${kind})`;
  }
  if (o.type === 'run-started') {
    const rb = o.runbook as Record<string, unknown>;
    for (const f of ['path', 'name', 'sha256']) if (typeof rb[f] !== 'string') return `run-started entry without runbook.${f}`;
  }
  return o as unknown as TranscriptEntry;
}

/**
 * Checks a transcript's seq numbers and hash chain from the first line and
 * names the first line that breaks it: an edited line (its hash no longer
 * matches), a deleted line (a seq is missing), reordered lines (a seq comes
 * early or late), a line that is not an entry, or a torn last line.
 *
 * Deleting lines from the end cannot be told from a run that stopped there;
 * `finished` says whether the run recorded its end.
 */
export function verifyChain(input: ReadTranscript | readonly TranscriptEntry[]): ChainResult {
  const lines: TranscriptLine[] = isRead(input) ? input.lines : input.map((entry, i) => ({ line: i + 1, text: '', entry }));
  const torn = isRead(input) ? input.torn : undefined;
  let prev = GENESIS_HASH;
  let good = 0;
  let last: TranscriptEntry | undefined;
  const bad = (line: number, reason: string): ChainResult => ({ ok: false, entries: good, lastHash: prev, finished: last?.type === 'run-finished', firstBad: { line, reason } });

  for (const [i, l] of lines.entries()) {
    if (!l.entry) return bad(l.line, l.error ?? 'not an entry');
    const e = l.entry;
    const expected = good + 1;
    if (e.seq !== expected) {
      if (e.seq < expected) return bad(l.line, `seq ${e.seq} where ${expected} was expected: a line was duplicated or moved back`);
      const later = lines.slice(i + 1).find((x) => x.entry?.seq === expected);
      return later
        ? bad(l.line, `seq ${e.seq} where ${expected} was expected; seq ${expected} is at line ${later.line}: lines were reordered`)
        : bad(l.line, `seq ${e.seq} where ${expected} was expected; seq ${expected} is missing: a line was deleted`);
    }
    if (expected === 1 && e.type !== 'run-started') return bad(l.line, `the first entry is ${e.type}, not run-started`);
    const { hash, ...unhashed } = e;
    if (chainHash(prev, unhashed) !== hash) {
      return bad(l.line, 'hash does not match the entry and the one before it: this line was edited (or an earlier one, with its hash recomputed)');
    }
    prev = hash;
    good = expected;
    last = e;
  }
  if (torn) return bad(torn.line, `torn last line (${torn.bytes} bytes without a newline): a write was cut short, e.g. by a crash`);
  return { ok: true, entries: good, lastHash: prev, finished: last?.type === 'run-finished' };
}

function isRead(x: ReadTranscript | readonly TranscriptEntry[]): x is ReadTranscript {
  return !Array.isArray(x);
}
