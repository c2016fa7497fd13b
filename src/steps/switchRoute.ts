import { renderArgv } from '../runbook/templates.js';
import { stepParams } from '../runbook/steps.js';
import { resolveCluster } from './clusterRef.js';
import { getProperty, readProperties, setProperty, writeAtomically } from './propertiesFile.js';
import { describeResult, runCommand, type CommandResult } from './runCommand.js';
import type { OutcomeBase, PlanBase, StepContext, StepModule } from './types.js';

type Ctx = Pick<StepContext, 'runbook' | 'roles' | 'baseDir' | 'records' | 'activeCluster' | 'templates' | 'env'>;

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

  async verify(_ctx, plan, outcome) {
    if (plan.mode === 'command') {
      const c = outcome?.command;
      if (!c) return { check: 'switch-route', status: 'warn', finding: 'the route command ran in an earlier process; its result is in the transcript' };
      return c.exitCode === 0 && !c.timedOut
        ? { check: 'switch-route', status: 'pass', finding: `route command succeeded (${describeResult(c)})` }
        : { check: 'switch-route', status: 'fail', finding: `route command failed: ${describeResult(c)}`, data: { output: c.output } };
    }
    const file = readProperties(plan.path!);
    const value = file.exists ? getProperty(file.text, plan.key!) : null;
    if (value === (plan.next ?? null)) {
      return { check: 'switch-route', status: 'pass', finding: `${plan.key}=${value ?? '(absent)'} in ${plan.path}: the route points at ${plan.to}` };
    }
    return { check: 'switch-route', status: 'fail', finding: `${plan.key} in ${plan.path} is ${value ?? '(absent)'}, expected ${plan.next ?? '(absent)'}` };
  },
};
