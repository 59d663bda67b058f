import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLE_LABELS, type Actor } from '../../domain/actors';
import { signToken } from '../../lib/tokens';
import { badRequest } from '../errors';
import { DemoToken, DemoUsersResponse } from './demo.schemas';

export interface DemoSignIn {
  users: Actor[];
  secret: string;
}

/**
 * Sign-in by picking a demo user: only the embedded default registers these routes (scripts/dev.ts),
 * never api/server.ts, so a production deployment has no way to get a token without one.
 */
export const demoRoutes: FastifyPluginAsyncZod<DemoSignIn> = async (app, { users, secret }) => {
  app.get(
    '/api/demo/users',
    {
      config: { public: true },
      schema: { summary: '演示用户（仅内置演示环境）', tags: ['demo'], response: { 200: DemoUsersResponse } },
    },
    async () => ({
      users: users.map((u) => ({
        userId: u.userId,
        name: u.name,
        role: u.role,
        roleLabel: ROLE_LABELS[u.role],
        unitId: u.unitId,
      })),
    }),
  );

  app.post(
    '/api/demo/sign-in',
    {
      config: { public: true },
      schema: {
        summary: '以演示用户登录（仅内置演示环境）',
        tags: ['demo'],
        body: z.strictObject({ userId: z.string().min(1).max(64) }),
        response: { 200: DemoToken },
      },
    },
    async (request) => {
      const user = users.find((u) => u.userId === request.body.userId);
      if (!user) throw badRequest([{ field: 'body.userId', reason: '不是演示用户' }]);
      return { token: signToken(user, secret) };
    },
  );
};
