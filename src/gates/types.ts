import type { GateName } from '../runbook/gates.js';

/**
 * The data every gate returns. Nothing here renders: commands turn these
 * into tables, JSON, JUnit and Markdown.
 */
export type EvidenceStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface Evidence {
  /** stable id of the check, e.g. `compatibility.partitions` */
  check: string;
  status: EvidenceStatus;
  /** one line a person reads at 3 a.m.: what was found, naming cluster, topic, group */
  finding: string;
  /** the facts behind the finding, as plain JSON data */
  data?: unknown;
  /** false for checks that inform (cost, optional evidence) but never block */
  blocking?: boolean;
  /** what to do next when the check does not pass */
  hint?: string;
}

export type Score = 0 | 1 | 2;

export interface GateResult {
  gate: GateName;
  score: Score;
  /** 'ready' (2), 'basic' (1), 'blocked' (0), or 'report' for cost */
  verdict: 'ready' | 'basic' | 'blocked' | 'report';
  /** the finding that explains the score */
  keyFinding: string;
  evidence: Evidence[];
  elapsedMs: number;
}

/** The phase of the pair, kept on the clusters (see src/engine/). */
/** `aborting`: `failover abort` is undoing an unfinished promote, revert or continue-forward. */
export type Phase = 'steady' | 'promoting' | 'promoted' | 'reverting' | 'continuing' | 'aborting';

export interface RolesInForce {
  primary: string;
  secondary: string;
}
