import { createHmac, timingSafeEqual } from 'node:crypto';
import { ActorSchema, type Actor } from '../domain/actors';

/**
 * Bearer tokens are JWTs signed with HS256 and a configured secret. The claims carry the actor:
 * `sub` (user id), `name`, `role`, `unitId`.
 */
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');

export function signToken(actor: Actor, secret: string, ttlSeconds = 8 * 3600, now = Date.now()): string {
  const header = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const iat = Math.floor(now / 1000);
  const payload = b64(JSON.stringify({ sub: actor.userId, name: actor.name, role: actor.role, unitId: actor.unitId, iat, exp: iat + ttlSeconds }));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

export type TokenResult = { ok: true; actor: Actor } | { ok: false; reason: string };

export function verifyToken(token: string, secret: string, now = Date.now()): TokenResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: '令牌格式错误' };
  const [header, payload, signature] = parts as [string, string, string];
  let head: unknown;
  let claims: Record<string, unknown>;
  try {
    head = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return { ok: false, reason: '令牌格式错误' };
  }
  if ((head as { alg?: unknown })?.alg !== 'HS256') return { ok: false, reason: '令牌签名算法不受支持' };
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: '令牌签名无效' };
  if (typeof claims.exp !== 'number' || claims.exp * 1000 <= now) return { ok: false, reason: '令牌已过期' };
  const actor = ActorSchema.safeParse({ userId: claims.sub, name: claims.name, role: claims.role, unitId: claims.unitId ?? null });
  if (!actor.success) return { ok: false, reason: '令牌内容无效' };
  return { ok: true, actor: actor.data };
}
