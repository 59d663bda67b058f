/** Users and units: the system administrator's writes. */
import type { Actor } from '../domain/actors';
import { upsertUser, userProblems, type UserRecord } from '../lib/users';
import { badRequest, forbidden } from './errors';
import type { Services } from './services';

export async function saveUser(s: Services, actor: Actor, user: UserRecord): Promise<UserRecord> {
  if (user.id === actor.userId) throw forbidden('不能修改自己的账号（须由另一名管理员操作）');
  const existing = await s.db.user.findUnique({ where: { id: user.id } });
  // Separation of duties: the audit administrator is appointed outside the system administrator's reach.
  if (user.role === 'auditor' || existing?.role === 'auditor')
    throw forbidden('安全审计员账号须由运维人员通过命令行设立');
  const problems = await userProblems(s.db, user);
  if (problems.length) throw badRequest(problems.map((p) => ({ field: `body.${p.field}`, reason: p.reason })));
  await upsertUser(s.db, user);
  return user;
}

/** A unit of the tree, new or changed: its parent must exist and must not lie below it; its name is unique. */
export async function saveUnit<K extends string>(
  s: Services,
  unit: { id: string; name: string; parentId: string | null; kind: K },
) {
  const { id, name, parentId, kind } = unit;
  if (parentId) {
    const units = await s.db.unit.findMany({ select: { id: true, parentId: true } });
    if (!units.some((u) => u.id === parentId))
      throw badRequest([{ field: 'body.parentId', reason: `单位“${parentId}”不存在` }]);
    // Walking up from the new parent must not reach this unit: no cycles in the tree.
    const parentOf = new Map(units.map((u) => [u.id, u.parentId]));
    for (let at: string | null | undefined = parentId, i = 0; at && i < 1000; at = parentOf.get(at), i++) {
      if (at === id) throw badRequest([{ field: 'body.parentId', reason: '不能把单位挂到它自己的下级单位之下' }]);
    }
  }
  const clash = await s.db.unit.findFirst({ where: { name, NOT: { id } } });
  if (clash) throw badRequest([{ field: 'body.name', reason: `名称与单位“${clash.id}”重复` }]);
  const saved = await s.db.unit.upsert({
    where: { id },
    create: { id, name, parentId, kind },
    update: { name, parentId, kind },
  });
  return { ...saved, kind };
}
