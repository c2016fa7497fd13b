import type { Acl } from '../kafka/acls.js';
import type { ConfigMap } from '../kafka/configs.js';
import type { ClusterSnapshot } from '../kafka/snapshot.js';
import type { GateContext } from './context.js';
import { primaryUnreachable } from './compatibility.js';
import { fail, listSome, pass, plural, skip, warn, secondaryDown } from './evidence.js';
import type { Evidence } from './types.js';

/** Does the secondary enforce the same access rules and placement policy as the primary? */
export async function governanceGate(ctx: GateContext): Promise<Evidence[]> {
  return [aclParity(ctx), authentication(ctx), authorizer(ctx), configParity(ctx), placement(ctx)];
}

function matchesName(acl: Acl, name: string): boolean {
  if (acl.resourceName === '*' && acl.patternType === 'LITERAL') return true;
  return acl.patternType === 'PREFIXED' ? name.startsWith(acl.resourceName) : acl.resourceName === name;
}

function describeAcl(a: Acl): string {
  const res = `${a.resourceType}:${a.resourceName}${a.patternType === 'PREFIXED' ? '*' : ''}`;
  return `${a.permission} ${a.principal} ${a.operation} on ${res}${a.host === '*' ? '' : ` from ${a.host}`}`;
}

/**
 * The bindings that govern the workload on the primary: on its topics,
 * its groups, and cluster-level ones for its producers. failover's own
 * fence ACLs (DENY Write/IdempotentWrite for the workload producers on the
 * workload topics, which fence-writes creates and unfence-writes removes)
 * are not policy and are left out.
 */
function workloadAcls(ctx: GateContext, acls: Acl[]): { acl: Acl; names: string[] }[] {
  const topics = ctx.workload.topics.map((t) => t.onPrimary);
  const groups = ctx.workload.groups;
  const producers = new Set(ctx.runbook.workload.producers);
  const out: { acl: Acl; names: string[] }[] = [];
  for (const a of acls) {
    if (a.permission === 'DENY' && a.resourceType === 'Topic' && producers.has(a.principal) && (a.operation === 'Write' || a.operation === 'IdempotentWrite')) {
      if (topics.some((t) => matchesName(a, t))) continue;
    }
    if (a.resourceType === 'Topic') {
      const names = topics.filter((t) => matchesName(a, t));
      if (names.length) out.push({ acl: a, names });
    } else if (a.resourceType === 'Group') {
      const names = groups.filter((g) => matchesName(a, g));
      if (names.length) out.push({ acl: a, names });
    } else if (a.resourceType === 'Cluster' && producers.has(a.principal)) {
      out.push({ acl: a, names: [a.resourceName] });
    }
  }
  return out;
}

/** Whether `acls` (on the secondary) grant or deny the same as `want` does for `name`. */
function covered(acls: readonly Acl[], want: Acl, name: string): boolean {
  return acls.some(
    (b) =>
      b.permission === want.permission &&
      b.principal === want.principal &&
      b.resourceType === want.resourceType &&
      (b.host === want.host || b.host === '*') &&
      (b.operation === want.operation || b.operation === 'All') &&
      matchesName(b, name),
  );
}

function aclParity(ctx: GateContext): Evidence {
  const { primary: P, secondary: S } = ctx;
  const check = 'governance.acl-parity';
  if (!S.reachable) return secondaryDown(ctx, check, 'ACLs');
  if (!P.reachable) return primaryUnreachable(ctx, check, 'ACLs');
  const pa = P.acls;
  const sa = S.acls;
  const noAuthorizer = (f: typeof pa) => f !== undefined && !f.ok && (f.kafkaErrors ?? []).includes('SECURITY_DISABLED');
  if (noAuthorizer(pa) && noAuthorizer(sa)) return skip(check, `neither ${P.name} nor ${S.name} has an authorizer: no ACLs to compare`);
  if (!pa?.ok) return fail(check, `ACLs on ${P.name} could not be read: ${pa?.error ?? 'not read'}`, { hint: 'the principal failover uses needs Describe on the cluster to list ACLs' });
  if (!sa?.ok) {
    return fail(check, noAuthorizer(sa) ? `${S.name} has no authorizer, so none of ${P.name}'s ACLs is enforced there` : `ACLs on ${S.name} could not be read: ${sa?.error ?? 'not read'}`, {
      hint: `configure authorizer.class.name on ${S.name} and copy the workload ACLs`,
    });
  }
  const mapping = new Map(ctx.workload.topics.map((t) => [t.onPrimary, t.onSecondary]));
  const needed = workloadAcls(ctx, pa.value);
  const missing: { acl: Acl; name: string; expected: string[] }[] = [];
  for (const { acl, names } of needed) {
    for (const name of names) {
      // On the secondary, the same name or the counterpart of a topic will do: clients may use either after a switch.
      const candidates = acl.resourceType === 'Topic' ? [...new Set([name, mapping.get(name) ?? name])] : [name];
      if (!candidates.some((c) => covered(sa.value, acl, c))) missing.push({ acl, name, expected: candidates });
    }
  }
  const data = { compared: needed.length, missing: missing.map((m) => ({ ...m.acl, resource: m.name, expectedOn: m.expected })) };
  if (missing.length) {
    return fail(
      check,
      `missing on ${S.name}: ${listSome(missing.map((m) => `${m.acl.permission} ${m.acl.principal} ${m.acl.operation} on ${m.acl.resourceType}:${m.expected.join(' or ')}`), 2)}`,
      { data, hint: `create the same bindings on ${S.name} (kafka-acls --add), or the workload will be refused or let through differently after a switch` },
    );
  }
  return pass(check, `${plural(needed.length, 'workload ACL')} of ${P.name} ${needed.length === 1 ? 'has its' : 'have their'} match on ${S.name}`, {
    data: { ...data, acls: needed.map((n) => describeAcl(n.acl)) },
  });
}

/** Security protocols of the advertised listeners, from the broker's own configs. */
function listenerProtocols(cfg: ConfigMap): { listener: string; protocol: string; authenticated: boolean }[] {
  const map = new Map(
    (cfg['listener.security.protocol.map']?.value ?? '')
      .split(',')
      .map((kv) => kv.split(':'))
      .filter((kv) => kv.length === 2)
      .map(([k, v]) => [k!.trim().toUpperCase(), v!.trim().toUpperCase()]),
  );
  const advertised = cfg['advertised.listeners']?.value || cfg['listeners']?.value || '';
  const clientAuth = (cfg['ssl.client.auth']?.value ?? 'none').toLowerCase();
  return advertised
    .split(',')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const name = l.split('://')[0]!.toUpperCase();
      const protocol = map.get(name) ?? name;
      const authenticated = protocol.startsWith('SASL_') || (protocol === 'SSL' && clientAuth === 'required');
      return { listener: l, protocol, authenticated };
    });
}

function brokerConfigsOf(s: ClusterSnapshot): ConfigMap | string {
  if (!s.brokerConfigs) return 'broker configs not read';
  return s.brokerConfigs.ok ? s.brokerConfigs.value : s.brokerConfigs.error;
}

function authentication(ctx: GateContext): Evidence {
  const { primary: P, secondary: S } = ctx;
  const check = 'governance.authentication';
  if (!S.reachable) return secondaryDown(ctx, check, 'authentication');
  const sc = brokerConfigsOf(S);
  if (typeof sc === 'string') return fail(check, `broker configs of ${S.name} could not be read: ${sc}`, { hint: 'failover needs DescribeConfigs on the cluster' });
  const sl = listenerProtocols(sc);
  const open = sl.filter((l) => !l.authenticated);
  if (!P.reachable) {
    if (open.length) return warn(check, `${S.name} accepts unauthenticated clients on ${listSome(open.map((l) => `${l.listener} (${l.protocol})`))}; ${P.name} unreachable, not compared`, { data: { secondary: sl } });
    return pass(check, `${S.name} authenticates every advertised listener (${listSome(sl.map((l) => l.protocol))}); ${P.name} unreachable, not compared`, { data: { secondary: sl } });
  }
  const pc = brokerConfigsOf(P);
  if (typeof pc === 'string') return fail(check, `broker configs of ${P.name} could not be read: ${pc}`);
  const pl = listenerProtocols(pc);
  const data = { primary: pl, secondary: sl };
  const primaryAuth = pl.length > 0 && pl.every((l) => l.authenticated);
  if (primaryAuth && open.length) {
    return fail(check, `${P.name} authenticates every client but ${S.name} accepts unauthenticated ones on ${listSome(open.map((l) => `${l.listener} (${l.protocol})`))}`, {
      data,
      hint: `switch ${S.name}'s advertised listeners to SASL or mutual TLS before clients are moved there`,
    });
  }
  if (!primaryAuth) return warn(check, `neither cluster requires authentication on every listener (${P.name}: ${listSome(pl.map((l) => l.protocol))})`, { data });
  return pass(check, `both authenticate every advertised listener (${S.name}: ${listSome(sl.map((l) => l.protocol))})`, { data });
}

function hasAuthorizer(cfg: ConfigMap): string | undefined {
  const v = cfg['authorizer.class.name']?.value;
  return v ? v : undefined;
}

function authorizer(ctx: GateContext): Evidence {
  const { primary: P, secondary: S } = ctx;
  const check = 'governance.authorizer';
  if (!S.reachable) return secondaryDown(ctx, check, 'the authorizer');
  const sc = brokerConfigsOf(S);
  if (typeof sc === 'string') return fail(check, `broker configs of ${S.name} could not be read: ${sc}`);
  const sa = hasAuthorizer(sc);
  if (!P.reachable) {
    return sa ? pass(check, `${S.name} runs ${sa}; ${P.name} unreachable, not compared`) : warn(check, `${S.name} has no authorizer; ${P.name} unreachable, not compared`);
  }
  const pc = brokerConfigsOf(P);
  if (typeof pc === 'string') return fail(check, `broker configs of ${P.name} could not be read: ${pc}`);
  const pa = hasAuthorizer(pc);
  const data = { [P.name]: pa ?? null, [S.name]: sa ?? null };
  if (pa && !sa) {
    return fail(check, `${P.name} runs ${pa} but ${S.name} has no authorizer: every client could do anything there`, {
      data,
      hint: `set authorizer.class.name on ${S.name} (and its super.users and ACLs) before a switch`,
    });
  }
  if (!pa && !sa) return warn(check, `neither ${P.name} nor ${S.name} has an authorizer`, { data });
  return pass(check, `${S.name} runs ${sa}${pa && pa !== sa ? ` (${P.name}: ${pa})` : ''}`, { data });
}

function configParity(ctx: GateContext): Evidence {
  const { primary: P, secondary: S } = ctx;
  const keys = ctx.runbook.gates.governance.configParityKeys;
  const check = 'governance.config-parity';
  if (!S.reachable) return secondaryDown(ctx, check, 'broker configs');
  if (!P.reachable) return primaryUnreachable(ctx, check, 'broker configs');
  const pc = brokerConfigsOf(P);
  const sc = brokerConfigsOf(S);
  if (typeof pc === 'string' || typeof sc === 'string') return fail(check, `broker configs could not be read: ${typeof pc === 'string' ? `${P.name}: ${pc}` : `${S.name}: ${sc}`}`);
  const rows = keys.map((key) => ({ key, [P.name]: pc[key]?.value ?? null, [S.name]: sc[key]?.value ?? null, differ: (pc[key]?.value ?? null) !== (sc[key]?.value ?? null) }));
  const differ = rows.filter((r) => r.differ);
  if (differ.length) {
    return fail(check, `broker configs differ: ${listSome(differ.map((r) => `${r.key} is ${r[P.name]} on ${P.name}, ${r[S.name]} on ${S.name}`), 2)}`, {
      data: rows,
      hint: 'align them, or change gates.governance.configParityKeys if the difference is policy',
    });
  }
  return pass(check, `${listSome(keys, 4)} agree`, { data: rows });
}

function placement(ctx: GateContext): Evidence {
  const rb = ctx.runbook;
  const check = 'governance.placement';
  const policy = rb.policy;
  if (!policy || (!policy.allowedRegions && !policy.residency)) return pass(check, 'no placement policy in the runbook');
  const problems: string[] = [];
  for (const name of [ctx.primary.name, ctx.secondary.name]) {
    const spec = rb.clusters[name];
    if (!spec) continue;
    if (policy.allowedRegions) {
      if (!spec.region) problems.push(`${name} declares no region (allowed: ${policy.allowedRegions.join(', ')})`);
      else if (!policy.allowedRegions.includes(spec.region)) problems.push(`${name} runs in ${spec.region}, not among ${policy.allowedRegions.join(', ')}`);
    }
    for (const [label, allowed] of Object.entries(policy.residency ?? {})) {
      const v = spec.labels[label];
      if (v === undefined) problems.push(`${name} has no ${label} label (allowed: ${allowed.join(', ')})`);
      else if (!allowed.includes(v)) problems.push(`${name} has ${label}=${v}, not among ${allowed.join(', ')}`);
    }
  }
  if (problems.length) return fail(check, listSome(problems, 2), { data: problems, hint: 'data may only be placed where policy allows; fix the cluster or the policy' });
  return pass(check, `both clusters are placed as policy allows`);
}
