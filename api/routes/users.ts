import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Role } from '../../domain/actors';
import { upsertUser, userProblems, UserSchema } from '../../lib/users';
import { badRequest, forbidden } from '../errors';
import type { Services } from '../items-service';
import { UNIT_KINDS, UnitSaved, UserSaved, UsersResponse } from './users.schemas';

const UserBody = UserSchema.omit({ id: true });
const UnitBody = z.strictObject({
  name: z.string().trim().min(1, '不能为空').max(100),
  parentId: z.string().trim().min(1).max(64).nullable().default(null),
  kind: z.enum(UNIT_KINDS),
});

/** Users and units: the system administrator's work. */
export const userRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/users',
    {
      config: { permission: 'users.manage' },
      schema: { summary: '用户列表（系统管理员）', tags: ['users'], response: { 200: UsersResponse } },
    },
    async () => ({
      users: (await services.db.user.findMany({ orderBy: { id: 'asc' } })).map((u) => ({
        ...u,
        role: u.role as Role,
        createdAt: u.createdAt.toISOString(),
        updatedAt: u.updatedAt.toISOString(),
      })),
    }),
  );

  app.put(
    '/api/users/:id',
    {
      config: { permission: 'users.manage' },
      schema: {
        summary: '新建或修改用户（系统管理员；令牌由命令行签发）',
        tags: ['users'],
        params: z.object({ id: UserSchema.shape.id }),
        body: UserBody,
        response: { 200: UserSaved },
      },
    },
    async (request) => {
      const id = request.params.id;
      if (id === request.actor.userId) throw forbidden('不能修改自己的账号（须由另一名管理员操作）');
      const existing = await services.db.user.findUnique({ where: { id } });
      // Separation of duties: the audit administrator is appointed outside the system administrator's reach.
      if (request.body.role === 'auditor' || existing?.role === 'auditor')
        throw forbidden('安全审计员账号须由运维人员通过命令行设立');
      const user = { id, ...request.body };
      const problems = await userProblems(services.db, user);
      if (problems.length) throw badRequest(problems.map((p) => ({ field: `body.${p.field}`, reason: p.reason })));
      await upsertUser(services.db, user);
      return { user };
    },
  );

  app.put(
    '/api/units/:id',
    {
      config: { permission: 'users.manage' },
      schema: {
        summary: '新建或修改单位（单位树：市、区、街道、部门）',
        tags: ['users'],
        params: z.object({
          id: z
            .string()
            .trim()
            .regex(/^[A-Za-z0-9._-]{1,64}$/),
        }),
        body: UnitBody,
        response: { 200: UnitSaved },
      },
    },
    async (request) => {
      const { id } = request.params;
      const { name, parentId, kind } = request.body;
      if (parentId) {
        const units = await services.db.unit.findMany({ select: { id: true, parentId: true } });
        if (!units.some((u) => u.id === parentId))
          throw badRequest([{ field: 'body.parentId', reason: `单位“${parentId}”不存在` }]);
        // Walking up from the new parent must not reach this unit: no cycles in the tree.
        const parentOf = new Map(units.map((u) => [u.id, u.parentId]));
        for (let at: string | null | undefined = parentId, i = 0; at && i < 1000; at = parentOf.get(at), i++) {
          if (at === id) throw badRequest([{ field: 'body.parentId', reason: '不能把单位挂到它自己的下级单位之下' }]);
        }
      }
      const clash = await services.db.unit.findFirst({ where: { name, NOT: { id } } });
      if (clash) throw badRequest([{ field: 'body.name', reason: `名称与单位“${clash.id}”重复` }]);
      const unit = await services.db.unit.upsert({
        where: { id },
        create: { id, name, parentId, kind },
        update: { name, parentId, kind },
      });
      return { unit: { ...unit, kind } };
    },
  );
};
