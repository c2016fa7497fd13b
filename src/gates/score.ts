import type { GateName } from '../runbook/gates.js';
import type { Evidence, GateResult, Score } from './types.js';

/**
 * Scoring, the same for every gate:
 * - 0 (`blocked`): a blocking check failed, or the gate could not run;
 * - 1 (`basic`): every blocking check passed, but something warned, was
 *   skipped (evidence incomplete), or a non-blocking check failed;
 * - 2 (`ready`): everything passed and the evidence is complete.
 * The cost gate is scored the same way but its verdict is `report`: it never blocks.
 */
export function scoreEvidence(evidence: readonly Evidence[]): { score: Score; keyEvidence: Evidence | undefined } {
  if (evidence.length === 0) return { score: 0, keyEvidence: undefined };
  const blockingFail = evidence.find((e) => e.status === 'fail' && e.blocking !== false);
  if (blockingFail) return { score: 0, keyEvidence: blockingFail };
  const short = evidence.find((e) => e.status === 'fail') ?? evidence.find((e) => e.status === 'warn') ?? evidence.find((e) => e.status === 'skip');
  if (short) return { score: 1, keyEvidence: short };
  return { score: 2, keyEvidence: undefined };
}

export function verdictOf(gate: GateName, score: Score): GateResult['verdict'] {
  if (gate === 'cost') return 'report';
  return score === 2 ? 'ready' : score === 1 ? 'basic' : 'blocked';
}

/** A gate result from its evidence; `summary` is the key finding when nothing falls short. */
export function gateResult(gate: GateName, evidence: Evidence[], elapsedMs: number, summary?: string): GateResult {
  const { score, keyEvidence } = scoreEvidence(evidence);
  const keyFinding = keyEvidence?.finding ?? (evidence.length === 0 ? 'no checks ran' : (summary ?? 'every check passed'));
  return { gate, score, verdict: verdictOf(gate, score), keyFinding, evidence, elapsedMs };
}

/** A gate that threw: it could not run, which scores 0. */
export function gateError(gate: GateName, error: unknown, elapsedMs: number): GateResult {
  const message = error instanceof Error ? error.message : String(error);
  const evidence: Evidence[] = [{ check: `${gate}.run`, status: 'fail', finding: `the ${gate} gate could not run: ${message}` }];
  return { gate, score: 0, verdict: verdictOf(gate, 0), keyFinding: evidence[0]!.finding, evidence, elapsedMs };
}
