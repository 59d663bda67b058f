import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../domain/actors';
import type { Db } from '../../lib/db';
import { itemScope, itemsVisibleSql, itemsVisibleTo, scopeSql, scopeWhere } from '../../api/visibility';
import { freshDatabase } from '../support/stack';

/**
 * The item visibility rule is decided once (`itemScope`) and rendered twice: as a Prisma filter
 * (lists, details, problem lists, notices) and as SQL (dashboard, inbox). On real PostgreSQL,
 * both renderings select exactly the same rows for every kind of actor, and so do their negations
 * (a problem list's hidden items).
 */

const ITEMS: Array<{ id: string; lead: string; co: string[] }> = [
  { id: 'i1', lead: 'unit-a', co: [] },
  { id: 'i2', lead: 'unit-b', co: ['unit-a'] },
  { id: 'i3', lead: 'unit-c', co: ['unit-b', 'unit-a'] },
  { id: 'i4', lead: 'district-a', co: [] },
  { id: 'i5', lead: 'district-b', co: ['unit-a'] },
  { id: 'i6', lead: 'unit-x', co: ['district-a'] },
  { id: 'i7', lead: 'district', co: ['unit-c'] },
];

const actor = (a: Partial<Actor> & Pick<Actor, 'role'>): Actor => ({
  userId: `u-${a.role}`,
  name: a.role,
  unitId: null,
  ...a,
});

const CASES: Array<{ who: string; actor: Actor; kind: string; sees: string[] }> = [
  {
    who: 'unit handler',
    actor: actor({ role: 'unit_handler', unitId: 'unit-a' }),
    kind: 'unit',
    sees: ['i1', 'i2', 'i3', 'i5'],
  },
  { who: 'unit leader', actor: actor({ role: 'unit_leader', unitId: 'district-a' }), kind: 'unit', sees: ['i4', 'i6'] },
  { who: 'unit staff without a unit', actor: actor({ role: 'unit_handler', unitId: null }), kind: 'leadIn', sees: [] },
  {
    who: 'district supervisor',
    actor: actor({ role: 'supervisor', unitId: 'district', jurisdiction: ['district', 'district-a', 'district-b'] }),
    kind: 'leadIn',
    sees: ['i4', 'i5', 'i7'],
  },
  {
    who: 'district verifier of one unit',
    actor: actor({ role: 'verifier', unitId: 'district', jurisdiction: ['district-a'] }),
    kind: 'leadIn',
    sees: ['i4'],
  },
  {
    who: 'supervisor with an empty jurisdiction',
    actor: actor({ role: 'supervisor', jurisdiction: [] }),
    kind: 'leadIn',
    sees: [],
  },
  {
    who: 'leader without a jurisdiction',
    actor: actor({ role: 'leader' }),
    kind: 'all',
    sees: ITEMS.map((i) => i.id),
  },
  { who: 'auditor', actor: actor({ role: 'auditor' }), kind: 'all', sees: ITEMS.map((i) => i.id) },
];

let db: Db;
beforeAll(async () => {
  ({ db } = await freshDatabase());
  const at = new Date('2026-11-02T01:00:00Z');
  await db.item.createMany({
    data: ITEMS.map((i) => ({
      id: i.id,
      title: i.id,
      description: '',
      category: 'other',
      priority: 'normal',
      source: '',
      status: 'assigned',
      leadUnitId: i.lead,
      coUnitIds: i.co,
      dueDate: '2026-12-31',
      light: 'green',
      declineCount: 0,
      returnCount: 0,
      seq: 1,
      snapshot: {},
      createdAt: at,
      updatedAt: at,
    })),
  });
});
afterAll(() => db?.$disconnect());

const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id).sort();

describe('one item visibility rule, rendered for Prisma and for SQL', () => {
  for (const c of CASES) {
    it(`${c.who}: both renderings select the same items, and the same complement`, async () => {
      const scope = itemScope(c.actor);
      expect(scope.kind).toBe(c.kind);
      const byPrisma = ids(await db.item.findMany({ where: itemsVisibleTo(c.actor), select: { id: true } }));
      const bySql = ids(
        await db.$queryRaw<Array<{ id: string }>>`SELECT id FROM items WHERE ${itemsVisibleSql(c.actor)}`,
      );
      expect(byPrisma).toEqual(c.sees);
      expect(bySql).toEqual(c.sees);
      const hidden = ITEMS.map((i) => i.id).filter((id) => !c.sees.includes(id));
      if (scope.kind !== 'all') {
        // Who sees everything has no complement to ask for (Prisma reads `NOT: {}` as no filter at all).
        expect(ids(await db.item.findMany({ where: { NOT: scopeWhere(scope) }, select: { id: true } }))).toEqual(
          hidden,
        );
      }
      expect(ids(await db.$queryRaw<Array<{ id: string }>>`SELECT id FROM items WHERE NOT ${scopeSql(scope)}`)).toEqual(
        hidden,
      );
    });
  }
});
