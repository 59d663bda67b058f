import { isUnitRole, oversees, type Actor } from '../domain/actors';
import { Prisma } from '../generated/prisma/client';
import { cycleSubject, fanOutSubject, itemSubject, subjectOf, type Subject } from '../domain/subject';
import type { Db } from '../lib/db';

/**
 * One visibility rule for every resource, written once. A unit's staff see what concerns their
 * unit; supervisors, verifiers and leaders with a jurisdiction see what concerns a unit in it;
 * oversight without a jurisdiction (and the auditor, where a route lets him in) sees everything.
 * Whether a role may read a kind of resource at all is its route's permission
 * (domain/permissions.ts); this module decides which rows. A resource the caller may not see is
 * answered exactly like an unknown id (404), so ids cannot be probed.
 *
 * - items: `itemScope` decides, once; `itemsVisibleTo` renders the decision as a Prisma filter
 *   and `itemsVisibleSql` as SQL for the aggregates Prisma cannot express (the dashboard, the
 *   inbox). Led or co-handled by the unit; led by a unit in the jurisdiction.
 * - plans and their cycles: a plan involves the units that lead its tasks and own its
 *   indicators; it is visible when one of them is (for a unit also as a task's co-unit), and it
 *   shows only those units' rows. It may be managed only when every unit it involves is in the
 *   jurisdiction: one district must not reschedule or publish another's.
 * - problem lists: visible when one of their items is, or to whoever opened them; their
 *   progress counts the visible items only.
 * - notifications: visible when their subject is: the item, as items are; the monitoring cycle,
 *   as its plan is; a digest only when everything folded into it is.
 */

/** Which items an actor sees: the one decision, rendered for Prisma and for SQL below. */
export type ItemScope =
  /** Oversight without a jurisdiction, the auditor: every item. */
  | { kind: 'all' }
  /** A unit's staff: the items the unit leads or co-handles. */
  | { kind: 'unit'; unitId: string }
  /** Oversight with a jurisdiction: the items led by a unit in it (none when it is empty). */
  | { kind: 'leadIn'; unitIds: readonly string[] };

export function itemScope(actor: Actor): ItemScope {
  if (isUnitRole(actor))
    // Unit staff without a unit see nothing: a lead unit in no unit at all.
    return actor.unitId === null ? { kind: 'leadIn', unitIds: [] } : { kind: 'unit', unitId: actor.unitId };
  if (actor.jurisdiction) return { kind: 'leadIn', unitIds: actor.jurisdiction };
  return { kind: 'all' };
}

/** The scope as a Prisma filter on items. */
export function scopeWhere(scope: ItemScope): Prisma.ItemWhereInput {
  switch (scope.kind) {
    case 'all':
      return {};
    case 'unit':
      return { OR: [{ leadUnitId: scope.unitId }, { coUnitIds: { has: scope.unitId } }] };
    case 'leadIn':
      return { leadUnitId: { in: [...scope.unitIds] } };
  }
}

/** The scope as an SQL condition on the `items` table (unqualified column names). */
export function scopeSql(scope: ItemScope): Prisma.Sql {
  switch (scope.kind) {
    case 'all':
      return Prisma.sql`TRUE`;
    case 'unit':
      return Prisma.sql`(lead_unit_id = ${scope.unitId} OR ${scope.unitId} = ANY(co_unit_ids))`;
    case 'leadIn':
      return Prisma.sql`lead_unit_id = ANY(${[...scope.unitIds]}::text[])`;
  }
}

/** Items the actor may see, as a Prisma filter. */
export const itemsVisibleTo = (actor: Actor): Prisma.ItemWhereInput => scopeWhere(itemScope(actor));

/** Items the actor may see, as SQL. */
export const itemsVisibleSql = (actor: Actor): Prisma.Sql => scopeSql(itemScope(actor));

/** Whether the actor's view is not narrowed at all (oversight without a jurisdiction). */
export function seesEverything(actor: Actor): boolean {
  return itemScope(actor).kind === 'all';
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
    where: { AND: [onlyId ? { problemListId: onlyId } : { problemListId: { not: null } }, itemsVisibleTo(actor)] },
  });
  const ids = lists.flatMap((l) => (l.problemListId ? [l.problemListId] : []));
  return { OR: [{ id: { in: ids } }, { createdBy: actor.userId }] };
}

/** Of these subjects, the ones the actor may see, as `kind:id` keys: an item as items are seen, a cycle as its plan is, a fan-out as its board is. */
async function visibleSubjects(db: Db, actor: Actor, subjects: Subject[]): Promise<Set<string>> {
  const ids = (kind: Subject['kind']) => [...new Set(subjects.filter((s) => s.kind === kind).map((s) => s.id))];
  const fanOutIds = ids('fan_out');
  const [items, cycles, fanOuts] = await Promise.all([
    db.item.findMany({ where: { AND: [{ id: { in: ids('item') } }, itemsVisibleTo(actor)] }, select: { id: true } }),
    db.cycle.findMany({ where: { id: { in: ids('cycle') } }, select: { id: true, planId: true } }),
    // A 举一反三 as its board is seen: a unit asked in it, oversight that sees its origin item.
    fanOutIds.length === 0
      ? []
      : db.$queryRaw<Array<{ id: string }>>`
          SELECT f.id FROM fan_outs f WHERE f.id = ANY(${fanOutIds}::text[]) AND ${
            isUnitRole(actor)
              ? Prisma.sql`EXISTS (SELECT 1 FROM fan_out_units u WHERE u.fan_out_id = f.id AND u.unit_id = ${actor.unitId ?? ''})`
              : Prisma.sql`f.origin_item_id IN (SELECT id FROM items WHERE ${itemsVisibleSql(actor)})`
          }`,
  ]);
  const plans = await planAccessById(db, actor, [...new Set(cycles.map((c) => c.planId))]);
  return new Set([
    ...items.map((i) => subjectKey(itemSubject(i.id))),
    ...cycles.filter((c) => (plans.get(c.planId) ?? 'none') !== 'none').map((c) => subjectKey(cycleSubject(c.id))),
    ...fanOuts.map((f) => subjectKey(fanOutSubject(f.id))),
  ]);
}

const subjectKey = (s: Subject) => `${s.kind}:${s.id}`;

/**
 * The notices (outbox rows) the actor may read: those whose subject (an item, or a monitoring
 * cycle) the actor may see. A digest is filed under its first entry's subject only, so it is
 * judged by every row folded into it: one entry the actor may not see hides the whole digest.
 */
export async function visibleNotices<T extends { key: string; kind: string; subjectKind: string; subjectId: string }>(
  db: Db,
  actor: Actor,
  rows: T[],
): Promise<T[]> {
  if (seesEverything(actor) || rows.length === 0) return rows;
  const digests = rows.filter((r) => r.kind === 'digest').map((r) => r.key);
  const parts = digests.length
    ? await db.outboxMessage.findMany({
        where: { digestKey: { in: digests } },
        select: { digestKey: true, subjectKind: true, subjectId: true },
      })
    : [];
  const partsOf = new Map<string, Subject[]>();
  for (const p of parts) if (p.digestKey) partsOf.set(p.digestKey, [...(partsOf.get(p.digestKey) ?? []), subjectOf(p)]);
  const seen = await visibleSubjects(db, actor, [...rows.map(subjectOf), ...parts.map(subjectOf)]);
  return rows.filter((r) =>
    (r.kind === 'digest' ? (partsOf.get(r.key) ?? [subjectOf(r)]) : [subjectOf(r)]).every((s) =>
      seen.has(subjectKey(s)),
    ),
  );
}
