import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Actor } from '../domain/actors';
import { verifyToken } from '../lib/tokens';
import { unauthorized } from './errors';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
  }
}

/** Every /api route but the public ones needs a bearer token; the actor comes from it, never from the body. */
export const authPlugin = fp(async (app: FastifyInstance, opts: { secret: string; publicPaths: string[] }) => {
  app.decorateRequest('actor', null as unknown as Actor);
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const path = request.url.split('?')[0] ?? '';
    if (!path.startsWith('/api/') || opts.publicPaths.some((p) => (p.endsWith('/') ? path.startsWith(p) : path === p))) return;
    const header = request.headers.authorization;
    if (!header) throw unauthorized('缺少 Authorization 请求头');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw unauthorized('Authorization 请求头应为 “Bearer <令牌>”');
    const result = verifyToken(match[1], opts.secret);
    if (!result.ok) throw unauthorized(result.reason);
    request.actor = result.actor;
  });
});
