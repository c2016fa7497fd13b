import { FailoverError } from '../errors.js';

/**
 * Every cluster call has a deadline: a paused broker accepts the TCP
 * connection and then never answers, a call may take several requests,
 * and the client has one request timeout per client, no per-call one.
 */
export async function withTimeout<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ClusterTimeoutError(what, ms)), ms);
    timer.unref();
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    // The losing promise may still reject later; never let that be unhandled.
    work.catch(() => undefined);
  }
}

export class ClusterTimeoutError extends FailoverError {
  readonly timeoutMs: number;
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${formatMs(ms)}`, {
      hint: 'the cluster may be down, paused or unreachable from here; check it, or raise the timeout',
    });
    this.name = 'ClusterTimeoutError';
    this.timeoutMs = ms;
  }
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  return `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s`;
}
