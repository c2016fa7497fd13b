import type { RolesInForce } from '../gates/types.js';
import type { Acl } from '../kafka/acls.js';
import type { PairRecords, PendingFenceSpec, RouteRecord } from '../steps/types.js';
import { KEY, newLineage, type LockHolder, type PairStore } from './state.js';

/** The pair's records as steps see them, kept in the state topic under this run's lock. */
export function liveRecords(store: PairStore, me: LockHolder): PairRecords {
  const rb = store.runbookName;
  const write = (key: string, value: Record<string, unknown>) => store.write(me, [{ key, value }]);
  return {
    ...readers(store),
    recordFence: async (cluster: string, acls: Acl[], pending?: PendingFenceSpec) =>
      write(KEY.fence(rb, cluster), {
        cluster,
        acls,
        ...(pending ? { pending: { ...pending, since: (await store.current()).fences[cluster]?.pending?.since ?? new Date().toISOString(), runId: me.runId, transcript: me.transcript } } : {}),
        runId: me.runId,
        transcript: me.transcript,
      }),
    recordRoute: (route: RouteRecord) => write(KEY.route(rb), { ...route, runId: me.runId }),
    recordTranslated: (cluster, group, commits) => write(KEY.translated(rb, cluster, group), { cluster, group, commits, runId: me.runId }),
    setRoles: async (roles: RolesInForce) => {
      const phase = (await store.current()).phase;
      await store.write(me, [
        { key: KEY.phase, value: { ...phase, roles, runbook: rb, runId: me.runId, transcript: me.transcript, operator: me.operator, host: me.host, lineage: newLineage(phase) } },
        { key: KEY.roles(rb), value: { roles, runId: me.runId } },
      ]);
    },
  };
}

function readers(store: PairStore): Pick<PairRecords, 'fence' | 'pendingFence' | 'route' | 'roles' | 'translated'> {
  return {
    fence: async (cluster) => (await store.current()).fences[cluster]?.acls,
    pendingFence: async (cluster) => {
      const p = (await store.current()).fences[cluster]?.pending;
      return p ? { producers: p.producers, topics: p.topics, reason: p.reason } : undefined;
    },
    route: async () => (await store.current()).route,
    roles: async () => (await store.current()).roles,
    translated: async (cluster, group) => (await store.current()).translated[`${cluster}/${group}`]?.commits,
  };
}

/** For plans: the records as they are; a write is a bug, since a plan changes nothing. */
export function readOnlyRecords(store: PairStore): PairRecords {
  const refuse = async (): Promise<void> => {
    throw new Error('a plan tried to write the pair state; plans change nothing');
  };
  return { ...readers(store), recordFence: refuse, recordRoute: refuse, recordTranslated: refuse, setRoles: refuse };
}
