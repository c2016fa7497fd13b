import type { LoadedRunbook } from '../runbook/load.js';
import type { ReadTranscript } from '../transcript/reader.js';
import { RunbookConnections } from './connections.js';
import { PairStore, type ChainAnchor } from './state.js';

/**
 * A transcript against the anchors the pair's clusters hold for its run.
 *
 * The hash chain alone shows an edited line, but whoever can rewrite the
 * file can recompute every hash, or drop the last lines. So every action
 * writes the head of its chain (seq and hash) into the pair's state on both
 * clusters at each phase change and after its closing entry. A transcript
 * whose entry at an anchored seq has another hash was rewritten; one that
 * ends before an anchored seq was cut.
 */
export interface AnchorCheck {
  ok: boolean;
  runId: string;
  /** the anchor the clusters hold for this run, if any */
  anchor?: ChainAnchor;
  /** another run holds the pair's lock, or this one does (then an unfinished transcript is a run in progress) */
  lockedByThisRun: boolean;
  finding: string;
  /** clusters that could not be read */
  unreachable: string[];
}

export async function checkAnchors(loaded: LoadedRunbook, read: ReadTranscript): Promise<AnchorCheck> {
  const first = read.entries[0];
  const runId = first?.hash ?? '';
  const connections = new RunbookConnections(loaded.runbook);
  const store = await PairStore.open(loaded.runbook, (c) => connections.get(c));
  try {
    const view = await store.read();
    const unreachable = view.clusters.filter((c) => !c.reachable).map((c) => c.cluster);
    const anchor = view.anchors[runId];
    const lockedByThisRun = view.locks.some((l) => l.holder?.runId === runId);
    const base = { runId, lockedByThisRun, unreachable, ...(anchor ? { anchor } : {}) };
    if (!view.located) return { ...base, ok: false, finding: `the pair's state cannot be read: ${view.identity.problem?.message}` };
    if (!anchor) return { ...base, ok: false, finding: `the pair's clusters hold no anchor for run ${runId.slice(0, 12)}...: it did not run against this pair, or its records are gone` };
    const at = read.entries.find((e) => e.seq === anchor.seq);
    const lastSeq = read.entries.at(-1)?.seq ?? 0;
    if (!at) {
      return { ...base, ok: false, finding: `the clusters anchored this run at entry ${anchor.seq}${anchor.finished ? ' (its closing entry)' : ''}, and the file ends at entry ${lastSeq}: entries were removed` };
    }
    if (at.hash !== anchor.hash) {
      return { ...base, ok: false, finding: `entry ${anchor.seq} has hash ${at.hash.slice(0, 16)}... in the file and ${anchor.hash.slice(0, 16)}... on the clusters: the transcript was rewritten` };
    }
    if (anchor.finished && at.type !== 'run-finished') {
      return { ...base, ok: false, finding: `the clusters anchored entry ${anchor.seq} as the closing entry, and in the file it is a ${at.type}` };
    }
    const after = lastSeq - anchor.seq;
    return { ...base, ok: true, finding: `entry ${anchor.seq} matches the anchor on the clusters${after > 0 ? `; the ${after} entr${after === 1 ? 'y' : 'ies'} after it are not anchored` : ''}` };
  } finally {
    await store.close();
    await connections.close();
  }
}
