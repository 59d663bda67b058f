import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EmailField, ImIdField, MobileField } from '../../domain/contacts';
import { UserSchema } from '../../lib/users';
import { listUsers } from '../read/users';
import type { Services } from '../services';
import { saveUnit, saveUser } from '../users-service';
import { UNIT_KINDS, UnitSaved, UserSaved, UsersResponse } from './users.schemas';

/** A user, and the addresses the user is told at (optional: left out, they stay as they are). */
const UserBody = UserSchema.omit({ id: true }).extend({
  email: EmailField.optional(),
  mobile: MobileField.optional(),
  imId: ImIdField.optional(),
});
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
    async () => ({ users: await listUsers(services) }),
  );

  app.put(
    '/api/users/:id',
    {
      config: { permission: 'users.manage' },
      schema: {
        summary: '新建或修改用户及其邮箱、手机（系统管理员；令牌由命令行签发）',
        tags: ['users'],
        params: z.object({ id: UserSchema.shape.id }),
        body: UserBody,
        response: { 200: UserSaved },
      },
    },
    async (request) => ({
      user: await saveUser(services, request.actor, { id: request.params.id, ...request.body }),
    }),
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
    async (request) => ({ unit: await saveUnit(services, { id: request.params.id, ...request.body }) }),
  );
};
