import { isUnitRole, oversees, type Actor } from '../domain/actors';
import type { Prisma } from '../generated/prisma/client';
import type { Db } from '../lib/db';
import { visibleTo } from './items-service';

/**
 * One visibility rule for every resource, written once. A unit's staff see what concerns their
 * unit; supervisors, verifiers and leaders with a jurisdiction see what concerns a unit in it;
 * oversight without a jurisdiction (and the auditor, where a route lets him in) sees everything.
 * Whether a role may read a kind of resource at all is its route's permission
 * (domain/permissions.ts); this module decides which rows. A resource the caller may not see is
 * answered exactly like an unknown id (404), so ids cannot be probed.
 *
 * - items: `visibleTo` (items-service.ts): led or co-handled by the unit; led by a unit in the
 *   jurisdiction. The dashboard's SQL copy (`visibleSql`) follows it.
 * - plans and their cycles: a plan involves the units that lead its tasks and own its
 *   indicators; it is visible when one of them is (for a unit also as a task's co-unit), and it
 *   shows only those units' rows. It may be managed only when every unit it involves is in the
 *   jurisdiction: one district must not reschedule or publish another's.
 * - problem lists: visible when one of their items is, or to whoever opened them; their
 *   progress counts the visible items only.
 * - notifications: visible when the item (or, for a monitoring notice, the cycle) they are about
 *   is; a digest only when everything folded into it is.
 */

/** Items the actor may see, as a Prisma filter. */
export const itemsVisibleTo = visibleTo;

/** Whether the actor's view is not narrowed at all (oversight without a jurisdiction). */
export function seesEverything(actor: Actor): boolean {
  return !isUnitRole(actor) && actor.jurisdiction === undefined;
}

/** A row that belongs to one unit: an indicator, its value and light, a ranking entry, a reporting request. */
export function seesUnit(actor: Actor, unitId: string): boolean {
  return isUnitRole(actor) ? actor.unitId === unitId : oversees(actor, unitId);
}

export interface PlanTask {
  leadUnitId: string;
  coUnitIds?: readonly string[];
}

/** A plan's task, as its item would be: by its lead unit, and for a unit's staff also as a co-unit. */
export function seesTask(actor: Actor, task: PlanTask): boolean {
  if (isUnitRole(actor))
    return actor.unitId !== null && (task.leadUnitId === actor.unitId || (task.coUnitIds ?? []).includes(actor.unitId));
  return oversees(actor, task.leadUnitId);
}

/** none: answered as unknown; read: its rows of the caller's units; manage: schedule, start and publish its cycles (the role permitting). */
export type PlanAccess = 'none' | 'read' | 'manage';

export function planAccess(actor: Actor, plan: { tasks: readonly PlanTask[]; owners: readonly string[] }): PlanAccess {
  if (seesEverything(actor)) return 'manage';
  const sees = plan.tasks.some((t) => seesTask(actor, t)) || plan.owners.some((u) => seesUnit(actor, u));
  if (!sees) return 'none';
  if (isUnitRole(actor)) return 'read';
  // A schedule and a publication act on every unit of the plan at once.
  return [...plan.tasks.map((t) => t.leadUnitId), ...plan.owners].every((u) => oversees(actor, u)) ? 'manage' : 'read';
}

/** The actor's access to each of these plans (all plans when no ids are given); unknown ids are absent. */
export async function planAccessById(
  db: Db,
  actor: Actor,
  planIds?: readonly string[],
): Promise<Map<string, PlanAccess>> {
  const plans = await db.plan.findMany({
    where: planIds ? { id: { in: [...planIds] } } : {},
    select: { id: true, tasks: true },
  });
  if (seesEverything(actor)) return new Map(plans.map((p) => [p.id, 'manage']));
  const owners = await db.indicator.findMany({
    where: { planId: { in: plans.map((p) => p.id) } },
    select: { planId: true, ownerUnitId: true },
    distinct: ['planId', 'ownerUnitId'],
  });
  const ownersOf = new Map<string, string[]>();
  for (const o of owners) ownersOf.set(o.planId, [...(ownersOf.get(o.planId) ?? []), o.ownerUnitId]);
  // Tasks are stored as the plan was imported (validated by PlanSchema).
  return new Map(
    plans.map((p) => [
      p.id,
      planAccess(actor, { tasks: (p.tasks ?? []) as unknown as PlanTask[], owners: ownersOf.get(p.id) ?? [] }),
    ]),
  );
}

/**
 * The problem lists the actor may see: those with at least one visible item, and those the
 * actor opened (so a list shows to its author at once, before its items are recorded).
 */
export async function problemListsVisibleTo(
  db: Db,
  actor: Actor,
  onlyId?: string,
): Promise<Prisma.ProblemListWhereInput> {
  if (seesEverything(actor)) return {};
  const lists = await db.item.groupBy({
    by: ['problemListId'],
    where: { AND: [onlyId ? { problemListId: onlyId } : { problemListId: { not: null } }, visibleTo(actor)] },
  });
  const ids = lists.flatMap((l) => (l.problemListId ? [l.problemListId] : []));
  return { OR: [{ id: { in: ids } }, { createdBy: actor.userId }] };
}

/** Of these ids (items, or cycles for monitoring notices), the ones whose subject the actor may see. */
async function visibleSubjects(db: Db, actor: Actor, ids: string[]): Promise<Set<string>> {
  const [items, cycles] = await Promise.all([
    db.item.findMany({ where: { AND: [{ id: { in: ids } }, visibleTo(actor)] }, select: { id: true } }),
    db.cycle.findMany({ where: { id: { in: ids } }, select: { id: true, planId: true } }),
  ]);
  const plans = await planAccessById(db, actor, [...new Set(cycles.map((c) => c.planId))]);
  return new Set([
    ...items.map((i) => i.id),
    ...cycles.filter((c) => (plans.get(c.planId) ?? 'none') !== 'none').map((c) => c.id),
  ]);
}

/**
 * The notices (outbox rows) the actor may read. A row's `itemId` names an item, or the cycle
 * for a monitoring cycle's notices; a digest names only its first entry, so it is judged by
 * every row folded into it: one entry the actor may not see hides the whole digest.
 */
export async function visibleNotices<T extends { key: string; kind: string; itemId: string }>(
  db: Db,
  actor: Actor,
  rows: T[],
): Promise<T[]> {
  if (seesEverything(actor) || rows.length === 0) return rows;
  const digests = rows.filter((r) => r.kind === 'digest').map((r) => r.key);
  const parts = digests.length
    ? await db.outboxMessage.findMany({
        where: { digestKey: { in: digests } },
        select: { digestKey: true, itemId: true },
      })
    : [];
  const partsOf = new Map<string, string[]>();
  for (const p of parts) if (p.digestKey) partsOf.set(p.digestKey, [...(partsOf.get(p.digestKey) ?? []), p.itemId]);
  const seen = await visibleSubjects(db, actor, [
    ...new Set([...rows.map((r) => r.itemId), ...parts.map((p) => p.itemId)]),
  ]);
  return rows.filter((r) =>
    (r.kind === 'digest' ? (partsOf.get(r.key) ?? [r.itemId]) : [r.itemId]).every((id) => seen.has(id)),
  );
}
