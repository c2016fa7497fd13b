import { replicatedHeartbeatsTopic } from '../kafka/naming.js';
import { analyseRollback } from '../runbook/rollback.js';
import type { MirrorMaker2Link } from '../runbook/schema.js';
import type { GateContext } from './context.js';
import { fail, listSome, pass, plural, skip, warn } from './evidence.js';
import { findReverts } from './rehearsals.js';
import type { Evidence } from './types.js';

/**
 * Can the switch be undone? Statically (revert undoes promote, criteria are
 * written), live (a reverse flow exists and is fresh), and by record: a
 * successful revert in a transcript within rehearsedWithinDays is the only
 * thing that lifts this gate to 2.
 */
export async function rollbackGate(ctx: GateContext): Promise<Evidence[]> {
  return [revertUndoesPromote(ctx), reverseReplication(ctx), criteria(ctx), await rehearsal(ctx)];
}

function revertUndoesPromote(ctx: GateContext): Evidence {
  const check = 'rollback.revert-undoes-promote';
  const a = analyseRollback(ctx.runbook);
  const data = { hasRevert: a.hasRevert, effects: a.effects.map((e) => ({ effect: e.description, undoneBy: e.undoneBy ?? null })) };
  if (!a.hasRevert) {
    return fail(check, `no revert action${a.effects.length ? `: nothing undoes promote's ${listSome(a.effects.map((e) => e.description))}` : ''}`, {
      data,
      hint: 'write actions.revert with the steps that undo promote',
    });
  }
  if (!a.complete) {
    return fail(check, `revert does not undo ${listSome(a.notUndone.map((e) => e.description))}`, {
      data,
      hint: `add ${listSome(a.notUndone.map((e) => `${e.undo.type}`))} to actions.revert`,
    });
  }
  return pass(check, a.effects.length ? `revert undoes every effect of promote (${listSome(a.effects.map((e) => e.description), 4)})` : 'promote leaves no effect for revert to undo', { data });
}

function reverseReplication(ctx: GateContext): Evidence {
  const check = 'rollback.reverse-replication';
  const { runbook: rb, primary: P, secondary: S } = ctx;
  if (!rb.link.reverse) {
    return fail(check, `no reverse flow: nothing replicates ${S.name} back to ${P.name}, so data written after a promote stays on ${S.name}`, {
      hint: 'run the link both ways (link.reverse: true) so that revert can fail back without losing writes',
    });
  }
  if (rb.link.kind !== 'mirrormaker2') {
    return warn(check, `a reverse ${rb.link.product} link is declared; its freshness cannot be measured from here`, { data: { product: rb.link.product } });
  }
  if (rb.link.replicationPolicy === 'identity') return identityFailback(ctx, rb.link);
  const topic = replicatedHeartbeatsTopic(rb.link.aliases[S.name] ?? S.name, rb.link.separator);
  if (!P.reachable) return skip(check, `primary ${P.name} unreachable (${P.error}): reverse heartbeats in ${topic} not read`);
  const max = rb.gates.observability.heartbeatMaxAgeSeconds;
  if (!P.heartbeats?.ok) return fail(check, `reverse heartbeats on ${P.name} could not be read: ${P.heartbeats?.error ?? 'not read'}`);
  const newest = P.heartbeats.value.get(topic);
  if (!P.topics.has(topic) || newest === undefined) {
    return fail(check, `no ${S.name}->${P.name} heartbeat on ${P.name} (${topic} ${P.topics.has(topic) ? 'is empty' : 'does not exist'}): the reverse flow is not running`, {
      hint: `start the ${S.name}->${P.name} MirrorMaker 2 flow`,
    });
  }
  const age = Math.max(0, (ctx.now - newest) / 1000);
  const data = { topic, newest: new Date(newest).toISOString(), ageSeconds: age, maxAgeSeconds: max };
  if (age > max) {
    return fail(check, `the ${S.name}->${P.name} flow is stale: newest heartbeat in ${topic} is ${age.toFixed(1)} s old (bound ${max} s)`, {
      data,
      hint: `check the ${S.name}->${P.name} MirrorMaker 2 flow`,
    });
  }
  return pass(check, `${S.name}->${P.name} flow is fresh: heartbeat ${age.toFixed(1)} s old`, { data });
}

/**
 * Under identity naming the two flows cannot run at once: with the same
 * names both ways, each would copy the other's copies back. The flow a
 * revert needs (home secondary -> home primary, which carries what was
 * written after a promote) therefore does not run while the pair is
 * steady, and must be started, after the forward flow stops, before a
 * revert can find its data. This check says where the pair stands on that
 * path and what comes next, from the heartbeats of both flows.
 */
function identityFailback(ctx: GateContext, link: MirrorMaker2Link): Evidence {
  const check = 'rollback.reverse-replication';
  const rb = ctx.runbook;
  const home = rb.roles.primary;
  const away = rb.roles.secondary;
  const alias = (c: string) => link.aliases[c] ?? c;
  const forward = `${home}->${away}`;
  const back = `${away}->${home}`;
  const max = rb.gates.observability.heartbeatMaxAgeSeconds;
  const snap = (name: string) => (ctx.primary.name === name ? ctx.primary : ctx.secondary);
  const beat = (target: string, source: string) => {
    const s = snap(target);
    const topic = replicatedHeartbeatsTopic(alias(source), link.separator);
    if (!s.reachable) return { topic, on: target, known: false as const, why: `${target} unreachable (${s.error})` };
    if (!s.heartbeats?.ok) return { topic, on: target, known: false as const, why: `heartbeats on ${target} could not be read: ${s.heartbeats?.error ?? 'not read'}` };
    const newest = s.heartbeats.value.get(topic);
    const age = newest === undefined ? undefined : Math.max(0, (ctx.now - newest) / 1000);
    return { topic, on: target, known: true as const, exists: s.topics.has(topic), ageSeconds: age, fresh: age !== undefined && age <= max };
  };
  const fwd = beat(away, home);
  const rev = beat(home, away);
  const starts = startsFailback(rb);
  const data = { replicationPolicy: 'identity', forward: { flow: forward, ...fwd }, failback: { flow: back, ...rev }, maxAgeSeconds: max, revertStartsFailback: starts ?? null };
  const state = (b: typeof rev) =>
    !b.known ? b.why : b.ageSeconds === undefined ? `${b.topic} on ${b.on} ${b.exists ? 'is empty' : 'does not exist'}` : `newest heartbeat in ${b.topic} on ${b.on} is ${b.ageSeconds.toFixed(1)} s old`;
  const howToStart = `stop ${forward}, then start ${back} with IdentityReplicationPolicy and wait until ${rev.topic} on ${home} is fresh`;
  const writesHome = ctx.primary.name === home;
  if (fwd.known && fwd.fresh && rev.known && rev.fresh) {
    return fail(check, `both ${forward} and ${back} run under identity naming: with the same names both ways each copies the other's copies back`, {
      data,
      hint: `stop ${writesHome ? back : forward} now; keep ${writesHome ? forward : back}, which carries the writes ${ctx.primary.name} takes`,
    });
  }
  if (writesHome) {
    // Steady: the failback flow cannot run yet; what matters is that someone will start it before a revert.
    if (starts) {
      return pass(check, `identity naming: ${back} cannot run beside ${forward}; revert starts it (${starts}) before it reads ${away}`, { data });
    }
    return warn(check, `identity naming: ${back} cannot run beside ${forward}, and no step of this runbook starts it; a revert after a promote finds ${away}'s writes on ${home} only once ${back} runs`, {
      data,
      hint: `after a promote, ${howToStart}, then revert; or add pause-link { direction: forward } and resume-link { direction: reverse } to actions.revert before it reads ${away}`,
    });
  }
  // Promoted: the writes are on the home secondary, and only the failback flow brings them home.
  if (rev.known && rev.fresh) return pass(check, `${back} flow is fresh (identity naming): ${state(rev)}`, { data });
  if (!rev.known) return skip(check, `${back} heartbeats not read: ${rev.why}`, { data });
  if (starts) {
    return warn(check, `identity naming: ${back} is not running (${state(rev)}); revert starts it (${starts}) before it reads ${away}`, { data });
  }
  return fail(check, `identity naming: ${back} is not running (${state(rev)}), so a revert now would find none of ${away}'s writes on ${home}`, {
    data,
    hint: `${howToStart}, then revert`,
  });
}

/**
 * Where the runbook starts the failback flow itself: a resume-link of the
 * reverse direction in revert, after the forward flow is paused (by promote,
 * or earlier in revert). Undefined when it does not.
 */
function startsFailback(rb: GateContext['runbook']): string | undefined {
  const revert = rb.actions.revert?.steps ?? [];
  const resumeAt = revert.findIndex((s) => s.type === 'resume-link' && s.params.direction === 'reverse');
  if (resumeAt < 0) return undefined;
  const pausesForward = (s: (typeof revert)[number]) => s.type === 'pause-link' && s.params.direction !== 'reverse';
  const inPromote = rb.actions.promote.steps.findIndex(pausesForward);
  const inRevert = revert.slice(0, resumeAt).findIndex(pausesForward);
  if (inPromote < 0 && inRevert < 0) return undefined;
  const pause = inRevert >= 0 ? `revert step ${inRevert + 1}` : `promote step ${inPromote + 1}`;
  return `pause-link forward at ${pause}, resume-link reverse at revert step ${resumeAt + 1}`;
}

function criteria(ctx: GateContext): Evidence {
  const check = 'rollback.criteria';
  const actions = ctx.runbook.actions;
  const missing: string[] = [];
  if (!actions.promote.stopWhen || Object.keys(actions.promote.stopWhen).length === 0) missing.push('stop criteria (actions.promote.stopWhen)');
  if (!actions.revert) missing.push('revert (actions.revert)');
  if (!actions['continue-forward']) missing.push('continue criteria (actions.continue-forward)');
  const data = { stopWhen: actions.promote.stopWhen ?? null, revert: Boolean(actions.revert), continueForward: Boolean(actions['continue-forward']) };
  if (missing.length) {
    return warn(check, `not written: ${missing.join(', ')}`, { data, hint: 'an operator mid-incident needs to know when to stop, when to go back and when to stay' });
  }
  return pass(check, `stop (${Object.keys(actions.promote.stopWhen!).join(', ')}), revert and continue-forward are written`, { data });
}

async function rehearsal(ctx: GateContext): Promise<Evidence> {
  const check = 'rollback.rehearsal';
  const days = ctx.runbook.gates.rollback.rehearsedWithinDays;
  const since = ctx.now - days * 86_400_000;
  const found = await findReverts(ctx.transcriptsDir, ctx.runbook.name);
  const counting = found.reverts.filter((r) => r.counts && Date.parse(r.at) >= since);
  const data = { dir: ctx.transcriptsDir, withinDays: days, scanned: found.scanned, reverts: found.reverts };
  const best = counting[0];
  if (best) {
    const ago = (ctx.now - Date.parse(best.at)) / 86_400_000;
    return pass(check, `a successful revert is on record: ${best.file} (${ago < 1 ? 'today' : `${ago.toFixed(0)} days ago`}, within ${days})`, { data });
  }
  const older = found.reverts.filter((r) => r.counts);
  const broken = found.reverts.filter((r) => !r.counts);
  const why = !found.dirExists
    ? `no transcripts folder at ${ctx.transcriptsDir}`
    : older.length
      ? `the newest successful revert (${older[0]!.at}) is older than ${days} days`
      : broken.length
        ? `${plural(broken.length, 'revert transcript')} found, none counts (${broken[0]!.reason})`
        : `no revert of ${ctx.runbook.name} on record in ${ctx.transcriptsDir}`;
  return warn(check, `not rehearsed: ${why}`, { data, hint: `run a drill with --revert (or revert after a promote) and keep its transcript; within ${days} days it earns score 2` });
}
