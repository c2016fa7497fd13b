import type { RolesInForce } from '../gates/types.js';
import type { Acl } from '../kafka/acls.js';
import type { PairRecords, RouteRecord } from '../steps/types.js';
import { KEY, type LockHolder, type PairStore } from './state.js';

/** The pair's records as steps see them, kept in the state topic under this run's lock. */
export function liveRecords(store: PairStore, me: LockHolder): PairRecords {
  const write = (key: string, value: Record<string, unknown>) => store.write(me.runId, me, [{ key, value }]);
  return {
    fence: async (cluster) => (await store.current()).fences[cluster],
    recordFence: (cluster: string, acls: Acl[]) => write(KEY.fence(cluster), { cluster, acls, runId: me.runId, transcript: me.transcript }),
    route: async () => (await store.current()).route,
    recordRoute: (route: RouteRecord) => write(KEY.route, { ...route, runId: me.runId }),
    roles: async () => (await store.current()).phase.roles,
    setRoles: async (roles: RolesInForce) => {
      const phase = (await store.current()).phase;
      await write(KEY.phase, { ...phase, roles, runId: me.runId, transcript: me.transcript, operator: me.operator, host: me.host });
    },
  };
}

/** For plans: the records as they are; a write is a bug, since a plan changes nothing. */
export function readOnlyRecords(store: PairStore): PairRecords {
  const refuse = async (): Promise<void> => {
    throw new Error('a plan tried to write the pair state; plans change nothing');
  };
  return {
    fence: async (cluster) => (await store.current()).fences[cluster],
    recordFence: refuse,
    route: async () => (await store.current()).route,
    recordRoute: refuse,
    roles: async () => (await store.current()).phase.roles,
    setRoles: refuse,
  };
}
