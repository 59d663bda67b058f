import { z } from 'zod';
import { ActorSchema, ROLES, type Actor, type Role } from '../domain/actors';
import { subtree } from '../domain/units';
import type { Db } from './db';

/** Roles whose reach is a subtree of units rather than one unit. */
const OVERSIGHT_ROLES: ReadonlySet<Role> = new Set(['supervisor', 'verifier', 'leader']);
const UNIT_ROLES: ReadonlySet<Role> = new Set(['unit_handler', 'unit_leader']);

export const UserSchema = z.strictObject({
  id: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._@-]{1,64}$/, '只能包含字母、数字和 . _ @ -，最长 64 个字符'),
  name: z.string().trim().min(1, '不能为空').max(64),
  role: z.enum(ROLES),
  unitId: z.string().trim().min(1).max(64).nullable().default(null),
  jurisdictionUnitId: z.string().trim().min(1).max(64).nullable().default(null),
  active: z.boolean().default(true),
});
export type UserInput = z.input<typeof UserSchema>;
export type UserRecord = z.output<typeof UserSchema>;

/** The rules a user record must meet beyond its shape; each names the field at fault. */
export async function userProblems(db: Db, u: UserRecord): Promise<Array<{ field: string; reason: string }>> {
  const problems: Array<{ field: string; reason: string }> = [];
  if (UNIT_ROLES.has(u.role) && !u.unitId) problems.push({ field: 'unitId', reason: '责任单位人员必须属于一个单位' });
  if (u.jurisdictionUnitId && !OVERSIGHT_ROLES.has(u.role))
    problems.push({ field: 'jurisdictionUnitId', reason: '只有督查、核查人员和领导有管辖范围' });
  const ids = [u.unitId, u.jurisdictionUnitId].filter((x): x is string => !!x);
  const known = new Set(
    (await db.unit.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((x) => x.id),
  );
  if (u.unitId && !known.has(u.unitId)) problems.push({ field: 'unitId', reason: `单位“${u.unitId}”不存在` });
  if (u.jurisdictionUnitId && !known.has(u.jurisdictionUnitId))
    problems.push({ field: 'jurisdictionUnitId', reason: `单位“${u.jurisdictionUnitId}”不存在` });
  return problems;
}

/** Every actorCache of this process, emptied of a user when upsertUser changes them. */
const actorCaches = new Set<WeakRef<Map<string, unknown>>>();
/** Counts upsertUser calls: a lookup that raced one is not cached. */
let userChanges = 0;

export async function upsertUser(db: Db, u: UserRecord): Promise<void> {
  const data = {
    name: u.name,
    role: u.role,
    unitId: u.unitId,
    jurisdictionUnitId: u.jurisdictionUnitId,
    active: u.active,
  };
  await db.user.upsert({
    where: { id: u.id },
    create: { id: u.id, ...data },
    update: { ...data, updatedAt: new Date() },
  });
  // Changed here: this process's caches forget the user at once (other processes within their bound).
  userChanges++;
  for (const ref of actorCaches) {
    const cache = ref.deref();
    if (cache) cache.delete(u.id);
    else actorCaches.delete(ref);
  }
}

/**
 * A unit was added, moved or renamed through this process: every cached jurisdiction (a subtree
 * of units) may have changed, so this process's actor caches are emptied.
 */
export function unitsChanged(): void {
  userChanges++;
  for (const ref of actorCaches) {
    const cache = ref.deref();
    if (cache) cache.clear();
    else actorCaches.delete(ref);
  }
}

/** The actor a signed-in user acts as, with their jurisdiction resolved to unit ids; null if unknown or disabled. */
export async function actorFor(db: Db, userId: string): Promise<Actor | null> {
  const user = await db.user.findUnique({ where: { id: userId } });
  if (!user || !user.active) return null;
  const parsed = ActorSchema.safeParse({ userId: user.id, name: user.name, role: user.role, unitId: user.unitId });
  if (!parsed.success) return null;
  const actor = parsed.data;
  if (user.jurisdictionUnitId && OVERSIGHT_ROLES.has(actor.role)) {
    const units = await db.unit.findMany({ select: { id: true, parentId: true } });
    actor.jurisdiction = subtree(units, user.jurisdictionUnitId);
  }
  return actor;
}

/**
 * A short-lived cache in front of actorFor: a user disabled or changed by this process is
 * forgotten at once; one changed elsewhere (another API process, the CLI) is locked out within `ttlMs`.
 */
export function actorCache(db: Db, ttlMs: number) {
  const cache = new Map<string, { at: number; actor: Actor | null }>();
  actorCaches.add(new WeakRef(cache));
  return async (userId: string): Promise<Actor | null> => {
    const hit = cache.get(userId);
    if (hit && Date.now() - hit.at < ttlMs) return hit.actor;
    const changes = userChanges;
    const actor = await actorFor(db, userId);
    if (ttlMs > 0 && changes === userChanges) {
      if (cache.size > 10_000) cache.clear();
      cache.set(userId, { at: Date.now(), actor });
    }
    return actor;
  };
}
