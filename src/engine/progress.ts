import type { EntryOf, RunOutcome, TranscriptEntry } from '../transcript/entries.js';
import type { OutcomeBase, PlanBase } from '../steps/types.js';

/** What a transcript says about each step of its run. */
export interface StepProgressRecord {
  /** the step as the transcript names it (`fence-writes`, `undo switch-route`) */
  step?: string;
  /** the newest recorded plan */
  plan?: PlanBase;
  /** the outcome recorded after that plan, if it was applied */
  outcome?: OutcomeBase;
  /** how many times the step was applied, over the whole run */
  applied: number;
  /** the newest verification after that apply */
  verified?: { status: string; finding: string };
}

export interface RunProgress {
  runId: string;
  started: EntryOf<'run-started'>;
  steps: Map<number, StepProgressRecord>;
  /** the last run-finished entry, if any process ended the run */
  lastOutcome?: RunOutcome;
  /** the run got past its gates and was confirmed at least once */
  confirmed: boolean;
}

/** Reads a run's progress from its transcript entries, in order. Pure. */
export function progressOf(entries: readonly TranscriptEntry[]): RunProgress | undefined {
  const first = entries[0];
  if (!first || first.type !== 'run-started') return undefined;
  const steps = new Map<number, StepProgressRecord>();
  const at = (i: number) => {
    let s = steps.get(i);
    if (!s) steps.set(i, (s = { applied: 0 }));
    return s;
  };
  let lastOutcome: RunOutcome | undefined;
  let confirmed = false;
  for (const e of entries) {
    switch (e.type) {
      case 'step-planned': {
        const s = at(e.index);
        s.step = e.step;
        s.plan = e.plan as PlanBase;
        delete s.outcome;
        delete s.verified;
        break;
      }
      case 'step-applied': {
        const s = at(e.index);
        s.outcome = e.outcome as OutcomeBase;
        s.applied++;
        delete s.verified;
        break;
      }
      case 'step-verified':
        at(e.index).verified = { status: e.status, finding: e.finding };
        break;
      case 'confirmed':
        if (e.index === undefined) confirmed = true;
        break;
      case 'run-finished':
        lastOutcome = e.outcome;
        break;
      default:
        break;
    }
  }
  return { runId: first.hash, started: first as EntryOf<'run-started'>, steps, ...(lastOutcome ? { lastOutcome } : {}), confirmed };
}

/** A step is done when it was applied and the newest verification passed (or warned). */
export function isDone(s: StepProgressRecord | undefined): boolean {
  return Boolean(s && s.outcome && s.verified && s.verified.status !== 'fail');
}
