import { isStaleMetadata } from './kafkaErrors.js';

/** How long a read waits for a moving leader before it reports the error. */
export const LEADER_MOVE_WAIT_MS = 10_000;

/**
 * Runs `attempt` again while the answer says the leader it asked is not (or
 * not yet) the leader: a partition created a moment ago whose leader is not
 * serving yet, an election after a broker restart, a reassignment. Each
 * attempt reads the metadata afresh, so it goes to the new leader. Any other
 * error, or a leader still moving after `withinMs`, is thrown as it came.
 */
export async function whileLeadersMove<T>(
  attempt: () => Promise<T>,
  withinMs: number = LEADER_MOVE_WAIT_MS,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  now: () => number = Date.now,
): Promise<T> {
  const until = now() + withinMs;
  for (let wait = 100; ; wait = Math.min(wait * 2, 1000)) {
    try {
      return await attempt();
    } catch (e) {
      if (!isStaleMetadata(e) || now() + wait > until) throw e;
      await sleep(wait);
    }
  }
}
