import { hasKafkaError, isNoAnswer, isStaleMetadata } from './kafkaErrors.js';
import { byLeader, tpKey, type LeaderIndex } from './metadata.js';

/** How long a read waits for a moving leader before it reports the error. */
export const LEADER_MOVE_WAIT_MS = 10_000;

/**
 * How long a routed request waits for the partitions of a broker that
 * stopped answering: the controller elects new leaders only once it has
 * fenced the broker, after broker.session.timeout.ms (9 s by default), so
 * a shorter wait would report a leader that is about to move.
 */
export const BROKER_LOSS_WAIT_MS = 20_000;

/** Partition error codes that mean "ask the new leader": the metadata we routed with is stale. */
export const STALE_LEADER_CODES: ReadonlySet<number> = new Set([
  3, // UNKNOWN_TOPIC_OR_PARTITION (a partition created a moment ago, or moved away from this broker)
  5, // LEADER_NOT_AVAILABLE
  6, // NOT_LEADER_OR_FOLLOWER
  74, // FENCED_LEADER_EPOCH
]);

/** Group error codes that mean "ask the new coordinator". */
export const STALE_COORDINATOR_CODES: ReadonlySet<number> = new Set([
  14, // COORDINATOR_LOAD_IN_PROGRESS
  15, // COORDINATOR_NOT_AVAILABLE
  16, // NOT_COORDINATOR
]);

/** A group request answered by a coordinator that is moving or loading. */
export function isStaleCoordinator(e: unknown): boolean {
  return hasKafkaError(e, 'COORDINATOR_LOAD_IN_PROGRESS', 'COORDINATOR_NOT_AVAILABLE', 'NOT_COORDINATOR');
}

/** A group request that should go to the group's coordinator again: it moved, is loading, or its broker stopped answering. */
export function movesCoordinator(e: unknown): boolean {
  return isStaleCoordinator(e) || isNoAnswer(e);
}

/**
 * A group call asked again while its coordinator moves (the client finds
 * the coordinator afresh on every call), within BROKER_LOSS_WAIT_MS.
 */
export function whileCoordinatorsMove<T>(attempt: () => Promise<T>): Promise<T> {
  return whileLeadersMove(attempt, BROKER_LOSS_WAIT_MS, realSleep, Date.now, movesCoordinator);
}

/** The pause before attempt `n + 1` (n from 0): 100 ms doubling, at most a second. */
export function pauseBefore(n: number): number {
  return Math.min(100 * 2 ** n, 1000);
}

/**
 * Runs `attempt` again while `moving(error)` says the leader (or
 * coordinator) it asked is not, or not yet, the one: a partition created a
 * moment ago whose leader is not serving yet, an election after a broker
 * restart, a reassignment. Each attempt reads the metadata afresh, so it
 * goes to the new leader. Any other error, or a leader still moving after
 * `withinMs`, is thrown as it came.
 */
export async function whileLeadersMove<T>(
  attempt: () => Promise<T>,
  withinMs: number = LEADER_MOVE_WAIT_MS,
  sleep: (ms: number) => Promise<void> = realSleep,
  now: () => number = Date.now,
  moving: (e: unknown) => boolean = isStaleMetadata,
): Promise<T> {
  const until = now() + withinMs;
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      const wait = pauseBefore(n);
      if (!moving(e) || now() + wait > until) throw e;
      await sleep(wait);
    }
  }
}

function realSleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface PartitionItem {
  topic: string;
  partition: number;
}

/** What one broker said about the items sent to it: answers, and the items whose leader it is not (any more). */
export interface BrokerRound<Q, A> {
  answers: A[];
  moved: Q[];
}

export interface RoutedRequest<Q extends PartitionItem, A> {
  leaders: LeaderIndex;
  items: readonly Q[];
  /** one request to one broker for its items */
  ask: (nodeId: number, items: Q[]) => Promise<BrokerRound<Q, A>>;
  /** fresh leaders of these topics (a Metadata request) */
  refresh: (topics: string[]) => Promise<LeaderIndex>;
  /** the cluster, for the error that ends the wait */
  cluster: string;
  withinMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** A broker's whole request failed in a way that moves its partitions: a stale-leader code, or no answer (the broker is gone). */
export function movesPartitions(e: unknown): boolean {
  return isStaleMetadata(e) || isNoAnswer(e);
}

/**
 * Sends each item to its partition's leader, one request per broker, and
 * asks again, with fresh metadata of their topics only, for the items a
 * broker says it does not lead, those without a leader (an election in
 * progress), and those of a broker that stopped answering. The other
 * brokers' answers stand: one moved partition does not redo the rest.
 * Throws when items are still moving after `withinMs`, naming them, or at
 * once for any other error.
 */
export async function routeWhileLeadersMove<Q extends PartitionItem, A>(req: RoutedRequest<Q, A>): Promise<A[]> {
  const now = req.now ?? Date.now;
  const sleep = req.sleep ?? realSleep;
  const until = now() + (req.withinMs ?? BROKER_LOSS_WAIT_MS);
  const answers: A[] = [];
  let leaders = req.leaders;
  let pending: Q[] = [...req.items];
  for (let n = 0; ; n++) {
    const { perBroker, leaderless } = byLeader(leaders, pending);
    const moved: Q[] = [...leaderless];
    let lastError: unknown;
    await Promise.all(
      [...perBroker.entries()].map(async ([nodeId, items]) => {
        try {
          const round = await req.ask(nodeId, items);
          answers.push(...round.answers);
          moved.push(...round.moved);
        } catch (e) {
          if (!movesPartitions(e)) throw e;
          lastError = e;
          moved.push(...items);
        }
      }),
    );
    if (moved.length === 0) return answers;
    const wait = pauseBefore(n);
    if (now() + wait > until) throw stillMoving(req.cluster, moved, lastError);
    await sleep(wait);
    leaders = mergeLeaders(leaders, await req.refresh([...new Set(moved.map((m) => m.topic))]));
    pending = moved;
  }
}

/** `base` with the topics of `fresh` replaced by their fresh leaders. */
export function mergeLeaders(base: LeaderIndex, fresh: LeaderIndex): LeaderIndex {
  const out: LeaderIndex = new Map(base);
  for (const [topic, parts] of fresh) out.set(topic, parts);
  return out;
}

function stillMoving(cluster: string, moved: readonly PartitionItem[], cause: unknown): Error {
  const keys = [...new Set(moved.map((m) => tpKey(m.topic, m.partition)))];
  const first = moved[0]!;
  const more = keys.length > 1 ? ` and ${keys.length - 1} more partition${keys.length > 2 ? 's' : ''}` : '';
  const reason = cause === undefined ? 'no leader serves' : 'the leader did not answer or was not the leader';
  return new Error(`${cluster}: ${first.topic}-${first.partition}${more}: ${reason} within the wait for a new leader; run \`failover check\` to see which partitions are offline`, {
    ...(cause === undefined ? {} : { cause }),
  });
}
