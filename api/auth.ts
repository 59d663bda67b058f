import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';
import { ROLE_LABELS, type Actor } from '../domain/actors';
import { can, type Permission } from '../domain/permissions';
import type { TokenVerifier } from '../lib/tokens';
import { withSpan } from '../lib/tracing';
import { AppError, forbidden, unauthorized } from './errors';

/**
 * What a route needs, declared on the route itself: `public: true`, or the permission of the
 * role table it needs (`signedIn` for what every signed-in user may do: their own messages,
 * the unit list). A route that declares neither makes buildApp() throw.
 */
export type RouteAccess =
  { public: true; permission?: undefined } | { public?: undefined; permission: Permission | 'signedIn' };

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
  }
  interface FastifyContextConfig {
    public?: true;
    /** The role × permission table's entry a route needs (domain/permissions.ts), or any signed-in user. */
    permission?: Permission | 'signedIn';
  }
}

export interface AuthOptions {
  verify: TokenVerifier;
  /** The signed-in user's current record (role, unit, jurisdiction); null when unknown or disabled. */
  resolve: (userId: string) => Promise<Actor | null>;
  /** Failed authentications allowed per address and window before the address is told to wait. */
  failures: { max: number; windowMs: number };
}

/** Why a route cannot be registered, or null when its declaration is sound. */
export function accessProblem(route: Pick<RouteOptions, 'method' | 'url' | 'config'>): string | null {
  const config = (route.config ?? {}) as { public?: unknown; permission?: unknown };
  const declared = Number(config.public === true) + Number(typeof config.permission === 'string');
  if (declared === 1) return null;
  const what = `${String(route.method)} ${route.url}`;
  return declared === 0
    ? `route ${what} declares neither "public: true" nor the permission it needs`
    : `route ${what} declares both "public" and a permission`;
}

/**
 * Counts failed authentications per address in fixed windows. In memory, per API process:
 * with several processes behind a balancer each allows its own share, which still stops
 * guessing at any useful pace.
 */
function failureCounter(max: number, windowMs: number) {
  const counts = new Map<string, { count: number; resetAt: number }>();
  return {
    /** Seconds to wait when the address has used up its failures, else 0. */
    blockedFor(ip: string, now = Date.now()): number {
      const c = counts.get(ip);
      if (!c || c.resetAt <= now) return 0;
      return c.count >= max ? Math.ceil((c.resetAt - now) / 1000) : 0;
    },
    fail(ip: string, now = Date.now()): void {
      const c = counts.get(ip);
      if (!c || c.resetAt <= now) {
        if (counts.size > 100_000) counts.clear();
        counts.set(ip, { count: 1, resetAt: now + windowMs });
      } else c.count++;
    },
  };
}

/**
 * Deny by default, decided on the route the router matched, never on the URL string: however a
 * path is spelt, the route it reaches states whether it is public and which permission it
 * needs; every other request is authenticated (bearer token, then the users table, never the
 * body) and its role checked before the body is even read. The not-found handler protects
 * nothing and answers 404 to anyone.
 */
export const authPlugin = fp(async (app: FastifyInstance, opts: AuthOptions) => {
  app.decorateRequest('actor', null as unknown as Actor);
  const failures = failureCounter(opts.failures.max, opts.failures.windowMs);

  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    routes.push(route);
    // The OpenAPI document says which operations need no token.
    if (route.config?.public) route.schema = { ...route.schema, security: [] };
  });
  // Checked once every plugin has registered its routes, so that a plugin may still mark its
  // own routes (see publicRoutes); the check sees each route's final declaration.
  app.addHook('onReady', async () => {
    const problems = routes.map(accessProblem).filter((p): p is string => p !== null);
    if (problems.length) throw new Error(`refusing to start: ${problems.join('; ')}`);
  });

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.is404) return;
    const { public: isPublic, permission } = request.routeOptions.config;
    if (isPublic) return;
    // Unreachable after onReady's check; kept so that no handler ever runs without its actor.
    if (!permission) throw forbidden('此接口未声明访问权限');
    const wait = failures.blockedFor(request.ip);
    if (wait > 0) {
      reply.header('retry-after', String(wait));
      throw new AppError(429, 'too_many_requests', `身份验证失败次数过多，请 ${wait} 秒后再试`);
    }
    const actor = await withSpan('stage auth', {}, () => authenticate(request, opts)).catch((err: unknown) => {
      if (err instanceof AppError && err.statusCode === 401) failures.fail(request.ip);
      throw err;
    });
    request.actor = actor;
    if (permission !== 'signedIn' && !can(actor.role, permission))
      throw forbidden(`${ROLE_LABELS[actor.role]}无权访问此功能`);
  });
});

async function authenticate(request: FastifyRequest, opts: AuthOptions): Promise<Actor> {
  const header = request.headers.authorization;
  if (!header) throw unauthorized('缺少 Authorization 请求头');
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) throw unauthorized('Authorization 请求头应为 “Bearer <令牌>”');
  const result = await opts.verify(match[1]);
  if (!result.ok) {
    if (result.unavailable)
      throw new AppError(503, 'unavailable', `身份验证服务暂时不可用：${result.reason}`, { dependency: 'identity' });
    throw unauthorized(result.reason);
  }
  const actor = await opts.resolve(result.userId);
  if (!actor) throw unauthorized('用户不存在或已停用');
  return actor;
}

/** Marks every route a third-party plugin registers inside `app` as public (the docs page's assets). */
export function publicRoutes(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    route.config = { ...(route.config ?? {}), public: true };
  });
}
