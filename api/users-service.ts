/** Users and units: the system administrator's writes. */
import type { Actor } from '../domain/actors';
import { contactRoleOf } from '../domain/contacts';
import { cleanUnitName, unitNameKey } from '../domain/office-text';
import { unitsChanged, upsertUser, userProblems, type UserRecord } from '../lib/users';
import { syncUserContact } from './contacts-service';
import { badRequest, forbidden } from './errors';
import { userAddresses } from './read/contacts';
import type { Services } from './services';

/** A user's addresses as a body carries them: left out, unchanged; null or "" clears one. */
export interface UserAddressesInput {
  email?: string | null | undefined;
  mobile?: string | null | undefined;
  imId?: string | null | undefined;
}

export async function saveUser(s: Services, actor: Actor, input: UserRecord & UserAddressesInput) {
  const { email, mobile, imId, ...user } = input;
  if (user.id === actor.userId) throw forbidden('不能修改自己的账号（须由另一名管理员操作）');
  const existing = await s.db.user.findUnique({ where: { id: user.id } });
  // Separation of duties: the audit administrator is appointed outside the system administrator's reach.
  if (user.role === 'auditor' || existing?.role === 'auditor')
    throw forbidden('安全审计员账号须由运维人员通过命令行设立');
  const problems = await userProblems(s.db, user);
  // No notice is addressed to a verifier or an administrator: an address for one would never be used.
  if (!contactRoleOf(user.role))
    for (const [field, v] of Object.entries({ email, mobile, imId }))
      if (typeof v === 'string' && v.trim() !== '')
        problems.push({ field, reason: '该角色（核查人、系统管理员）不接收通知，无需登记联系方式' });
  if (problems.length) throw badRequest(problems.map((p) => ({ field: `body.${p.field}`, reason: p.reason })));
  await upsertUser(s.db, user);
  await s.db.$transaction((tx) => syncUserContact(tx, user, { email, mobile, imId }));
  const addresses = (await userAddresses(s, [user])).get(user.id)!;
  return { ...user, ...addresses };
}

/** A unit of the tree, new or changed: its parent must exist and must not lie below it; its name is unique among its siblings. */
export async function saveUnit<K extends string>(
  s: Services,
  unit: { id: string; name: string; parentId: string | null; kind: K },
) {
  const { id, parentId, kind } = unit;
  const name = cleanUnitName(unit.name);
  if (name === '') throw badRequest([{ field: 'body.name', reason: '不能为空（已去除首尾空白和不可见字符）' }]);
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
  // Unique among siblings only: two cities may each have a 市发展改革委, one city not two. Compared
  // as lookups compare names (`（）` as `()`), so that an import can always tell siblings apart.
  const key = unitNameKey(name);
  const clash = (await s.db.unit.findMany({ where: { parentId, NOT: { id } }, select: { id: true, name: true } })).find(
    (u) => unitNameKey(u.name) === key,
  );
  if (clash) {
    const parent = parentId ? await s.db.unit.findUnique({ where: { id: parentId }, select: { name: true } }) : null;
    const where = parent ? `上级单位“${parent.name}”下` : '顶级单位中';
    throw badRequest([
      {
        field: 'body.name',
        reason: `${where}已有同名单位“${clash.name}”（编号 ${clash.id}），同一上级下的单位名称不能重复`,
      },
    ]);
  }
  const saved = await s.db.unit.upsert({
    where: { id },
    create: { id, name, parentId, kind },
    update: { name, parentId, kind },
  });
  unitsChanged();
  return { ...saved, kind };
}
