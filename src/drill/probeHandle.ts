import { Worker } from 'node:worker_threads';
import type { ProbeSpec } from '../runbook/schema.js';
import { ProbeLog, epochNow, type ProbeLogData } from './probeLog.js';
import type { ProbeRunbook } from './probeSetup.js';
import type { ProbeOptions } from './probe.js';

/** What the drill hands the probe's thread: plain data only. */
export interface ProbeWorkerData {
  runbook: ProbeRunbook;
  spec: ProbeSpec;
  runId: string;
  /** the shared clock's reading at the drill's t=0 (epoch ms, high resolution) */
  t0: number;
  clusterIds?: Record<string, string>;
  controlFile?: string;
  stale?: ProbeOptions['stale'];
}

export type ProbeWorkerRequestBody = { type: 'start' | 'stopWriting' | 'stop' | 'progress' | 'snapshot' };
export type ProbeWorkerRequest = { id: number } & ProbeWorkerRequestBody;

export interface ProbeProgress {
  count: number;
  receipts: number;
  unreadAcked: number;
}

export interface ProbeWorkerReply {
  id: number;
  ok: boolean;
  error?: string;
  progress?: ProbeProgress;
  data?: ProbeLogData;
}

/**
 * The drill's side of the probe, which runs in a worker thread of its own
 * (see probeWorker.ts). Every request is answered or fails within its
 * deadline, and `terminate` ends the thread whatever its clients are doing.
 */
export class ProbeHandle {
  private readonly worker: Worker;
  private next = 1;
  private readonly waiting = new Map<number, (r: ProbeWorkerReply) => void>();
  private dead: string | undefined;

  constructor(data: ProbeWorkerData) {
    this.worker = new Worker(new URL('./probeWorker.js', import.meta.url), { workerData: data });
    this.worker.unref();
    this.worker.on('message', (r: ProbeWorkerReply) => {
      this.waiting.get(r.id)?.(r);
      this.waiting.delete(r.id);
    });
    const fail = (why: string) => {
      this.dead ??= why;
      for (const [id, done] of this.waiting) done({ id, ok: false, error: why });
      this.waiting.clear();
    };
    this.worker.on('error', (e) => fail(`the probe thread failed: ${e.message}`));
    this.worker.on('exit', (code) => fail(`the probe thread exited (${code})`));
  }

  private ask(req: ProbeWorkerRequestBody, timeoutMs = 60_000): Promise<ProbeWorkerReply> {
    if (this.dead) return Promise.reject(new Error(this.dead));
    const id = this.next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`the probe did not answer "${req.type}" within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      timer.unref();
      this.waiting.set(id, (r) => {
        clearTimeout(timer);
        if (r.ok) resolve(r);
        else reject(new Error(r.error ?? `probe ${req.type} failed`));
      });
      this.worker.postMessage({ id, ...req });
    });
  }

  async start(): Promise<void> {
    await this.ask({ type: 'start' });
  }

  async stopWriting(): Promise<void> {
    await this.ask({ type: 'stopWriting' });
  }

  async stop(): Promise<void> {
    await this.ask({ type: 'stop' }).catch(() => undefined);
  }

  async progress(): Promise<ProbeProgress> {
    return (await this.ask({ type: 'progress' })).progress!;
  }

  async snapshot(): Promise<ProbeLog> {
    return ProbeLog.fromData((await this.ask({ type: 'snapshot' })).data!, epochNow);
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}
