import { aclKey, deleteAcls, type Acl } from '../kafka/acls.js';
import { stepParams } from '../runbook/steps.js';
import { describeAcl, readAcls } from './fenceAcls.js';
import { resolveCluster } from './clusterRef.js';
import type { OutcomeBase, PlanBase, StepContext, StepModule } from './types.js';
import { isWorkloadTopic } from './workload.js';

type Ctx = Pick<StepContext, 'runbook' | 'roles' | 'connection' | 'records'>;

export interface UnfencePlan extends PlanBase {
  cluster: string;
  /** the ACLs the fence recorded that still exist: exactly what this step deletes */
  acls: Acl[];
  /** recorded by the fence but already gone (deleted by hand, or an earlier unfence) */
  gone: Acl[];
  /** DENY WRITE ACLs on the cluster that no fence recorded: made by hand, never touched */
  handMade: Acl[];
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
    const read = await readAcls(ctx.connection(cluster));
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
        ? `no fence recorded for ${cluster}; nothing to remove`
        : `remove the ${acls.length} DENY WRITE ACL(s) fence-writes created on ${cluster}${handMade.length ? `; ${handMade.length} made by hand stay` : ''}`;
    return {
      cluster,
      acls,
      gone,
      handMade,
      summary,
      details: [
        ...acls.map((a) => `delete ${describeAcl(a)}`),
        ...gone.map((a) => `already gone ${describeAcl(a)}`),
        ...handMade.map((a) => `keep ${describeAcl(a)} (not made by failover)`),
      ],
      noop: acls.length === 0 && recorded.length === 0,
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
    const read = await readAcls(ctx.connection(plan.cluster));
    if (!read.ok) return { check: 'unfence-writes', status: 'fail', finding: `cannot read the ACLs of ${plan.cluster}: ${read.error}` };
    const left = plan.acls.filter((a) => read.keys.has(aclKey(a)));
    if (left.length > 0) {
      return { check: 'unfence-writes', status: 'fail', finding: `${left.length} fence ACL(s) still on ${plan.cluster}, e.g. ${describeAcl(left[0]!)}`, data: { left } };
    }
    const kept = plan.handMade.filter((a) => read.keys.has(aclKey(a))).length;
    return {
      check: 'unfence-writes',
      status: 'pass',
      finding: `no fence ACL of failover left on ${plan.cluster}${kept ? `; ${kept} made by hand kept` : ''}`,
      data: { deleted: plan.acls.length, handMadeKept: kept },
    };
  },
};
