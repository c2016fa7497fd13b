/**
 * The entries of a transcript: one JSON object per line. Every entry has the
 * envelope `{ v, seq, time, type, ..., hash }`; the rest depends on `type`.
 *
 * Data the engine computes (plans, outcomes, evidence data) is typed
 * `unknown` here: the transcript records it as it was, and the reader must
 * not assume a shape a later version of a step may change.
 */

/** Bumped when an entry's meaning changes; readers refuse versions they do not know. */
export const TRANSCRIPT_VERSION = 1;

export type EvidenceStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface Envelope {
  v: typeof TRANSCRIPT_VERSION;
  /** 1 for the first entry, then +1; equals the line number in an intact file */
  seq: number;
  /** ISO 8601, UTC */
  time: string;
  /** sha256 hex of the previous hash and this entry; see chain.ts */
  hash: string;
}

export interface RunStarted {
  type: 'run-started';
  runbook: {
    path: string;
    name: string;
    /** sha256 hex of the runbook file's bytes */
    sha256: string;
  };
  /** 'promote', 'revert', 'continue-forward', or 'drill' */
  action: string;
  toolVersion: string;
  operator: string;
  host: string;
  pid: number;
  argv: string[];
  dryRun?: boolean;
  /** the clusters' roles and phase as read at start */
  phase?: unknown;
  /** the pair of clusters by id, and its state topic */
  pair?: unknown;
  /** clusters the operator declared down to act without their lock */
  declaredDown?: unknown;
  /** an engine-made program (abort, fence), recorded so that a resume runs the same one */
  program?: unknown;
}

export interface GateEntry {
  type: 'gate';
  gate: string;
  score: 0 | 1 | 2;
  /** true when the action requires this gate */
  blocking?: boolean;
  summary?: string;
  data?: unknown;
}

export interface CheckEntry {
  type: 'check';
  gate: string;
  check: string;
  status: EvidenceStatus;
  finding: string;
  data?: unknown;
}

/** Steps are named by their position in the action (0-based) and their type. */
export interface StepRef {
  index: number;
  step: string;
}

export interface StepPlanned extends StepRef {
  type: 'step-planned';
  summary?: string;
  plan: unknown;
}

export interface Confirmed {
  type: 'confirmed';
  /** absent when the confirmation covers the whole run */
  index?: number;
  message: string;
  /** 'prompt' when a person answered, 'flag' for --yes */
  via: 'prompt' | 'flag';
}

export interface StepApplied extends StepRef {
  type: 'step-applied';
  summary?: string;
  outcome: unknown;
  durationMs?: number;
}

export interface StepVerified extends StepRef {
  type: 'step-verified';
  status: EvidenceStatus;
  finding: string;
  data?: unknown;
}

export interface Stopped {
  type: 'stopped';
  reason: string;
  /** the stop criterion that fired, e.g. 'lagSecondsAbove' */
  criterion?: string;
  index?: number;
  resumable: boolean;
  data?: unknown;
}

export interface Override {
  type: 'override';
  gate: string;
  reason: string;
  score?: 0 | 1 | 2;
}

export type RunOutcome = 'ok' | 'failed' | 'stopped' | 'interrupted' | 'dry-run';

export interface RunFinished {
  type: 'run-finished';
  outcome: RunOutcome;
  exitCode: number;
  summary?: string;
  durationMs?: number;
}

export interface Note {
  type: 'note';
  text: string;
  data?: unknown;
}

/** What a caller hands to the writer: everything but the envelope. */
export type EntryData =
  | RunStarted
  | GateEntry
  | CheckEntry
  | StepPlanned
  | Confirmed
  | StepApplied
  | StepVerified
  | Stopped
  | Override
  | RunFinished
  | Note;

export type EntryType = EntryData['type'];

/** A written entry, as it stands on disk. */
export type TranscriptEntry = EntryData & Envelope;

export type EntryOf<T extends EntryType> = Extract<EntryData, { type: T }> & Envelope;

export const ENTRY_TYPES: readonly EntryType[] = [
  'run-started',
  'gate',
  'check',
  'step-planned',
  'confirmed',
  'step-applied',
  'step-verified',
  'stopped',
  'override',
  'run-finished',
  'note',
];

/** Keys the writer owns; a caller's data cannot set them. */
export const ENVELOPE_KEYS = ['v', 'seq', 'time', 'type', 'hash'] as const;

export function isEntryType(t: unknown): t is EntryType {
  return typeof t === 'string' && (ENTRY_TYPES as readonly string[]).includes(t);
}
