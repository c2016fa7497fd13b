import type { DrillExpect } from '../runbook/drill.js';
import type { Measurement } from './measure.js';

/**
 * The drill's hypothesis, checked: each bound of `drill.expect` (merged with
 * the scenario's own) against what the probe measured.
 *
 * `maxWritesToDemoted` holds even when the runbook does not write it: at 0
 * whenever the stale client ran, because a second writable primary is the
 * failure a failover tool exists to prevent. A bound written for a drill
 * without a stale client is breached as not measured: nothing tested it.
 */
export interface ExpectationResult {
  name: keyof DrillExpect;
  /** what is measured, in the bound's unit */
  actual: number;
  limit: number;
  unit: 'events' | 'seconds';
  ok: boolean;
  /** one line: `maxLostEvents: 12 events lost, at most 0 expected` */
  finding: string;
}

const WHAT: Record<keyof DrillExpect, { unit: 'events' | 'seconds'; noun: string; of: (m: Measurement) => number }> = {
  maxLostEvents: { unit: 'events', noun: 'acknowledged events lost', of: (m) => m.lost },
  maxWriteDowntimeSeconds: { unit: 'seconds', noun: 'write downtime', of: (m) => m.writeDowntimeMs / 1000 },
  maxReadDowntimeSeconds: { unit: 'seconds', noun: 'read downtime', of: (m) => m.readDowntimeMs / 1000 },
  maxDuplicates: { unit: 'events', noun: 'duplicate receipts', of: (m) => m.duplicates },
  maxReorderings: { unit: 'events', noun: 'per-key reorderings', of: (m) => m.reorderings },
  maxWritesToDemoted: { unit: 'events', noun: 'stale-client writes acknowledged by the demoted cluster', of: (m) => m.writesToDemoted },
};

/** The bound when the runbook does not write one. */
export const DEFAULT_MAX_WRITES_TO_DEMOTED = 0;

export const EXPECTATION_ORDER = Object.keys(WHAT) as (keyof DrillExpect)[];

function show(v: number, unit: 'events' | 'seconds'): string {
  return unit === 'seconds' ? `${Number(v.toFixed(3))} s` : `${v}`;
}

export function mergeExpect(base: DrillExpect | undefined, scenario: DrillExpect | undefined): DrillExpect {
  const out: DrillExpect = { ...base };
  for (const [k, v] of Object.entries(scenario ?? {})) if (v !== undefined) out[k as keyof DrillExpect] = v;
  return out;
}

export function checkExpectations(expect: DrillExpect, m: Measurement): ExpectationResult[] {
  const out: ExpectationResult[] = [];
  for (const name of EXPECTATION_ORDER) {
    const limit = name === 'maxWritesToDemoted' && m.stale !== undefined ? (expect[name] ?? DEFAULT_MAX_WRITES_TO_DEMOTED) : expect[name];
    if (limit === undefined) continue;
    const w = WHAT[name];
    if (name === 'maxWritesToDemoted' && m.stale === undefined) {
      out.push({ name, actual: 0, limit, unit: w.unit, ok: false, finding: `${name}: not measured, because the drill ran no stale client (drill.probe.staleRatePerSecond is 0)` });
      continue;
    }
    const actual = w.of(m);
    const ok = actual <= limit;
    out.push({
      name,
      actual,
      limit,
      unit: w.unit,
      ok,
      finding: `${name}: ${w.noun} ${show(actual, w.unit)}, ${ok ? 'within' : 'above'} the bound of ${show(limit, w.unit)}`,
    });
  }
  return out;
}
