import type { GateContext } from './context.js';
import { pass, skip } from './evidence.js';
import { offsetAnalysis } from './offsetAnalysis.js';
import type { Evidence } from './types.js';

/**
 * What replication and a failback cost: reported, never blocking. Rates are
 * sampled from the workload itself (end offsets twice, at least a second apart) and
 * sized with the newest records; prices come from gates.cost.rates.
 */
export const COST_SAMPLE_MS = 1000;
/** Per-record overhead on the wire and on disk (batch and record headers), roughly. */
const RECORD_OVERHEAD_BYTES = 70;
const GB = 1024 ** 3;

export async function costGate(ctx: GateContext): Promise<Evidence[]> {
  const P = ctx.primary;
  const nb = { blocking: false } as const;
  if (!P.reachable) return [skip('cost.replication-rate', `primary ${P.name} unreachable (${P.error}): nothing to sample`, nb)];
  if (!P.ends?.ok) return [skip('cost.replication-rate', `end offsets on ${P.name} could not be read: ${P.ends?.error ?? 'not read'}`, nb)];
  const topics = ctx.workload.topics.map((t) => t.onPrimary).filter((t) => P.topics.has(t));
  const first = P.ends.value;
  // The sample runs from the snapshot's reading of the ends; the other gates'
  // work usually fills most of it, so only what is left of it is waited.
  const t0 = P.endsAt ?? P.takenAt;
  const left = COST_SAMPLE_MS - (Date.now() - t0);
  if (left > 0) await ctx.probes.sleep(left);
  const second = await ctx.probes.ends('primary', topics);
  const elapsed = Math.max(1, Date.now() - t0) / 1000;
  let records = 0;
  let retained = 0;
  for (const topic of topics) {
    for (const e of second.get(topic) ?? []) {
      const before = first.get(topic)?.find((x) => x.partition === e.partition);
      if (before) records += Math.max(0, e.latest - before.latest);
      retained += Math.max(0, e.latest - e.earliest);
    }
  }
  const sizes = P.newest?.ok ? [...P.newest.value.values()].map((r) => r.bytes + RECORD_OVERHEAD_BYTES) : [];
  const avg = sizes.length ? sizes.reduce((a, b) => a + b, 0) / sizes.length : undefined;
  const rates = ctx.runbook.gates.cost.rates;
  const currency = ctx.runbook.gates.cost.currency;
  const price = (bytes: number) => (rates.transferPerGB === undefined ? undefined : (bytes / GB) * rates.transferPerGB);
  const money = (v: number | undefined) => (v === undefined ? '' : ` (${v.toFixed(2)} ${currency})`);
  const fmt = (b: number) => (b >= GB ? `${(b / GB).toFixed(2)} GB` : b >= 1024 ** 2 ? `${(b / 1024 ** 2).toFixed(1)} MB` : `${(b / 1024).toFixed(1)} KB`);

  const recPerSec = records / elapsed;
  const bytesPerSec = avg === undefined ? undefined : recPerSec * avg;
  const perMonth = bytesPerSec === undefined ? undefined : bytesPerSec * 86_400 * 30;
  const out: Evidence[] = [];
  out.push(
    pass(
      'cost.replication-rate',
      bytesPerSec === undefined
        ? `${recPerSec.toFixed(1)} records/s on the workload topics (no record to size them by)`
        : `${recPerSec.toFixed(1)} records/s, about ${fmt(bytesPerSec)}/s replicated; ${fmt(perMonth!)} a month${money(price(perMonth!))}`,
      { ...nb, data: { sampleSeconds: elapsed, records, recordsPerSecond: recPerSec, averageRecordBytes: avg, bytesPerSecond: bytesPerSec, bytesPerMonth: perMonth, pricePerMonth: perMonth === undefined ? undefined : price(perMonth), currency } },
    ),
  );

  const a = await offsetAnalysis(ctx);
  const replayRecords = a.translations.reduce((n, t) => n + (t.replay ?? 0), 0);
  const replayBytes = avg === undefined ? undefined : replayRecords * avg;
  out.push(
    pass('cost.replay', `expected replay at switch: ${replayRecords} records${replayBytes === undefined ? '' : `, about ${fmt(replayBytes)}`}`, {
      ...nb,
      data: { replayRecords, replayBytes },
    }),
  );

  const perHour = bytesPerSec === undefined ? undefined : bytesPerSec * 3600;
  const full = avg === undefined ? undefined : retained * avg;
  out.push(
    pass(
      'cost.failback-resync',
      perHour === undefined || full === undefined
        ? `failback resync not sized: no record to size by (${retained} records retained)`
        : `failback resync: about ${fmt(perHour)} per hour spent promoted${money(price(perHour))}; ${fmt(full)} if ${P.name} must be rebuilt from scratch${money(price(full))}`,
      { ...nb, data: { bytesPerHourPromoted: perHour, retainedRecords: retained, fullResyncBytes: full, currency } },
    ),
  );
  return out;
}
