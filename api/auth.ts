import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Actor } from '../domain/actors';
import type { TokenVerifier } from '../lib/tokens';
import { AppError, unauthorized } from './errors';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
  }
}

export interface AuthOptions {
  verify: TokenVerifier;
  /** The signed-in user's current record (role, unit, jurisdiction); null when unknown or disabled. */
  resolve: (userId: string) => Promise<Actor | null>;
  publicPaths: string[];
}

/** Every /api route but the public ones needs a bearer token; the actor comes from it and the users table, never from the body. */
export const authPlugin = fp(async (app: FastifyInstance, opts: AuthOptions) => {
  app.decorateRequest('actor', null as unknown as Actor);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const path = request.url.split('?')[0] ?? '';
    if (!path.startsWith('/api/') || opts.publicPaths.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p))) return;
    const header = request.headers.authorization;
    if (!header) throw unauthorized('缺少 Authorization 请求头');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw unauthorized('Authorization 请求头应为 “Bearer <令牌>”');
    const result = await opts.verify(match[1]);
    if (!result.ok) {
      if (result.unavailable) throw new AppError(503, 'unavailable', `身份验证服务暂时不可用：${result.reason}`, { dependency: 'identity' });
      throw unauthorized(result.reason);
    }
    const actor = await opts.resolve(result.userId);
    if (!actor) throw unauthorized('用户不存在或已停用');
    request.actor = actor;
  });
});
