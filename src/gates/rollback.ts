import { replicatedHeartbeatsTopic } from '../kafka/naming.js';
import { analyseRollback } from '../runbook/rollback.js';
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
