/** The address book (通讯录) as each role may read it, and where it has gaps. */
import { isUnitRole, type Actor } from '../../domain/actors';
import { CONTACT_ROLE_LABELS, CONTACT_ROLES, UNIT_CONTACT_ROLES, type ContactRole } from '../../domain/contacts';
import type { Prisma } from '../../generated/prisma/client';
import { unitLabels } from '../../lib/unit-names';
import type { Services } from '../services';
import { seesEverything } from '../visibility';

export interface ContactRecord {
  id: string;
  unitId: string | null;
  role: string;
  name: string;
  email: string | null;
  mobile: string | null;
  imId: string | null;
  userId: string | null;
  digest: boolean;
  createdAt: Date;
  updatedAt: Date;
}

const asRole = (r: string): ContactRole =>
  (CONTACT_ROLES as readonly string[]).includes(r) ? (r as ContactRole) : 'handler';

export const contactView = (c: ContactRecord, unitName: (id: string) => string) => ({
  id: c.id,
  name: c.name,
  role: asRole(c.role),
  roleLabel: CONTACT_ROLE_LABELS[asRole(c.role)],
  unitId: c.unitId,
  unitName: c.unitId ? unitName(c.unitId) : null,
  email: c.email,
  mobile: c.mobile,
  imId: c.imId,
  userId: c.userId,
  digest: c.digest,
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});

/**
 * Which contacts the actor reads: oversight without a jurisdiction and the system administrator
 * all of them; oversight with one, those of the units in it; a unit's staff, their unit's.
 */
export function contactsVisibleTo(actor: Actor): Prisma.ContactWhereInput {
  if (isUnitRole(actor)) return actor.unitId ? { unitId: actor.unitId } : { id: { in: [] } };
  if (seesEverything(actor)) return {};
  return { unitId: { in: [...(actor.jurisdiction ?? [])] } };
}

/** A unit's name as people are shown it (qualified by its parents where another unit bears it). */
export function unitNamer(units: Array<{ id: string; name: string; parentId: string | null }>) {
  const labels = unitLabels(units);
  return (id: string): string => labels.get(id) ?? id;
}

export interface ContactQuery {
  unitId?: string;
  role?: ContactRole;
  /** Only those without an email address. */
  missing?: 'email';
  /** At most this many contacts (the gaps are all listed). */
  limit: number;
  /** Skip this many contacts first, in the list's order. */
  offset: number;
}

/** The most contacts one page holds, and how many it holds unless asked otherwise. */
export const CONTACT_PAGE_MAX = 500;
export const CONTACT_PAGE_DEFAULT = 100;

/**
 * Units no notice is addressed to as a unit: the root of the tree when it is the city itself
 * (the items are its units') and the supervision offices (督查室), who open the items. Their
 * handler and leader seats are no gaps.
 */
const neverAssigned = (u: { parentId: string | null; kind: string }) =>
  u.kind === 'supervision' || (u.parentId === null && u.kind === 'city');

/**
 * One page of the contacts the actor may read (filtered; `total` counts them all), and the gaps
 * of the units the actor sees: a unit role nobody fills (未登记) or filled by nobody with an email
 * (缺少邮箱). A notice to such a seat is listed as undelivered; the gaps say so before it happens.
 * Units that are never given an item (the city at the root, a supervision office) have no gaps.
 */
export async function listContacts(s: Services, actor: Actor, query: ContactQuery) {
  const where: Prisma.ContactWhereInput = {
    AND: [
      contactsVisibleTo(actor),
      query.unitId ? { unitId: query.unitId } : {},
      query.role ? { role: query.role } : {},
      query.missing === 'email' ? { email: null } : {},
    ],
  };
  const [total, rows, units, all] = await Promise.all([
    s.db.contact.count({ where }),
    s.db.contact.findMany({
      where,
      // The id last, so that pages neither repeat nor skip a contact.
      orderBy: [{ unitId: 'asc' }, { role: 'asc' }, { name: 'asc' }, { id: 'asc' }],
      skip: query.offset,
      take: query.limit,
    }),
    s.db.unit.findMany({ select: { id: true, name: true, parentId: true, kind: true }, orderBy: { id: 'asc' } }),
    s.db.contact.findMany({
      where: contactsVisibleTo(actor),
      select: { unitId: true, role: true, email: true, userId: true },
    }),
  ]);
  const name = unitNamer(units);
  const disabled = new Set(
    (
      await s.db.user.findMany({
        where: { active: false, id: { in: all.flatMap((c) => (c.userId ? [c.userId] : [])) } },
        select: { id: true },
      })
    ).map((u) => u.id),
  );
  const seenUnits = units.filter(
    (u) =>
      !neverAssigned(u) &&
      (isUnitRole(actor) ? u.id === actor.unitId : seesEverything(actor) || (actor.jurisdiction ?? []).includes(u.id)),
  );
  const gaps: Array<{ unitId: string; unitName: string; role: ContactRole; roleLabel: string; reason: string }> = [];
  for (const u of seenUnits) {
    if (query.unitId && u.id !== query.unitId) continue;
    for (const role of UNIT_CONTACT_ROLES) {
      if (query.role && role !== query.role) continue;
      const filled = all.filter((c) => c.unitId === u.id && c.role === role && !(c.userId && disabled.has(c.userId)));
      const reason =
        filled.length === 0 ? `未登记${CONTACT_ROLE_LABELS[role]}` : filled.some((c) => c.email) ? null : '缺少邮箱';
      if (reason) gaps.push({ unitId: u.id, unitName: name(u.id), role, roleLabel: CONTACT_ROLE_LABELS[role], reason });
    }
  }
  return {
    total,
    limit: query.limit,
    offset: query.offset,
    contacts: rows.map((c) => contactView(c, name)),
    gaps,
  };
}

/** The addresses each user carries: those of the contact the user is told as (see contacts-service). */
export async function userAddresses(
  s: Services,
  users: Array<{ id: string; role: string; unitId: string | null }>,
): Promise<Map<string, { email: string | null; mobile: string | null; imId: string | null }>> {
  const linked = await s.db.contact.findMany({
    where: { userId: { in: users.map((u) => u.id) } },
    orderBy: { id: 'asc' },
  });
  const out = new Map<string, { email: string | null; mobile: string | null; imId: string | null }>();
  for (const u of users) {
    const mine = linked.filter((c) => c.userId === u.id);
    const c = mine.find((x) => x.id === `user:${u.id}`) ?? mine[0];
    out.set(u.id, { email: c?.email ?? null, mobile: c?.mobile ?? null, imId: c?.imId ?? null });
  }
  return out;
}
