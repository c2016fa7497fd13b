import { ERROR_KINDS, type ProbeLog } from './probeLog.js';
import type { SurvivorRead } from './measure.js';

/**
 * Split brain, measured: what the stale client (staleClient.ts) got
 * acknowledged by a cluster the route had left. Pure: its log, the drill's
 * route switches and the reads to the end in, numbers out.
 *
 * Definitions (the README's Drills section repeats them):
 * - a switch: an action's switch-route step, from the moment it began to
 *   apply (the route may move from then on) to the end of the drill or the
 *   next switch; the demoted cluster is the one the route named just before
 *   it (for a promote the home primary, for a revert the cluster reverted
 *   away from);
 * - writesToDemoted: stale-client events acknowledged, at or after a
 *   switch, by the cluster that switch demoted (and no later switch has
 *   made the route's target again). The acknowledgement's time counts, not
 *   the send's: an event in flight across the switch that the demoted
 *   cluster took is a write to it;
 * - ackedBeforeSwitch: stale-client events the first demoted cluster
 *   acknowledged before the first switch: the stale client really wrote,
 *   so a writesToDemoted of 0 means the writes were refused (a fence), not
 *   that nothing was tried;
 * - stale lost: stale-client events acknowledged before a read to the end
 *   began and absent from it, the rule of `lost`, over the reads that
 *   looked at the stale client's topic. They are counted here and never in
 *   the probe's `lost`, which `maxLostEvents` bounds: the probe's figures
 *   describe the clients that follow the route. A write to the demoted
 *   cluster that never crossed to the promoted one is in both
 *   writesToDemoted and stale lost (`demotedLost`).
 */

export interface RouteSwitch {
  /** the action whose switch-route step this was */
  action: string;
  /** probe time when the step began to apply */
  at: number;
  /** the cluster the route named before the switch */
  demoted: string;
}

export interface StaleMeasurement {
  created: number;
  sent: number;
  acked: number;
  failed: number;
  unsent: number;
  ackedBy: Record<string, number>;
  /** failed sends by kind: `fenced` is a denied write */
  errorsByKind: Record<string, number>;
  /** in time order, each with the writes its demoted cluster acknowledged while it was in force */
  switches: (RouteSwitch & { writesToDemoted: number })[];
  ackedBeforeSwitch: number;
  writesToDemoted: number;
  /** event indexes (the n of `<run id>-s<n>`), ascending, the first `keep` */
  writesToDemotedEvents: number[];
  /** writes to the demoted cluster that are also stale lost */
  demotedLost: number;
  lost: number;
  /** event indexes, ascending, the first `keep` */
  lostEvents: number[];
  /** the stale client's records the probe's consumer met on the probe topic and skipped */
  receipts: number;
}

/** The switch in force at time `t`: the last one at or before it. */
function switchAt<S extends RouteSwitch>(switches: readonly S[], t: number): S | undefined {
  let found: S | undefined;
  for (const s of switches) if (s.at <= t) found = s;
  return found;
}

export function measureStale(input: { stale: ProbeLog; switches: readonly RouteSwitch[]; reads: readonly SurvivorRead[]; receipts: number; keep?: number }): StaleMeasurement {
  const log = input.stale;
  const keep = input.keep ?? 100;
  const n = log.count;
  const switches = [...input.switches].sort((a, b) => a.at - b.at).map((s) => ({ ...s, writesToDemoted: 0 }));
  const first = switches[0];

  const ackedBy: Record<string, number> = {};
  const errorsByKind: Record<string, number> = {};
  let sent = 0;
  let acked = 0;
  let failed = 0;
  let unsent = 0;
  let ackedBeforeSwitch = 0;
  const demoted = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (log.sentTo[i]! >= 0) sent++;
    if (log.isAcked(i)) {
      acked++;
      const cluster = log.clusterName(log.ackCluster[i]!) ?? '?';
      ackedBy[cluster] = (ackedBy[cluster] ?? 0) + 1;
      const at = log.ackAt[i]!;
      if (first && at < first.at && cluster === first.demoted) ackedBeforeSwitch++;
      const inForce = switchAt(switches, at);
      if (inForce?.demoted === cluster) {
        demoted[i] = 1;
        inForce.writesToDemoted++;
      }
    } else if (!Number.isNaN(log.errorAt[i]!)) {
      failed++;
      if (log.sentTo[i]! < 0) unsent++;
      const kind = ERROR_KINDS[log.errorKind[i]!] ?? 'other';
      errorsByKind[kind] = (errorsByKind[kind] ?? 0) + 1;
    }
  }

  // Loss: each read that looked at the stale client's topic judges what was acknowledged before it began.
  const lostFlags = new Uint8Array(n);
  for (const read of input.reads) {
    if (!read.stale) continue;
    const present = new Uint8Array(n);
    // A typed array ignores an index out of its range: a record of an event this log never made marks nothing.
    for (const rec of read.stale.records) present[rec.event] = 1;
    for (let i = 0; i < n; i++) if (log.isAcked(i) && log.ackAt[i]! < read.at && present[i] === 0) lostFlags[i] = 1;
  }

  const writesToDemotedEvents: number[] = [];
  const lostEvents: number[] = [];
  let writesToDemoted = 0;
  let lost = 0;
  let demotedLost = 0;
  for (let i = 0; i < n; i++) {
    if (demoted[i] === 1) {
      writesToDemoted++;
      if (writesToDemotedEvents.length < keep) writesToDemotedEvents.push(i);
      if (lostFlags[i] === 1) demotedLost++;
    }
    if (lostFlags[i] === 1) {
      lost++;
      if (lostEvents.length < keep) lostEvents.push(i);
    }
  }

  return {
    created: n,
    sent,
    acked,
    failed,
    unsent,
    ackedBy,
    errorsByKind,
    switches,
    ackedBeforeSwitch,
    writesToDemoted,
    writesToDemotedEvents,
    demotedLost,
    lost,
    lostEvents,
    receipts: input.receipts,
  };
}
