import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TemplateContext } from '../../../src/runbook/templates.js';
import { pauseLink } from '../../../src/steps/pauseLink.js';
import { run } from '../../../src/steps/run.js';
import { switchRoute } from '../../../src/steps/switchRoute.js';
import type { PairRecords, RouteRecord } from '../../../src/steps/types.js';

const node = process.execPath;
const dir = mkdtempSync(join(tmpdir(), 'steps-'));
const cluster = (name: string, port: number) => ({ bootstrap: `127.0.0.1:${port}`, name, region: `r-${name}`, alias: name });
const templates = (d: 'forward' | 'reverse'): TemplateContext => {
  const [s, t] = d === 'forward' ? [cluster('east', 1), cluster('west', 2)] : [cluster('west', 2), cluster('east', 1)];
  return { source: s, target: t, runbook: { name: 'rb' }, transcript: { path: '/t.jsonl' } };
};

function records(): PairRecords & { routes: RouteRecord[] } {
  const routes: RouteRecord[] = [];
  return {
    routes,
    fence: async () => undefined,
    pendingFence: async () => undefined,
    recordFence: async () => undefined,
    translated: async () => undefined,
    recordTranslated: async () => undefined,
    route: async () => routes.at(-1),
    recordRoute: async (r) => void routes.push(r),
    roles: async () => ({ primary: 'east', secondary: 'west' }),
    setRoles: async () => undefined,
  };
}

describe('steps that run commands (real processes, no cluster)', () => {
  it('run: renders templates, captures output, and verifies the expected exit code', async () => {
    const ctx = { baseDir: dir, templates, action: 'promote', env: process.env };
    const plan = await run.plan(ctx, { command: [node, '-e', 'console.log("to", process.argv[1]); process.exit(3)', '{{target.bootstrap}}'], timeout: 10_000, expectExit: 3 });
    expect(plan.argv.at(-1)).toBe('127.0.0.1:2');
    const outcome = await run.apply(ctx, plan);
    expect(outcome.result).toMatchObject({ exitCode: 3, timedOut: false });
    expect(outcome.result.output).toContain('to 127.0.0.1:2');
    expect((await run.verify(ctx, plan, outcome)).status).toBe('pass');
    expect((await run.verify(ctx, { ...plan, expectExit: 0 }, outcome)).status).toBe('fail');
  });

  it('run: a command past its deadline is killed and fails; in revert, target is the primary', async () => {
    const ctx = { baseDir: dir, templates, action: 'revert', env: process.env };
    const plan = await run.plan(ctx, { command: [node, '-e', 'setTimeout(() => {}, 10000)', '{{target.name}}'], timeout: 300, expectExit: 0 });
    expect(plan.argv.at(-1)).toBe('east');
    const outcome = await run.apply(ctx, plan);
    expect(outcome.result.timedOut).toBe(true);
    expect((await run.verify(ctx, plan, outcome)).finding).toMatch(/timed out/);
  });

  /**
   * Where the alias leads, read the way a client would: here the route
   * command writes the bootstrap it points the alias at into a file (a
   * stand-in for a DNS record), and the alias leads to whichever cluster
   * owns that bootstrap. A clock that moves only when the step sleeps keeps
   * the settle window instant.
   */
  function commandRouteCtx(out: string, command: string[]) {
    const rec = records();
    let clock = 0;
    const ids: Record<string, string> = { '127.0.0.1:1': 'id-east', '127.0.0.1:2': 'id-west' };
    return {
      rec,
      ctx: {
        runbook: { routing: { alias: 'a:1', switch: { command } }, gates: { routing: { dnsTtlMaxSeconds: 5 } }, clusters: { east: { bootstrap: ['127.0.0.1:1'] }, west: { bootstrap: ['127.0.0.1:2'] } } },
        roles: { primary: 'east', secondary: 'west' },
        baseDir: dir,
        records: rec,
        activeCluster: 'east',
        templates,
        env: process.env,
        now: () => clock,
        sleep: async (ms: number) => void (clock += ms),
        clusterId: async (c: string) => (c === 'east' ? 'id-east' : 'id-west'),
        clusterIdAt: async (bootstrap: string[]) => {
          expect(bootstrap).toEqual(['a:1']);
          let at: string;
          try {
            at = readFileSync(out, 'utf8');
          } catch {
            return { error: 'a:1 does not resolve' };
          }
          return ids[at] ? { clusterId: ids[at] } : { error: `nothing answers at ${at}` };
        },
      } as never,
    };
  }

  it('switch-route by command: records the switch before running it, and verifies where the alias now leads', async () => {
    const out = join(dir, 'moved.txt');
    const { rec, ctx } = commandRouteCtx(out, [node, '-e', `require('fs').writeFileSync(${JSON.stringify(out)}, process.argv[1])`, '{{target.bootstrap}}']);
    const plan = await switchRoute.plan(ctx, { to: 'secondary' });
    expect(plan).toMatchObject({ mode: 'command', to: 'west', from: 'east' });
    const outcome = await switchRoute.apply(ctx, plan);
    expect(readFileSync(out, 'utf8')).toBe('127.0.0.1:2');
    expect(rec.routes).toEqual([{ mode: 'command', to: 'west', previous: null, set: null, previousFor: 'east' }]);
    const ev = await switchRoute.verify(ctx, plan, outcome);
    expect(ev).toMatchObject({ status: 'pass', data: { alias: 'a:1', clusterId: 'id-west' } });
  });

  it('switch-route by command: a command that exits 0 but leaves the alias on the old cluster fails verification', async () => {
    const out = join(dir, 'stuck.txt');
    // The "DNS record" still names east, and the command claims success without moving it.
    writeFileSync(out, '127.0.0.1:1');
    const { ctx } = commandRouteCtx(out, [node, '-e', 'process.exit(0)', '{{target.bootstrap}}']);
    const plan = await switchRoute.plan(ctx, { to: 'secondary' });
    const outcome = await switchRoute.apply(ctx, plan);
    expect(outcome.command?.exitCode).toBe(0);
    const ev = await switchRoute.verify(ctx, plan, outcome);
    expect(ev.status).toBe('fail');
    expect(ev.finding).toMatch(/a:1 reaches cluster id id-east, not west \(id-west\)/);
  });

  it('switch-route by file: the way back restores the exact value the first switch replaced', async () => {
    const path = join(dir, 'client.properties');
    writeFileSync(path, '# app\nbootstrap.servers=east-lb.internal:9092\n');
    const rec = records();
    const base = {
      runbook: { routing: { alias: 'a:1', switch: { file: { path, key: 'bootstrap.servers' } } }, clusters: { east: { bootstrap: ['127.0.0.1:1'] }, west: { bootstrap: ['127.0.0.1:2', '127.0.0.1:3'] } } },
      roles: { primary: 'east', secondary: 'west' },
      baseDir: dir,
      records: rec,
      templates,
      env: process.env,
    };
    const fwd = { ...base, activeCluster: 'east' } as never;
    const p1 = await switchRoute.plan(fwd, { to: 'secondary' });
    expect(p1).toMatchObject({ current: 'east-lb.internal:9092', next: '127.0.0.1:2,127.0.0.1:3' });
    await switchRoute.apply(fwd, p1);
    expect(readFileSync(path, 'utf8')).toBe('# app\nbootstrap.servers=127.0.0.1:2,127.0.0.1:3\n');
    // Applying the same plan again changes nothing (idempotent) and keeps the recorded previous value.
    const again = await switchRoute.plan(fwd, { to: 'secondary' });
    expect(again.noop).toBe(true);
    const back = { ...base, activeCluster: 'west' } as never;
    const p2 = await switchRoute.plan(back, { to: 'primary' });
    expect(p2).toMatchObject({ restores: true, next: 'east-lb.internal:9092' });
    await switchRoute.apply(back, p2);
    expect(readFileSync(path, 'utf8')).toBe('# app\nbootstrap.servers=east-lb.internal:9092\n');
    expect((await switchRoute.verify(back, p2)).status).toBe('pass');
  });

  it('pause-link by command: one command per direction, source and target set for each', async () => {
    const ctx = {
      runbook: { link: { kind: 'mirrormaker2', aliases: {}, separator: '.', reverse: true, offsetSyncsLocation: 'source', commands: { pause: [node, '-e', 'process.exit(process.argv[1] === "east" ? 0 : 4)', '{{source.name}}'] } } },
      roles: { primary: 'east', secondary: 'west' },
      baseDir: dir,
      templates,
      env: process.env,
      sleep: async () => undefined,
    } as never;
    const plan = await pauseLink.plan(ctx, {});
    expect(plan.commands!.map((c) => [c.direction, c.argv.at(-1)])).toEqual([['forward', 'east'], ['reverse', 'west']]);
    const outcome = await pauseLink.apply(ctx, plan);
    const ev = await pauseLink.verify(ctx, plan, outcome);
    expect(ev.status).toBe('fail');
    expect(ev.finding).toContain('exit 4');
    const one = await pauseLink.plan(ctx, { direction: 'forward' });
    expect((await pauseLink.verify(ctx, one, await pauseLink.apply(ctx, one))).status).toBe('pass');
  });
});
