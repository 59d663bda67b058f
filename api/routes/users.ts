import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EmailField, ImIdField, MobileField } from '../../domain/contacts';
import { cleanUnitName } from '../../domain/office-text';
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
/** A unit's id: a plain, safe key (it is in URLs, CSV cells, search attributes and file names). */
export const UnitIdParam = z
  .string()
  .trim()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,63}$/,
    '单位编号只能由小写字母、数字和短横线（-）组成，以字母或数字开头，最多 64 个字符（如 jx-fgw）',
  );
const UnitBody = z.strictObject({
  // Copied from a web page or a chat, a name brings invisible characters that later never match.
  name: z
    .string()
    .overwrite(cleanUnitName)
    .min(1, '不能为空（已去除首尾空白和不可见字符）')
    .max(100, '最多 100 个字符'),
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
        params: z.object({ id: UnitIdParam }),
        body: UnitBody,
        response: { 200: UnitSaved },
      },
    },
    async (request) => ({ unit: await saveUnit(services, { id: request.params.id, ...request.body }) }),
  );
};
