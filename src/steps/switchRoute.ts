import { renderArgv } from '../runbook/templates.js';
import { stepParams } from '../runbook/steps.js';
import { resolveCluster } from './clusterRef.js';
import { getProperty, readProperties, setProperty, writeAtomically } from './propertiesFile.js';
import { describeResult, runCommand, type CommandResult } from './runCommand.js';
import type { Evidence, OutcomeBase, PlanBase, StepContext, StepModule } from './types.js';

type Ctx = Pick<StepContext, 'runbook' | 'roles' | 'baseDir' | 'records' | 'activeCluster' | 'templates' | 'env' | 'clusterIdAt' | 'clusterId' | 'now' | 'sleep'>;

export interface SwitchRoutePlan extends PlanBase {
  mode: 'file' | 'command';
  to: string;
  /** the cluster the route serves before the switch */
  from: string;
  path?: string;
  key?: string;
  /** file mode: the value now (null: the key is absent) */
  current?: string | null;
  currentFileExists?: boolean;
  /** file mode: the value to write (null: remove the key) */
  next?: string | null;
  nextFileExists?: boolean;
  /** true when `next` is the value an earlier switch replaced, restored exactly */
  restores?: boolean;
  /** command mode: the rendered command */
  argv?: string[];
}

export interface SwitchRouteOutcome extends OutcomeBase {
  command?: CommandResult;
}

const COMMAND_TIMEOUT_MS = 60_000;

/**
 * switch-route: points the routing alias at a cluster, by rewriting one key
 * of a properties file (atomically) or by running a command. The value the
 * switch replaces is recorded on the clusters before it is replaced, so the
 * switch back restores exactly that value rather than a bootstrap list
 * rebuilt from the runbook.
 */
export const switchRoute: StepModule<'switch-route', SwitchRoutePlan, SwitchRouteOutcome, Ctx> = {
  name: 'switch-route',
  params: stepParams['switch-route'],

  async plan(ctx, params) {
    const to = resolveCluster(ctx, params.to);
    const from = ctx.activeCluster;
    const sw = ctx.runbook.routing?.switch;
    if (!sw) return { mode: 'file', to, from, summary: 'no routing.switch in the runbook', details: [], blocked: 'the runbook has no routing.switch to move the alias with' };
    const bootstrap = ctx.runbook.clusters[to]?.bootstrap.join(',') ?? '';
    if ('command' in sw) {
      const t = ctx.templates(to === ctx.roles.primary ? 'reverse' : 'forward');
      const argv = renderArgv(sw.command, { ...t, source: { ...t.source }, target: { ...t.target } });
      return { mode: 'command', to, from, argv, summary: `run ${argv[0]} to point ${ctx.runbook.routing?.alias} at ${to} (${bootstrap})`, details: [`run ${argv.join(' ')}`] };
    }
    const { path, key } = sw.file;
    const file = readProperties(path);
    const current = file.exists ? getProperty(file.text, key) : null;
    const recorded = await ctx.records.route();
    const restores = recorded?.mode === 'file' && recorded.path === path && recorded.key === key && recorded.previousFor === to && recorded.set === current;
    const next = restores ? recorded!.previous : bootstrap;
    const nextFileExists = restores ? (recorded!.previousFileExisted ?? true) || next !== null : true;
    const noop = current === next && file.exists === nextFileExists;
    return {
      mode: 'file',
      to,
      from,
      path,
      key,
      current,
      currentFileExists: file.exists,
      next,
      nextFileExists,
      ...(restores ? { restores: true } : {}),
      summary: noop
        ? `${key} in ${path} already points at ${to}`
        : `set ${key} in ${path}: ${current ?? '(absent)'} -> ${next ?? '(absent)'}${restores ? ' (the value before the last switch)' : ''}`,
      details: noop ? [] : [`${path}: ${key}=${current ?? '(absent)'} -> ${key}=${next ?? '(absent)'}`],
      noop,
    };
  },

  async apply(ctx, plan) {
    if (plan.mode === 'command') {
      await ctx.records.recordRoute({ mode: 'command', to: plan.to, previous: null, set: null, previousFor: plan.from });
      const command = await runCommand(plan.argv ?? [], { cwd: ctx.baseDir, timeoutMs: COMMAND_TIMEOUT_MS, env: ctx.env });
      return { command, summary: `${plan.argv?.[0]}: ${describeResult(command)}` };
    }
    if (plan.noop) return { summary: 'the route already pointed there' };
    const path = plan.path!;
    const key = plan.key!;
    // Recorded before the file changes: the value it replaces must never be lost.
    await ctx.records.recordRoute({
      mode: 'file',
      to: plan.to,
      previous: plan.current ?? null,
      previousFileExisted: plan.currentFileExists ?? true,
      set: plan.next ?? null,
      previousFor: plan.from,
      path,
      key,
    });
    const file = readProperties(path);
    const text = setProperty(file.text, key, plan.next ?? null);
    writeAtomically(path, { exists: Boolean(plan.nextFileExists) || text !== '', text });
    return { summary: `${key}=${plan.next ?? '(removed)'} in ${path}` };
  },

  async verify(ctx, plan, outcome) {
    if (plan.mode === 'command') {
      const c = outcome?.command;
      if (c && (c.exitCode !== 0 || c.timedOut)) return { check: 'switch-route', status: 'fail', finding: `route command failed: ${describeResult(c)}`, data: { output: c.output } };
      // The command's exit code says it ran; where the alias leads says whether it worked.
      return routePointsAt(ctx, plan.to, c ? `route command succeeded (${describeResult(c)})` : 'the route command ran in an earlier process');
    }
    const file = readProperties(plan.path!);
    const value = file.exists ? getProperty(file.text, plan.key!) : null;
    if (value === (plan.next ?? null)) {
      return { check: 'switch-route', status: 'pass', finding: `${plan.key}=${value ?? '(absent)'} in ${plan.path}: the route points at ${plan.to}` };
    }
    return { check: 'switch-route', status: 'fail', finding: `${plan.key} in ${plan.path} is ${value ?? '(absent)'}, expected ${plan.next ?? '(absent)'}` };
  },

  undo: {
    async plan(ctx, recorded) {
      const p = recorded.plan;
      if (p.mode === 'command') {
        const t = ctx.templates(p.from === ctx.roles.primary ? 'reverse' : 'forward');
        const sw = ctx.runbook.routing?.switch;
        if (!sw || !('command' in sw)) return { ...p, summary: 'the runbook has no route command now', details: [], blocked: 'routing.switch.command is gone from the runbook; point the route back by hand' };
        const argv = renderArgv(sw.command, { ...t, source: { ...t.source }, target: { ...t.target } });
        return { ...p, to: p.from, from: p.to, argv, summary: `run ${argv[0]} to point the route back at ${p.from}`, details: [`run ${argv.join(' ')}`] };
      }
      const file = readProperties(p.path!);
      const now = file.exists ? getProperty(file.text, p.key!) : null;
      const back = { ...p, to: p.from, from: p.to, current: now, currentFileExists: file.exists, next: p.current ?? null, nextFileExists: p.currentFileExists ?? true };
      if (now === (p.current ?? null) && file.exists === (p.currentFileExists ?? true)) return { ...back, summary: `${p.key} in ${p.path} already points at ${p.from}`, details: [], noop: true };
      if (now !== (p.next ?? null)) {
        return { ...back, summary: `the route was changed since the switch`, details: [], blocked: `${p.key} in ${p.path} is ${now ?? '(absent)'}, neither what the switch set (${p.next ?? '(absent)'}) nor what it replaced (${p.current ?? '(absent)'}); failover leaves it to you` };
      }
      return { ...back, summary: `set ${p.key} in ${p.path} back: ${now ?? '(absent)'} -> ${p.current ?? '(absent)'}`, details: [`${p.path}: ${p.key}=${now ?? '(absent)'} -> ${p.key}=${p.current ?? '(absent)'}`] };
    },
    apply: (ctx, plan) => switchRoute.apply(ctx, plan as SwitchRoutePlan),
    verify: (ctx, plan) => switchRoute.verify(ctx, plan as SwitchRoutePlan),
  },
};

/** How long a routed alias may take to lead to the new cluster (DNS caches) before verify gives up. */
const ROUTE_SETTLE_MS = 15_000;

/** Polls the routing alias until it leads to `to`'s cluster id (or the window ends). */
async function routePointsAt(ctx: Ctx, to: string, ran: string): Promise<Evidence> {
  const alias = ctx.runbook.routing?.alias;
  const want = await ctx.clusterId(to);
  if (!alias) return { check: 'switch-route', status: 'fail', finding: `${ran}, and the runbook names no routing alias to check where it leads` };
  if (want === undefined) return { check: 'switch-route', status: 'fail', finding: `${ran}, but ${to}'s cluster id cannot be read to compare with where ${alias} leads` };
  const until = ctx.now() + ROUTE_SETTLE_MS + ctx.runbook.gates.routing.dnsTtlMaxSeconds * 1000;
  for (;;) {
    const at = await ctx.clusterIdAt([alias], to);
    if (at.clusterId === want) return { check: 'switch-route', status: 'pass', finding: `${ran}; ${alias} reaches ${to} (cluster id ${want})`, data: { alias, clusterId: want } };
    if (ctx.now() >= until) {
      return {
        check: 'switch-route',
        status: 'fail',
        finding: `${ran}, but ${alias} ${at.clusterId ? `reaches cluster id ${at.clusterId}` : `does not answer (${at.error})`}, not ${to} (${want})`,
        data: { alias, want, got: at },
        hint: 'check the route command and where the alias resolves; resume when it leads to the right cluster',
      };
    }
    await ctx.sleep(500);
  }
}
