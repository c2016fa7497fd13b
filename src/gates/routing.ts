import { isIP } from 'node:net';
import { splitHostPort } from '../kafka/listenerProbe.js';
import { resolveClusterRef } from '../runbook/roles.js';
import { getProperty } from '../steps/propertiesFile.js';
import type { GateContext } from './context.js';
import { fail, listSome, pass, plural, skip, warn, secondaryDown } from './evidence.js';
import type { Evidence } from './types.js';

/**
 * Can clients be moved, and will they follow? Where clients go now is read
 * the way they read it: the switch file's key, or DNS for the alias when a
 * command moves it. The cluster behind that address is identified by its
 * cluster id, never by comparing addresses alone.
 */
export async function routingGate(ctx: GateContext): Promise<Evidence[]> {
  const [route, listeners, ttl] = await Promise.all([currentRoute(ctx), secondaryListeners(ctx), dnsTtl(ctx)]);
  return [route, listeners, switchDefined(ctx), ttl];
}

async function whereClientsGo(ctx: GateContext): Promise<{ bootstrap: string[]; how: string } | { error: string; hint: string }> {
  const routing = ctx.runbook.routing;
  if (!routing) return { error: 'no routing section in the runbook', hint: 'add routing: { alias, switch } so failover knows how clients find the primary' };
  const sw = routing.switch;
  if ('file' in sw) {
    let text: string;
    try {
      text = await ctx.probes.readText(sw.file.path);
    } catch (e) {
      return { error: `cannot read the switch file ${sw.file.path}: ${(e as Error).message}`, hint: 'create it with the key the clients read, pointing at the primary' };
    }
    const value = getProperty(text, sw.file.key);
    if (value === null || value === '') return { error: `${sw.file.path} has no ${sw.file.key}`, hint: `set ${sw.file.key} to the primary's bootstrap` };
    return { bootstrap: value.split(',').map((s) => s.trim()).filter(Boolean), how: `${sw.file.key} in ${sw.file.path}` };
  }
  return { bootstrap: [routing.alias], how: `the alias ${routing.alias} (DNS)` };
}

async function currentRoute(ctx: GateContext): Promise<Evidence> {
  const { primary: P, secondary: S } = ctx;
  const check = 'routing.route';
  const where = await whereClientsGo(ctx);
  if ('error' in where) return fail(check, `where clients go cannot be read: ${where.error}`, { hint: where.hint });
  // The same bootstrap as a snapshot's is the same place: its cluster id (or its silence) is already known,
  // and asking a dead primary again would cost another timeout.
  const same = [P, S].find((s) => s.bootstrap.length === where.bootstrap.length && s.bootstrap.every((b) => where.bootstrap.includes(b)));
  const byId: { clusterId?: string; error?: string } = same
    ? same.reachable
      ? { ...(same.clusterId === undefined ? {} : { clusterId: same.clusterId }) }
      : { error: same.error ?? 'no answer' }
    : await ctx.probes.clusterIdAt(where.bootstrap, [P.name, S.name]);
  const data = { route: where.bootstrap, how: where.how, clusterId: byId.clusterId, phase: ctx.phase, primary: { name: P.name, clusterId: P.clusterId }, secondary: { name: S.name, clusterId: S.clusterId } };
  const dest = where.bootstrap.join(',');
  if (byId.clusterId !== undefined) {
    if (P.clusterId !== undefined && byId.clusterId === P.clusterId) {
      return pass(check, `${where.how} reaches ${P.name} (cluster id ${byId.clusterId}), the primary in phase ${ctx.phase.phase}`, { data });
    }
    if (S.clusterId !== undefined && byId.clusterId === S.clusterId) {
      return fail(check, `${where.how} (${dest}) reaches ${S.name} (cluster id ${byId.clusterId}), but the phase (${ctx.phase.phase}) says ${P.name} is primary`, {
        data,
        hint: `clients write to ${S.name} while ${P.name} is meant to own writes; point the route back, or finish the promotion so the phase says ${S.name}`,
      });
    }
    if (!P.reachable) {
      return warn(check, `${where.how} reaches cluster id ${byId.clusterId}, which is not ${S.name}; ${P.name} is unreachable, so the id cannot be compared with it`, { data });
    }
    return fail(check, `${where.how} (${dest}) reaches cluster id ${byId.clusterId}, which is neither ${P.name} (${P.clusterId}) nor ${S.name} (${S.clusterId})`, {
      data,
      hint: 'clients are pointed at a cluster this runbook does not manage',
    });
  }
  // Nothing answered at the route: say which runbook cluster the address belongs to, if any.
  const owner = Object.entries(ctx.runbook.clusters).find(([, spec]) => spec.bootstrap.some((b) => where.bootstrap.includes(b)))?.[0];
  if (owner === P.name && !P.reachable) {
    return warn(check, `${where.how} points at ${P.name} (${dest}), the primary, which does not answer: ${byId.error}`, {
      data,
      hint: 'clients are pointed at a primary that is down; promote moves them',
    });
  }
  return fail(check, `nothing answers at ${where.how} (${dest}): ${byId.error}`, { data, hint: 'clients cannot reach Kafka through the route' });
}

/**
 * How long the listener check waits for a refusing broker to leave the
 * cluster's metadata: a killed broker is listed until the controller fences
 * it (broker.session.timeout.ms, 9 s by default), and refuses connections
 * meanwhile exactly as a wrong advertised listener does.
 */
export const FENCE_WAIT_MS = 20_000;
const FENCE_POLL_MS = 1000;

async function secondaryListeners(ctx: GateContext): Promise<Evidence> {
  const S = ctx.secondary;
  const check = 'routing.secondary-listeners';
  if (!S.reachable) return secondaryDown(ctx, check, 'its advertised listeners');
  if (S.brokers.length === 0) return fail(check, `${S.name} advertises no brokers`);
  const probes = await Promise.all(S.brokers.map((b) => ctx.probes.listener(b.host, b.port)));
  const data = probes.map((p, i) => ({ nodeId: S.brokers[i]!.nodeId, ...p }));
  const bad = data.filter((p) => !p.connected);
  const gone = bad.length > 0 && bad.length < data.length ? await fencedAmong(ctx, bad.map((p) => p.nodeId)) : [];
  const refused = bad.filter((p) => !gone.includes(p.nodeId));
  if (refused.length) {
    return fail(check, `advertised listeners of ${S.name} unusable from here: ${listSome(refused.map((p) => `${p.host}:${p.port} (${p.resolved ? '' : 'does not resolve: '}${p.error})`), 2)}`, {
      data,
      hint: `clients bootstrap, then connect to the advertised listeners; fix advertised.listeners on ${S.name} or the network path`,
    });
  }
  const good = data.filter((p) => p.connected);
  if (gone.length) {
    // A broker that is down is not a listener to fix: the cluster dropped it, so clients are never sent there; partition-health says what it degraded.
    return warn(check, `${listSome(bad.map((p) => `broker ${p.nodeId} (${p.host}:${p.port})`))} of ${S.name} down and fenced by its controller; ${plural(good.length, 'advertised listener')} accept connections: ${listSome(good.map((p) => `${p.host}:${p.port}`))}`, {
      data,
      hint: `clients are not sent to a fenced broker; bring it back for the cluster's full capacity (see compatibility.partition-health for what it degrades)`,
    });
  }
  return pass(check, `${plural(probes.length, 'advertised listener')} of ${S.name} ${probes.length === 1 ? 'resolves and accepts' : 'resolve and accept'} connections: ${listSome(probes.map((p) => `${p.host}:${p.port}`))}`, { data });
}

/**
 * Those of `nodeIds` that the secondary's fresh metadata no longer lists,
 * polled until they all leave it or FENCE_WAIT_MS passes; a failed read
 * counts as none gone.
 */
async function fencedAmong(ctx: GateContext, nodeIds: number[]): Promise<number[]> {
  for (let polls = 1; ; polls++) {
    let listed: number[];
    try {
      listed = await ctx.probes.brokersNow('secondary');
    } catch {
      return [];
    }
    const gone = nodeIds.filter((n) => !listed.includes(n));
    if (gone.length === nodeIds.length || polls * FENCE_POLL_MS >= FENCE_WAIT_MS) return gone;
    await ctx.probes.sleep(FENCE_POLL_MS);
  }
}

function switchDefined(ctx: GateContext): Evidence {
  const rb = ctx.runbook;
  const check = 'routing.switch';
  if (!rb.routing) return fail(check, 'no routing section: clients cannot be moved', { hint: 'add routing: { alias, switch }' });
  const to = (action: 'promote' | 'revert') =>
    rb.actions[action]?.steps.flatMap((s) => (s.type === 'switch-route' ? [resolveClusterRef(rb, s.params.to) ?? s.params.to] : [])) ?? [];
  const promoteTo = to('promote');
  const revertTo = to('revert');
  const how = 'file' in rb.routing.switch ? `file ${rb.routing.switch.file.path} (${rb.routing.switch.file.key})` : `command ${rb.routing.switch.command[0]}`;
  const data = { switch: how, promoteTo, revertTo };
  if (!promoteTo.includes(rb.roles.secondary)) {
    return fail(check, `promote never switches the route to ${rb.roles.secondary}`, { data, hint: 'add - switch-route: { to: secondary } to actions.promote' });
  }
  if (!rb.actions.revert) return warn(check, `promote switches the route by ${how}; there is no revert to switch it back`, { data });
  if (revertTo[revertTo.length - 1] !== rb.roles.primary) {
    return warn(check, `revert does not switch the route back to ${rb.roles.primary}`, { data, hint: 'add - switch-route: { to: primary } to actions.revert' });
  }
  return pass(check, `route switch by ${how}: promote moves it to ${rb.roles.secondary}, revert back to ${rb.roles.primary}`, { data });
}

async function dnsTtl(ctx: GateContext): Promise<Evidence> {
  const check = 'routing.dns-ttl';
  const routing = ctx.runbook.routing;
  const max = ctx.runbook.gates.routing.dnsTtlMaxSeconds;
  if (!routing) return skip(check, 'no routing section');
  if ('file' in routing.switch) return pass(check, `no DNS involved: clients read ${routing.switch.file.key} from ${routing.switch.file.path}`);
  const hp = splitHostPort(routing.alias);
  if (!hp) return fail(check, `the alias ${routing.alias} is not host:port`);
  if (isIP(hp.host)) return pass(check, `the alias ${routing.alias} is an address; no DNS involved`);
  const answer = await ctx.probes.dns(hp.host);
  const data = { ...answer, maxSeconds: max };
  if (answer.error || answer.ttlSeconds === undefined) return fail(check, `${hp.host} does not resolve: ${answer.error ?? 'no answer'}`, { data });
  if (answer.ttlSeconds > max) {
    return fail(check, `${hp.host} has a TTL of ${answer.ttlSeconds} s, over the ${max} s bound: clients keep the old address that long after a switch`, {
      data,
      hint: 'lower the record TTL ahead of failover season, or raise gates.routing.dnsTtlMaxSeconds knowingly',
    });
  }
  return pass(check, `${hp.host} TTL ${answer.ttlSeconds} s (bound ${max} s)`, { data });
}
