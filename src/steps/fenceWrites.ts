import { aclKey, createAcls, deleteAcls, type Acl } from '../kafka/acls.js';
import type { KafkaConnection } from '../kafka/connection.js';
import { stepParams } from '../runbook/steps.js';
import { errorMessage } from '../errors.js';
import { crashPoint } from './crashPoint.js';
import { describeAcl, fenceAcl, readAcls, type AclRead } from './fenceAcls.js';
import { resolveCluster } from './clusterRef.js';
import type { Evidence, OutcomeBase, PendingFenceSpec, PlanBase, StepContext, StepModule } from './types.js';
import { producedTopics } from './workload.js';

type Ctx = Pick<StepContext, 'runbook' | 'roles' | 'connection' | 'records' | 'reachable' | 'aclsViaControllers' | 'progress' | 'env' | 'sleep' | 'now'>;

export interface FencePlan extends PlanBase {
  cluster: string;
  /** the DENY WRITE ACLs this fence creates; the only ones unfence-writes will remove */
  acls: Acl[];
  /** identical DENY ACLs that exist already (made by hand, or by an earlier fence): left alone, never recorded as ours */
  existing: Acl[];
  /** the cluster could not be reached when planned: the fence is recorded as pending, and applied when it answers */
  unreachable?: string;
  /** how long apply keeps trying a cluster that does not answer */
  waitMs?: number;
}

export interface FenceOutcome extends OutcomeBase {
  created: number;
  /** the ACLs in force after the apply (ours and identical ones that existed) */
  inForce?: Acl[];
  /** set when the cluster still did not answer: the fence is pending on the clusters' records */
  pending?: PendingFenceSpec;
  /** the brokers did not answer, and the fence went to the controller quorum (these addresses) */
  viaControllers?: string;
}

/** ACLs propagate from the controller to every broker's authorizer: a read right after the create may not show them yet. */
const VERIFY_WINDOW_MS = 10_000;
const VERIFY_POLL_MS = 250;

function pendingSpec(ctx: Ctx, reason: string): PendingFenceSpec {
  return { producers: [...ctx.runbook.workload.producers], topics: [...ctx.runbook.workload.topics], reason };
}

/** The fence of a cluster as it stands now: the ACLs wanted, which exist, and which this fence would create. */
async function liveFence(ctx: Ctx, conn: KafkaConnection): Promise<{ read: AclRead; wanted: Acl[] } | { error: string }> {
  let topics: string[];
  try {
    topics = await conn.topicNames();
  } catch (e) {
    return { error: errorMessage(e) };
  }
  const read = await readAcls(conn);
  const wanted = ctx.runbook.workload.producers.flatMap((p) => producedTopics(ctx.runbook, topics).map((t) => fenceAcl(p, t)));
  return { read, wanted };
}

/**
 * fence-writes: DENY WRITE for each workload producer on each workload topic
 * of one cluster. The ACLs it will create are recorded on the clusters
 * before they are created, so that unfence-writes removes exactly those,
 * whatever else an operator added by hand.
 *
 * A cluster that does not answer cannot be fenced, and it is dangerous
 * exactly because it may come back: the fence is then recorded as pending
 * on the pair's state, every command that reaches the cluster reports it,
 * and `failover fence` (or a resume, or this step's apply again) applies it.
 * Apply always looks at the cluster as it is now, never at what the plan saw.
 */
export const fenceWrites: StepModule<'fence-writes', FencePlan, FenceOutcome, Ctx> = {
  name: 'fence-writes',
  params: stepParams['fence-writes'],

  async plan(ctx, params) {
    const cluster = resolveCluster(ctx, params.cluster);
    const producers = ctx.runbook.workload.producers;
    const base = { cluster, acls: [] as Acl[], existing: [] as Acl[], ...(params.wait === undefined ? {} : { waitMs: params.wait }) };
    if (producers.length === 0) {
      return { ...base, summary: `nothing to fence on ${cluster}: the workload names no producer principals`, details: [], noop: true };
    }
    const live = await liveFence(ctx, ctx.connection(cluster));
    if ('error' in live) {
      return {
        ...base,
        unreachable: live.error,
        summary: `${cluster} does not answer: ${ctx.runbook.clusters[cluster]?.controllers ? `the fence goes to its controllers if they answer, else it` : 'the fence'} is recorded as pending, and must be applied the moment ${cluster} returns`,
        details: [`pending: deny ${producers.join(', ')} WRITE on ${ctx.runbook.workload.topics.join(', ')} of ${cluster}`],
      };
    }
    const { read, wanted } = live;
    if (!read.ok) {
      const why = read.noAuthorizer ? `${cluster} has no authorizer, so a DENY ACL would not stop the producers` : `cannot read the ACLs of ${cluster}: ${read.error}`;
      return { ...base, summary: `cannot fence ${cluster}`, details: [], blocked: why };
    }
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
    if (ctx.runbook.workload.producers.length === 0) return { created: 0, summary: 'nothing to create' };
    const until = ctx.now() + (plan.waitMs ?? 0);
    for (let round = 0; ; round++) {
      // Whatever the plan saw: a cluster that was down may be back, one that answered may be gone.
      const reach = await ctx.reachable(plan.cluster);
      const live = reach.ok ? await liveFence(ctx, ctx.connection(plan.cluster)) : { error: reach.error };
      if (!('error' in live)) return fenceLive(ctx, plan, live);
      const viaQuorum = await fenceThroughControllers(ctx, plan.cluster);
      if (viaQuorum) return viaQuorum;
      if (ctx.now() >= until) {
        const pending = pendingSpec(ctx, `${plan.cluster} did not answer: ${live.error}`);
        await ctx.records.recordFence(plan.cluster, (await ctx.records.fence(plan.cluster)) ?? [], pending);
        return { created: 0, pending, summary: `${plan.cluster} does not answer; the fence is pending on the pair's records` };
      }
      if (round % 10 === 0) ctx.progress({ message: `${plan.cluster} does not answer yet (${live.error}); trying its brokers${ctx.runbook.clusters[plan.cluster]?.controllers ? ' and controllers' : ''} again` });
      await ctx.sleep(500);
    }
  },

  async verify(ctx, plan, outcome) {
    const reach = await ctx.reachable(plan.cluster);
    if (!reach.ok && outcome?.viaControllers && !(await ctx.records.pendingFence(plan.cluster))) {
      return { check: 'fence-writes', status: 'pass', finding: `${outcome.inForce?.length ?? 0} DENY WRITE ACL(s) committed by ${plan.cluster}'s controllers (${outcome.viaControllers}); its brokers load them before they serve`, data: { viaControllers: outcome.viaControllers } };
    }
    if (!reach.ok) {
      const pending = await ctx.records.pendingFence(plan.cluster);
      if (pending) return { check: 'fence-writes', status: 'warn', finding: `the fence of ${plan.cluster} is pending: ${plan.cluster} does not answer (${reach.error}); apply it the moment it returns (failover fence)`, data: { pending } };
      return { check: 'fence-writes', status: 'fail', finding: `${plan.cluster} does not answer, and no pending fence is recorded for it`, data: { error: reach.error } };
    }
    const wanted = outcome?.inForce ?? [...plan.acls, ...plan.existing];
    const ev = await verifyInForce(ctx, plan.cluster, wanted, outcome?.pending !== undefined || plan.unreachable !== undefined);
    if (ev.status === 'pass' && (await ctx.records.pendingFence(plan.cluster))) {
      return { check: 'fence-writes', status: 'fail', finding: `${plan.cluster} is fenced, but the pair still records its fence as pending`, hint: 'apply the step again' };
    }
    return ev;
  },

  undo: {
    async plan(ctx, recorded) {
      const cluster = recorded.plan.cluster;
      const ours = (await ctx.records.fence(cluster)) ?? [];
      const pending = await ctx.records.pendingFence(cluster);
      const reach = await ctx.reachable(cluster);
      if (!reach.ok) {
        if (ours.length > 0) return { cluster, acls: [], summary: `cannot remove the fence of ${cluster}`, details: [], blocked: `${cluster} does not answer (${reach.error}); its ${ours.length} fence ACL(s) cannot be removed` };
        return { cluster, acls: [], clearPending: pending !== undefined, summary: pending ? `drop the pending fence of ${cluster} (never applied)` : `no fence on ${cluster} to remove`, details: [], noop: !pending };
      }
      const read = await readAcls(ctx.connection(cluster));
      if (!read.ok) return { cluster, acls: [], summary: `cannot unfence ${cluster}`, details: [], blocked: `cannot read the ACLs of ${cluster}: ${read.error}` };
      const acls = ours.filter((a) => read.keys.has(aclKey(a)));
      return {
        cluster,
        acls,
        clearPending: pending !== undefined,
        summary: `remove the ${acls.length} DENY WRITE ACL(s) the fence created on ${cluster}${pending ? ' and its pending record' : ''}`,
        details: acls.map((a) => `delete ${describeAcl(a)}`),
        noop: acls.length === 0 && ours.length === 0 && !pending,
      } as PlanBase & { cluster: string; acls: Acl[]; clearPending?: boolean };
    },
    async apply(ctx, p) {
      const plan = p as PlanBase & { cluster: string; acls: Acl[] };
      await deleteAcls(ctx.connection(plan.cluster), plan.acls);
      const left = ((await ctx.records.fence(plan.cluster)) ?? []).filter((a) => !plan.acls.some((x) => aclKey(x) === aclKey(a)));
      await ctx.records.recordFence(plan.cluster, left);
      return { summary: `deleted ${plan.acls.length} fence ACL(s) on ${plan.cluster}` };
    },
    async verify(ctx, p) {
      const plan = p as PlanBase & { cluster: string; acls: Acl[] };
      if (await ctx.records.pendingFence(plan.cluster)) return { check: 'undo fence-writes', status: 'fail', finding: `the pair still records a pending fence for ${plan.cluster}` };
      if (plan.acls.length === 0) return { check: 'undo fence-writes', status: 'pass', finding: `no fence ACL of failover on ${plan.cluster}` };
      return verifyGone(ctx, plan.cluster, plan.acls, 'undo fence-writes');
    },
  },
};

/** The brokers answer: create what the fence needs on them, recorded first. */
async function fenceLive(ctx: Ctx, plan: FencePlan, live: { read: AclRead; wanted: Acl[] }): Promise<FenceOutcome> {
  const read = live.read;
  if (!read.ok) throw new Error(read.noAuthorizer ? `${plan.cluster} has no authorizer; a DENY ACL would not stop the producers` : `cannot read the ACLs of ${plan.cluster}: ${read.error}`);
  const prior = (await ctx.records.fence(plan.cluster)) ?? [];
  const mine = new Set(prior.map(aclKey));
  // What the plan meant to create, plus what it could not know (it planned a pending fence), minus what exists and is not ours.
  const create = live.wanted.filter((a) => !read.keys.has(aclKey(a)) || mine.has(aclKey(a)));
  // Recorded first: if failover dies between the two, unfence still knows what may exist.
  await ctx.records.recordFence(plan.cluster, [...prior, ...create.filter((a) => !mine.has(aclKey(a)))]);
  const fresh = create.filter((a) => !read.keys.has(aclKey(a)));
  await createAcls(ctx.connection(plan.cluster), fresh);
  crashPoint('fence-writes:after-create', ctx.env);
  return { created: fresh.length, inForce: live.wanted, summary: `created ${fresh.length} DENY WRITE ACL(s) on ${plan.cluster}` };
}

/**
 * The brokers do not answer, and the runbook names the cluster's
 * controllers: the fence goes to the quorum, where a broker that comes back
 * loads it before it serves a client. Only literal topics can be fenced
 * there (the controllers list no topics to match a /regex/ against).
 */
async function fenceThroughControllers(ctx: Ctx, cluster: string): Promise<FenceOutcome | undefined> {
  if (!ctx.runbook.clusters[cluster]?.controllers) return undefined;
  if (ctx.runbook.workload.topics.some((t) => t.startsWith('/'))) return undefined;
  const wanted = ctx.runbook.workload.producers.flatMap((p) => producedTopics(ctx.runbook, []).map((t) => fenceAcl(p, t)));
  const prior = (await ctx.records.fence(cluster)) ?? [];
  const mine = new Set(prior.map(aclKey));
  await ctx.records.recordFence(cluster, [...prior, ...wanted.filter((a) => !mine.has(aclKey(a)))], (await ctx.records.pendingFence(cluster)) ?? pendingSpec(ctx, `${cluster}'s brokers did not answer; written to its controllers`));
  const r = await ctx.aclsViaControllers(cluster, wanted);
  if (!r?.ok) return undefined;
  // In the quorum's log now: no longer pending, whatever the brokers do.
  await ctx.records.recordFence(cluster, [...prior, ...wanted.filter((a) => !mine.has(aclKey(a)))]);
  return { created: wanted.length, inForce: wanted, viaControllers: r.via, summary: `${cluster}'s brokers do not answer: wrote ${wanted.length} DENY WRITE ACL(s) to its controllers (${r.via})` };
}

/** Polls until every ACL is in force (or the window ends): the verify of a fence. */
async function verifyInForce(ctx: Ctx, cluster: string, wanted: Acl[], wasPending: boolean): Promise<Evidence> {
  const until = ctx.now() + VERIFY_WINDOW_MS;
  for (;;) {
    const read = await readAcls(ctx.connection(cluster));
    if (!read.ok) return { check: 'fence-writes', status: 'fail', finding: `cannot read the ACLs of ${cluster}: ${read.error}` };
    const missing = wanted.filter((a) => !read.keys.has(aclKey(a)));
    if (missing.length === 0) {
      return { check: 'fence-writes', status: 'pass', finding: `${wanted.length} DENY WRITE ACL(s) in force on ${cluster}${wasPending ? ' (the fence that was pending)' : ''}`, data: { acls: wanted.length } };
    }
    if (ctx.now() >= until) {
      return {
        check: 'fence-writes',
        status: 'fail',
        finding: `${missing.length} fence ACL(s) missing on ${cluster}, e.g. ${describeAcl(missing[0]!)}${wasPending ? `: ${cluster} answers again and is NOT fenced` : ''}`,
        data: { missing },
        hint: 'apply the fence again: resume the run, or `failover fence <runbook>`',
      };
    }
    await ctx.sleep(VERIFY_POLL_MS);
  }
}

/** Polls until none of the ACLs is left (deletes propagate too). */
export async function verifyGone(ctx: Pick<StepContext, 'connection' | 'now' | 'sleep'>, cluster: string, acls: Acl[], check: string): Promise<Evidence> {
  const until = ctx.now() + VERIFY_WINDOW_MS;
  for (;;) {
    const read = await readAcls(ctx.connection(cluster));
    if (!read.ok) return { check, status: 'fail', finding: `cannot read the ACLs of ${cluster}: ${read.error}` };
    const left = acls.filter((a) => read.keys.has(aclKey(a)));
    if (left.length === 0) return { check, status: 'pass', finding: `no fence ACL of failover left on ${cluster}`, data: { deleted: acls.length } };
    if (ctx.now() >= until) return { check, status: 'fail', finding: `${left.length} fence ACL(s) still on ${cluster}, e.g. ${describeAcl(left[0]!)}`, data: { left } };
    await ctx.sleep(VERIFY_POLL_MS);
  }
}
