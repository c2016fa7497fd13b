import type { ScenarioKind } from '../runbook/drill.js';
import type { ExpectationResult } from './expectations.js';
import type { CommandResult } from './faults.js';
import type { Measurement } from './measure.js';
import type { Timeline } from './timeline.js';

/**
 * Everything a drill found, as data: `--json` prints it, and every report
 * (terminal, Markdown, HTML, JUnit) is rendered from it alone.
 */
export const DRILL_RESULT_VERSION = 1;

export interface DrillPhase {
  name: string;
  /** probe time (ms) when it began and ended */
  at: number;
  endAt?: number;
  ok?: boolean;
  detail?: string;
}

export interface DrillActionRun {
  action: string;
  outcome: string;
  exitCode: number;
  summary: string;
  /** the action's own transcript, when the engine wrote one */
  transcript?: string;
  at: number;
  ms: number;
  steps: { index: number; step: string; status: string; summary: string; at: number }[];
}

export interface DrillFiles {
  transcript: string;
  markdown: string;
  html: string;
  json: string;
  /** one JSON line per probe event: the raw data behind the numbers */
  probeRecords: string;
  /** the accuracy hook's control file (it exists only while a pause is pending) */
  control: string;
}

export interface DrillResult {
  version: typeof DRILL_RESULT_VERSION;
  runbook: { path: string; name: string; sha256: string };
  scenario: { name: string; kind: ScenarioKind; action: string; revert: boolean; description?: string; dwellMs: number; revertDwellMs?: number };
  runId: string;
  startedAt: string;
  durationMs: number;
  probe: {
    topic: string;
    group: string;
    /** the probe consumer's group protocol (absent in reports made before it was a setting: classic) */
    groupProtocol?: 'classic' | 'consumer';
    keys: number;
    ratePerSecond: number;
    /** the stale client: the home primary's address, fixed when the drill began */
    stale?: { cluster: string; bootstrap: string[]; topic: string; ratePerSecond: number; principal?: string };
  };
  clusters: { primary: string; secondary: string };
  phases: DrillPhase[];
  faults: (CommandResult & { label: string; at: number })[];
  actions: DrillActionRun[];
  measurement: Measurement;
  /** event ids of the lost events (`<run id>-<n>`) */
  lostEventIds: string[];
  /** the stale client's events acknowledged by a demoted cluster (`<run id>-s<n>`), the first 100 */
  writesToDemotedIds?: string[];
  /** the stale client's lost events, the first 100 */
  staleLostIds?: string[];
  expectations: ExpectationResult[];
  /** names of the breached expectations */
  breached: string[];
  /** the drill ran to its end: fault injected, action done, fault recovered */
  completed: boolean;
  /** completed and every expectation held */
  ok: boolean;
  /** why the drill did not complete, when it did not */
  problem?: string;
  timeline: Timeline;
  errors: { text: string; count: number }[];
  files: DrillFiles;
}

/** The result as JSON: indented, with arrays of numbers (the timeline's buckets) kept on one line. */
export function drillResultJson(r: DrillResult): string {
  return JSON.stringify(r, null, 2).replace(/\[\s*(-?\d[\d.eE+-]*(?:,\s*-?\d[\d.eE+-]*)*)\s*\]/g, (_m, nums: string) => `[${nums.split(/,\s*/).join(',')}]`) + '\n';
}
