import type { DrillExpect } from './drill.js';
import type { Finding, PathSegment } from './problems.js';
import type { Runbook } from './schema.js';

const warning = (path: PathSegment[], message: string, expected?: string): Finding => ({
  severity: 'warning',
  path,
  message,
  at: 'key',
  ...(expected === undefined ? {} : { expected }),
});

function hasBounds(e: DrillExpect | undefined): boolean {
  return e !== undefined && Object.values(e).some((v) => v !== undefined);
}

const FAULT_WORDS: Partial<Record<string, string>> = {
  'primary-hung': 'the primary hang',
  'broker-down': 'a broker of the primary fail',
  'link-down': 'the replication link fail',
};

/** A drill measures through its probe; its scenarios must inject what their kind says. */
export function checkDrill(rb: Runbook, out: Finding[]): void {
  const drill = rb.drill;
  if (!drill) return;
  const scenarios = Object.entries(drill.scenarios);
  if (!drill.probe) {
    if (hasBounds(drill.expect)) out.push(warning(['drill', 'expect'], 'expectations without a probe; nothing measures them', 'drill.probe { topic, keys, ratePerSecond, group }'));
    for (const [name, s] of scenarios) {
      if (hasBounds(s.expect)) out.push(warning(['drill', 'scenarios', name, 'expect'], 'expectations without a probe; nothing measures them', 'drill.probe'));
    }
    if (scenarios.length > 0 && !hasBounds(drill.expect)) out.push(warning(['drill'], 'scenarios without a probe measure nothing', 'drill.probe'));
  }
  if (drill.probe && !rb.routing) {
    out.push(warning(['drill', 'probe'], 'the probe writes and reads through the routing alias, and the runbook has no routing', 'routing: { alias, switch }'));
  }
  if (drill.probe && rb.workload.groups.includes(drill.probe.group)) {
    out.push(warning(['drill', 'probe', 'group'], `the probe group "${drill.probe.group}" is also a workload group; the drill would move real consumers' offsets`, 'a group of its own, e.g. failover-probe'));
  }
  checkStaleClient(rb, out);
  for (const [name, s] of scenarios) {
    const path: PathSegment[] = ['drill', 'scenarios', name];
    if (!rb.actions[s.action]) {
      out.push({ severity: 'error', path: [...path, 'action'], message: `the runbook has no ${s.action} action`, expected: 'an action defined under actions' });
    }
    if (s.kind === 'planned' && s.fault) {
      out.push(warning([...path, 'fault'], 'a planned scenario injects no fault, yet this one has fault commands', 'no fault, or kind: custom'));
    }
    if (s.kind !== 'planned' && !s.fault) {
      out.push(warning(path, `scenario "${name}" (${s.kind}) has no fault.inject; nothing makes ${FAULT_WORDS[s.kind] ?? 'the primary fail'}`, 'fault: { inject: [...], recover: [...] }'));
    }
    const action = rb.actions[s.action];
    if (s.fault?.during && action && !action.steps.some((x) => x.type === s.fault!.during)) {
      out.push({ severity: 'error', path: [...path, 'fault', 'during'], message: `the ${s.action} action has no ${s.fault.during} step; the fault would never be injected`, expected: `one of ${[...new Set(action.steps.map((x) => x.type))].join(', ')}` });
    }
    if (s.outcome === 'stopped' && action && !action.stopWhen) {
      out.push(warning([...path, 'outcome'], `the scenario expects ${s.action} to stop on a stop criterion, and the action has no stopWhen`, `actions.${s.action}.stopWhen`));
    }
    if (s.fault && !s.fault.recover) {
      out.push(warning([...path, 'fault'], 'the fault has no recover command; the lab stays broken after the drill', 'fault.recover'));
    }
    if (s.kind === 'planned' && s.dwell > 0) out.push(warning([...path, 'dwell'], 'a planned scenario has no fault to dwell in', 'no dwell'));
    const expect = { ...drill.expect, ...s.expect };
    if (s.kind === 'planned' && expect.maxLostEvents !== undefined && expect.maxLostEvents > 0) {
      out.push(warning([...path, s.expect?.maxLostEvents !== undefined ? 'expect' : 'kind'], `a planned switch fences and waits for replication, so it should lose nothing; maxLostEvents is ${expect.maxLostEvents}`, 'maxLostEvents: 0 for a planned scenario'));
    }
    // While the primary is down or hung, and before the action starts, no write is acknowledged.
    const bound = expect.maxWriteDowntimeSeconds;
    if ((s.kind === 'primary-down' || s.kind === 'primary-hung') && bound !== undefined && s.dwell > bound * 1000) {
      out.push(warning([...path, 'dwell'], `the fault lasts ${s.dwell / 1000}s before the action starts, longer than maxWriteDowntimeSeconds ${bound}; the expectation cannot hold`, `dwell at most ${bound}s, or a larger bound`));
    }
  }
}

/** A bound on writes to the demoted cluster needs the stale client that measures them. */
function checkStaleClient(rb: Runbook, out: Finding[]): void {
  const drill = rb.drill!;
  const probe = drill.probe;
  if (!probe || probe.staleRatePerSecond > 0) return;
  const why = 'a bound on writes to the demoted cluster, and no stale client to measure them (staleRatePerSecond is 0)';
  if (drill.expect?.maxWritesToDemoted !== undefined) out.push(warning(['drill', 'expect', 'maxWritesToDemoted'], why, 'staleRatePerSecond above 0, or no maxWritesToDemoted'));
  for (const [name, s] of Object.entries(drill.scenarios)) {
    if (s.expect?.maxWritesToDemoted !== undefined) out.push(warning(['drill', 'scenarios', name, 'expect', 'maxWritesToDemoted'], why, 'drill.probe.staleRatePerSecond above 0'));
  }
}

/** Static half of the governance gate's placement check: labels and regions as written. */
export function checkPolicy(rb: Runbook, out: Finding[]): void {
  const policy = rb.policy;
  if (!policy) return;
  const regions = policy.allowedRegions ? new Set(policy.allowedRegions) : undefined;
  const residency = Object.entries(policy.residency ?? {}).map(([label, allowed]) => [label, allowed, new Set(allowed)] as const);
  for (const [name, c] of Object.entries(rb.clusters)) {
    if (policy.allowedRegions && regions) {
      if (c.region === undefined) out.push(warning(['clusters', name], `cluster "${name}" has no region; policy.allowedRegions cannot be checked`, `region: one of ${policy.allowedRegions.join(', ')}`));
      else if (!regions.has(c.region)) {
        out.push({ ...warning(['clusters', name, 'region'], `region ${c.region} is not allowed by policy`, `one of ${policy.allowedRegions.join(', ')}`), at: 'value' });
      }
    }
    for (const [label, allowed, allowedSet] of residency) {
      const v = c.labels[label];
      if (v === undefined) out.push(warning(['clusters', name], `cluster "${name}" has no ${label} label; policy.residency requires one`, `labels: { ${label}: ${allowed[0] ?? '...'} }`));
      else if (!allowedSet.has(v)) {
        out.push({ ...warning(['clusters', name, 'labels', label], `${label} ${v} is not allowed by policy.residency`, `one of ${allowed.join(', ')}`), at: 'value' });
      }
    }
  }
}
