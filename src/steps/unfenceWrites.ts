import { aclKey, createAcls, deleteAcls, type Acl } from '../kafka/acls.js';
import { stepParams } from '../runbook/steps.js';
import { describeAcl, readAcls } from './fenceAcls.js';
import { verifyGone } from './fenceWrites.js';
import { resolveCluster } from './clusterRef.js';
import type { OutcomeBase, PlanBase, StepContext, StepModule } from './types.js';
import { isWorkloadTopic } from './workload.js';

type Ctx = Pick<StepContext, 'runbook' | 'roles' | 'connection' | 'records' | 'now' | 'sleep'>;

export interface UnfencePlan extends PlanBase {
  cluster: string;
  /** the ACLs the fence recorded that still exist: exactly what this step deletes */
  acls: Acl[];
  /** recorded by the fence but already gone (deleted by hand, or an earlier unfence) */
  gone: Acl[];
  /** DENY WRITE ACLs on the cluster that no fence recorded: made by hand, never touched */
  handMade: Acl[];
  /** the fence was recorded as pending (never applied): the record is dropped */
  pending?: boolean;
}

export interface UnfenceOutcome extends OutcomeBase {
  deleted: number;
}

/**
 * unfence-writes: removes the ACLs that fence-writes recorded on the
 * clusters for this cluster, and nothing else. A DENY an operator made by
 * hand, even an identical one that existed before the fence, survives.
 */
export const unfenceWrites: StepModule<'unfence-writes', UnfencePlan, UnfenceOutcome, Ctx> = {
  name: 'unfence-writes',
  params: stepParams['unfence-writes'],

  async plan(ctx, params) {
    const cluster = resolveCluster(ctx, params.cluster);
    const recorded = (await ctx.records.fence(cluster)) ?? [];
    const pending = (await ctx.records.pendingFence(cluster)) !== undefined;
    const read = await readAcls(ctx.connection(cluster));
    if (!read.ok && recorded.length === 0 && pending) {
      // Never applied, so there is nothing to delete there, reachable or not.
      return { cluster, acls: [], gone: [], handMade: [], pending, summary: `drop the pending fence of ${cluster} (it was never applied)`, details: [] };
    }
    if (!read.ok) {
      return { cluster, acls: [], gone: [], handMade: [], summary: `cannot unfence ${cluster}`, details: [], blocked: `cannot read the ACLs of ${cluster}: ${read.error}` };
    }
    const ours = new Set(recorded.map(aclKey));
    const acls = recorded.filter((a) => read.keys.has(aclKey(a)));
    const gone = recorded.filter((a) => !read.keys.has(aclKey(a)));
    // Only the ones that touch this workload are worth naming.
    const producers = new Set(ctx.runbook.workload.producers);
    const handMade = read.acls.filter(
      (a) => a.permission === 'DENY' && a.operation === 'Write' && !ours.has(aclKey(a)) && (producers.has(a.principal) || isWorkloadTopic(ctx.runbook, a.resourceName)),
    );
    const summary =
      recorded.length === 0
        ? pending
          ? `drop the pending fence of ${cluster} (it was never applied)`
          : `no fence recorded for ${cluster}; nothing to remove`
        : `remove the ${acls.length} DENY WRITE ACL(s) fence-writes created on ${cluster}${handMade.length ? `; ${handMade.length} made by hand stay` : ''}`;
    return {
      cluster,
      acls,
      gone,
      handMade,
      ...(pending ? { pending } : {}),
      summary,
      details: [
        ...acls.map((a) => `delete ${describeAcl(a)}`),
        ...gone.map((a) => `already gone ${describeAcl(a)}`),
        ...handMade.map((a) => `keep ${describeAcl(a)} (not made by failover)`),
      ],
      noop: acls.length === 0 && recorded.length === 0 && !pending,
    };
  },

  async apply(ctx, plan) {
    await deleteAcls(ctx.connection(plan.cluster), plan.acls);
    // Cleared after the delete: a crash in between leaves the record, and a resume deletes again (a no-op).
    const recorded = (await ctx.records.fence(plan.cluster)) ?? [];
    const removed = new Set([...plan.acls, ...plan.gone].map(aclKey));
    await ctx.records.recordFence(plan.cluster, recorded.filter((a) => !removed.has(aclKey(a))));
    return { deleted: plan.acls.length, summary: `deleted ${plan.acls.length} fence ACL(s) on ${plan.cluster}` };
  },

  async verify(ctx, plan) {
    if (await ctx.records.pendingFence(plan.cluster)) return { check: 'unfence-writes', status: 'fail', finding: `the pair still records a pending fence for ${plan.cluster}` };
    if (plan.pending && plan.acls.length === 0 && plan.handMade.length === 0) return { check: 'unfence-writes', status: 'pass', finding: `the pending fence of ${plan.cluster} is dropped; it was never applied` };
    const gone = await verifyGone(ctx, plan.cluster, plan.acls, 'unfence-writes');
    if (gone.status !== 'pass') return gone;
    const read = await readAcls(ctx.connection(plan.cluster));
    if (!read.ok) return { check: 'unfence-writes', status: 'fail', finding: `cannot read the ACLs of ${plan.cluster}: ${read.error}` };
    const kept = plan.handMade.filter((a) => read.keys.has(aclKey(a))).length;
    return {
      check: 'unfence-writes',
      status: 'pass',
      finding: `no fence ACL of failover left on ${plan.cluster}${kept ? `; ${kept} made by hand kept` : ''}`,
      data: { deleted: plan.acls.length, handMadeKept: kept },
    };
  },

  undo: {
    async plan(ctx, recorded) {
      const cluster = recorded.plan.cluster;
      const read = await readAcls(ctx.connection(cluster));
      if (!read.ok) return { cluster, acls: [], summary: `cannot fence ${cluster} again`, details: [], blocked: `cannot read the ACLs of ${cluster}: ${read.error}` };
      const acls = recorded.plan.acls.filter((a) => !read.keys.has(aclKey(a)));
      return {
        cluster,
        acls: recorded.plan.acls,
        summary: `fence ${cluster} again: re-create ${acls.length} of the ${recorded.plan.acls.length} DENY WRITE ACL(s) the unfence deleted`,
        details: acls.map((a) => `create ${describeAcl(a)}`),
        noop: acls.length === 0,
      } as PlanBase & { cluster: string; acls: Acl[] };
    },
    async apply(ctx, p) {
      const plan = p as PlanBase & { cluster: string; acls: Acl[] };
      const prior = (await ctx.records.fence(plan.cluster)) ?? [];
      const mine = new Set(prior.map(aclKey));
      await ctx.records.recordFence(plan.cluster, [...prior, ...plan.acls.filter((a) => !mine.has(aclKey(a)))]);
      const read = await readAcls(ctx.connection(plan.cluster));
      await createAcls(ctx.connection(plan.cluster), plan.acls.filter((a) => !read.ok || !read.keys.has(aclKey(a))));
      return { summary: `re-created the fence of ${plan.cluster}` };
    },
    async verify(ctx, p) {
      const plan = p as PlanBase & { cluster: string; acls: Acl[] };
      const read = await readAcls(ctx.connection(plan.cluster));
      if (!read.ok) return { check: 'undo unfence-writes', status: 'fail', finding: `cannot read the ACLs of ${plan.cluster}: ${read.error}` };
      const missing = plan.acls.filter((a) => !read.keys.has(aclKey(a)));
      return missing.length
        ? { check: 'undo unfence-writes', status: 'fail', finding: `${missing.length} fence ACL(s) missing on ${plan.cluster}, e.g. ${describeAcl(missing[0]!)}` }
        : { check: 'undo unfence-writes', status: 'pass', finding: `${plan.acls.length} fence ACL(s) in force on ${plan.cluster} again` };
    },
  },
};
