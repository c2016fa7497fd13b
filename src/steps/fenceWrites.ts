import { aclKey, createAcls, type Acl } from '../kafka/acls.js';
import { stepParams } from '../runbook/steps.js';
import { errorMessage } from '../errors.js';
import { describeAcl, fenceAcl, readAcls } from './fenceAcls.js';
import { resolveCluster } from './clusterRef.js';
import type { OutcomeBase, PlanBase, StepContext, StepModule } from './types.js';
import { producedTopics } from './workload.js';

type Ctx = Pick<StepContext, 'runbook' | 'roles' | 'connection' | 'records'>;

export interface FencePlan extends PlanBase {
  cluster: string;
  /** the DENY WRITE ACLs this fence creates; the only ones unfence-writes will remove */
  acls: Acl[];
  /** identical DENY ACLs that exist already (made by hand, or by an earlier fence): left alone, never recorded as ours */
  existing: Acl[];
  /** the cluster could not be reached: nothing can write to it either, so the fence is moot */
  unreachable?: string;
}

export interface FenceOutcome extends OutcomeBase {
  created: number;
}

/**
 * fence-writes: DENY WRITE for each workload producer on each workload topic
 * of one cluster. The ACLs it will create are recorded on the clusters
 * before they are created, so that unfence-writes removes exactly those,
 * whatever else an operator added by hand.
 */
export const fenceWrites: StepModule<'fence-writes', FencePlan, FenceOutcome, Ctx> = {
  name: 'fence-writes',
  params: stepParams['fence-writes'],

  async plan(ctx, params) {
    const cluster = resolveCluster(ctx, params.cluster);
    const producers = ctx.runbook.workload.producers;
    const base = { cluster, acls: [] as Acl[], existing: [] as Acl[] };
    if (producers.length === 0) {
      return { ...base, summary: `nothing to fence on ${cluster}: the workload names no producer principals`, details: [], noop: true };
    }
    const conn = ctx.connection(cluster);
    let topics: string[];
    try {
      const admin = await conn.admin();
      topics = await conn.call('list topics', () => admin.listTopics());
    } catch (e) {
      return {
        ...base,
        unreachable: errorMessage(e),
        summary: `${cluster} cannot be reached; no fence is possible there, and no producer can write there either`,
        details: [],
        noop: true,
      };
    }
    const read = await readAcls(conn);
    if (!read.ok) {
      const why = read.noAuthorizer ? `${cluster} has no authorizer, so a DENY ACL would not stop the producers` : `cannot read the ACLs of ${cluster}: ${read.error}`;
      return { ...base, summary: `cannot fence ${cluster}`, details: [], blocked: why };
    }
    const wanted = producers.flatMap((p) => producedTopics(ctx.runbook, topics).map((t) => fenceAcl(p, t)));
    const acls = wanted.filter((a) => !read.keys.has(aclKey(a)));
    const existing = wanted.filter((a) => read.keys.has(aclKey(a)));
    return {
      ...base,
      acls,
      existing,
      summary: `deny ${producers.join(', ')} WRITE on ${wanted.length / producers.length} topic(s) of ${cluster}: create ${acls.length} ACL(s)${existing.length ? `, ${existing.length} already there` : ''}`,
      details: [...acls.map((a) => `create ${describeAcl(a)}`), ...existing.map((a) => `exists ${describeAcl(a)} (not ours; left alone)`)],
      noop: acls.length === 0,
    };
  },

  async apply(ctx, plan) {
    if (plan.unreachable !== undefined || plan.acls.length === 0) {
      return { created: 0, summary: plan.unreachable !== undefined ? `${plan.cluster} unreachable; nothing fenced` : 'nothing to create' };
    }
    // Recorded first: if failover dies between the two, unfence still knows what may exist.
    const prior = (await ctx.records.fence(plan.cluster)) ?? [];
    const mine = new Set(prior.map(aclKey));
    await ctx.records.recordFence(plan.cluster, [...prior, ...plan.acls.filter((a) => !mine.has(aclKey(a)))]);
    await createAcls(ctx.connection(plan.cluster), plan.acls);
    return { created: plan.acls.length, summary: `created ${plan.acls.length} DENY WRITE ACL(s) on ${plan.cluster}` };
  },

  async verify(ctx, plan) {
    if (plan.unreachable !== undefined) {
      return { check: 'fence-writes', status: 'warn', finding: `${plan.cluster} was unreachable; not fenced (${plan.unreachable})` };
    }
    const read = await readAcls(ctx.connection(plan.cluster));
    if (!read.ok) return { check: 'fence-writes', status: 'fail', finding: `cannot read the ACLs of ${plan.cluster}: ${read.error}` };
    const missing = [...plan.acls, ...plan.existing].filter((a) => !read.keys.has(aclKey(a)));
    if (missing.length > 0) {
      return {
        check: 'fence-writes',
        status: 'fail',
        finding: `${missing.length} fence ACL(s) missing on ${plan.cluster}, e.g. ${describeAcl(missing[0]!)}`,
        data: { missing },
      };
    }
    const n = plan.acls.length + plan.existing.length;
    return { check: 'fence-writes', status: 'pass', finding: `${n} DENY WRITE ACL(s) in force on ${plan.cluster}`, data: { acls: n } };
  },
};
