import { errorMessage } from '../errors.js';
import { renderArgv } from '../runbook/templates.js';
import { describeResult, runCommand, type CommandResult } from './runCommand.js';
import type { OutcomeBase, PlanBase, StepContext } from './types.js';

export type LinkCtx = Pick<StepContext, 'runbook' | 'roles' | 'baseDir' | 'templates' | 'env' | 'sleep'>;
type Direction = 'forward' | 'reverse';

export interface LinkPlan extends PlanBase {
  want: 'pause' | 'resume';
  via: 'connect' | 'command';
  directions: Direction[];
  /** Connect REST: the answering URL and the connectors of the chosen directions, with their state when planned */
  url?: string;
  connectors?: { name: string; direction: Direction; state: string }[];
  commands?: { direction: Direction; argv: string[] }[];
}

export interface LinkOutcome extends OutcomeBase {
  commands?: CommandResult[];
}

const REST_TIMEOUT_MS = 10_000;

interface ConnectorView {
  name: string;
  state: string;
  sourceAlias?: string;
  targetAlias?: string;
}

async function rest(url: string, method: 'GET' | 'PUT'): Promise<unknown> {
  const res = await fetch(url, { method, signal: AbortSignal.timeout(REST_TIMEOUT_MS), headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${method} ${url}: HTTP ${res.status}`);
  const text = await res.text();
  return text ? (JSON.parse(text) as unknown) : undefined;
}

async function listConnectors(base: string): Promise<ConnectorView[]> {
  const all = (await rest(`${base}/connectors?expand=status&expand=info`, 'GET')) as Record<
    string,
    { info?: { config?: Record<string, string> }; status?: { connector?: { state?: string } } }
  >;
  return Object.entries(all ?? {}).map(([name, c]) => ({
    name,
    state: c.status?.connector?.state ?? 'UNKNOWN',
    ...(c.info?.config?.['source.cluster.alias'] ? { sourceAlias: c.info.config['source.cluster.alias'] } : {}),
    ...(c.info?.config?.['target.cluster.alias'] ? { targetAlias: c.info.config['target.cluster.alias'] } : {}),
  }));
}

function directionsOf(ctx: LinkCtx, direction: Direction | undefined): Direction[] {
  if (direction) return [direction];
  return ctx.runbook.link.reverse ? ['forward', 'reverse'] : ['forward'];
}

/** Plans pausing or resuming the link: Kafka Connect REST when the runbook names it, else link.commands. */
export async function planLink(ctx: LinkCtx, want: 'pause' | 'resume', direction: Direction | undefined): Promise<LinkPlan> {
  const directions = directionsOf(ctx, direction);
  const link = ctx.runbook.link;
  const connect = link.kind === 'mirrormaker2' ? link.connect : undefined;
  if (connect) {
    let lastError = '';
    for (const url of connect.urls) {
      const base = url.replace(/\/+$/, '');
      try {
        const all = await listConnectors(base);
        const alias = (c: string) => (link.kind === 'mirrormaker2' ? (link.aliases[c] ?? c) : c);
        const picked = directions.flatMap((d) => {
          const [s, t] = d === 'forward' ? [ctx.roles.primary, ctx.roles.secondary] : [ctx.roles.secondary, ctx.roles.primary];
          const named = connect.connectors[d];
          const list = named.length ? all.filter((c) => named.includes(c.name)) : all.filter((c) => c.sourceAlias === alias(s) && c.targetAlias === alias(t));
          return list.map((c) => ({ name: c.name, direction: d, state: c.state }));
        });
        const wantState = want === 'pause' ? 'PAUSED' : 'RUNNING';
        const todo = picked.filter((c) => c.state !== wantState);
        return {
          want,
          via: 'connect',
          directions,
          url: base,
          connectors: picked,
          summary: picked.length === 0 ? `no MirrorMaker 2 connector found for ${directions.join(' and ')} at ${base}` : `${want} ${todo.length} of ${picked.length} connector(s) at ${base}`,
          details: picked.map((c) => `${c.name} (${c.direction}): ${c.state}${c.state === wantState ? ', nothing to do' : ` -> ${wantState}`}`),
          noop: todo.length === 0,
          ...(picked.length === 0 ? { blocked: `Kafka Connect at ${base} runs no connector of the ${directions.join(' or ')} flow` } : {}),
        };
      } catch (e) {
        lastError = errorMessage(e);
      }
    }
    return { want, via: 'connect', directions, summary: `cannot reach Kafka Connect`, details: [], blocked: `no Kafka Connect URL answered: ${lastError}` };
  }
  const cmd = link.commands?.[want];
  if (!cmd) {
    return { want, via: 'command', directions, summary: `no way to ${want} the link`, details: [], blocked: `the runbook gives neither link.connect nor link.commands.${want}` };
  }
  const commands = directions.map((d) => ({ direction: d, argv: renderArgv(cmd, ctx.templates(d)) }));
  return { want, via: 'command', directions, commands, summary: `${want} ${directions.join(' and ')} with link.commands.${want}`, details: commands.map((c) => `${c.direction}: ${c.argv.join(' ')}`) };
}

export async function applyLink(ctx: LinkCtx, plan: LinkPlan): Promise<LinkOutcome> {
  if (plan.via === 'connect') {
    const wantState = plan.want === 'pause' ? 'PAUSED' : 'RUNNING';
    const todo = (plan.connectors ?? []).filter((c) => c.state !== wantState);
    for (const c of todo) await rest(`${plan.url}/connectors/${encodeURIComponent(c.name)}/${plan.want}`, 'PUT');
    return { summary: `asked Kafka Connect to ${plan.want} ${todo.length} connector(s)` };
  }
  const commands: CommandResult[] = [];
  for (const c of plan.commands ?? []) commands.push(await runCommand(c.argv, { cwd: ctx.baseDir, timeoutMs: 60_000, env: ctx.env }));
  return { commands, summary: commands.map((r) => `${r.argv[0]}: ${describeResult(r)}`).join('; ') };
}

export async function verifyLink(ctx: LinkCtx, plan: LinkPlan, outcome: LinkOutcome | undefined) {
  const check = `${plan.want}-link`;
  if (plan.via === 'command') {
    const results = outcome?.commands;
    if (!results) return { check, status: 'warn' as const, finding: 'the commands ran in an earlier process; their results are in the transcript' };
    const bad = results.filter((r) => r.exitCode !== 0 || r.timedOut);
    return bad.length
      ? { check, status: 'fail' as const, finding: `${bad.length} command(s) failed: ${bad.map(describeResult).join('; ')}` }
      : { check, status: 'pass' as const, finding: `link ${plan.want === 'pause' ? 'paused' : 'resumed'} (${plan.directions.join(', ')})` };
  }
  const wantState = plan.want === 'pause' ? 'PAUSED' : 'RUNNING';
  const names = new Set((plan.connectors ?? []).map((c) => c.name));
  // Connect applies a pause asynchronously: give it a few seconds.
  let states: ConnectorView[] = [];
  for (let i = 0; i < 20; i++) {
    states = (await listConnectors(plan.url!)).filter((c) => names.has(c.name));
    if (states.every((c) => c.state === wantState)) break;
    await ctx.sleep(500);
  }
  const off = states.filter((c) => c.state !== wantState);
  return off.length
    ? { check, status: 'fail' as const, finding: `${off.map((c) => `${c.name} is ${c.state}`).join(', ')}; expected ${wantState}` }
    : { check, status: 'pass' as const, finding: `${states.length} connector(s) ${wantState}` };
}
