import { parentPort, workerData } from 'node:worker_threads';
import { errorMessage } from '../errors.js';
import { guardStrayConnectionErrors } from '../kafka/strayErrors.js';
import { Probe } from './probe.js';
import { ProbeLog, epochNow } from './probeLog.js';
import { clientOptionsFor } from './probeSetup.js';
import type { ProbeWorkerData, ProbeWorkerReply, ProbeWorkerRequest } from './probeHandle.js';

/**
 * The probe's own thread. The drill's main thread plans steps, runs gates
 * and reads clusters to their end, all of which can hold its event loop
 * for a while; a probe sharing that loop would stop writing meanwhile and
 * report the drill's own work as downtime. Here it keeps its rate.
 */
const data = workerData as ProbeWorkerData;
const port = parentPort!;
const log = new ProbeLog(epochNow, () => Math.round(data.t0), data.t0);
const probe = new Probe({
  runbook: data.runbook,
  spec: data.spec,
  runId: data.runId,
  log,
  clientOptions: (t) => clientOptionsFor(data.runbook, t),
  ...(data.clusterIds ? { clusterIds: data.clusterIds } : {}),
  ...(data.controlFile ? { controlFile: data.controlFile } : {}),
  ...(data.stale ? { stale: data.stale } : {}),
});

// A client's stray connection failure must not end the probe's thread, and with it the drill's measurement.
guardStrayConnectionErrors((e) => log.errorText(`client connection: ${errorMessage(e)}`));

function unreadAcked(): number {
  const seen = new Uint8Array(log.count);
  for (let r = 0; r < log.receipts; r++) seen[log.rEvent[r]!] = 1;
  let n = 0;
  for (let i = 0; i < log.count; i++) if (log.isAcked(i) && seen[i] === 0) n++;
  return n;
}

port.on('message', (req: ProbeWorkerRequest) => {
  const reply = (r: Omit<ProbeWorkerReply, 'id'>) => port.postMessage({ id: req.id, ...r });
  const run = async (): Promise<void> => {
    switch (req.type) {
      case 'start':
        await probe.start();
        return reply({ ok: true });
      case 'stopWriting':
        await probe.stopWriting();
        return reply({ ok: true });
      case 'stop':
        await probe.stop();
        return reply({ ok: true });
      case 'progress':
        return reply({ ok: true, progress: { count: log.count, receipts: log.receipts, unreadAcked: unreadAcked() } });
      case 'snapshot':
        return reply({ ok: true, data: log.toData() });
    }
  };
  run().catch((e: unknown) => reply({ ok: false, error: errorMessage(e) }));
});
