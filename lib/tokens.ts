import { createHmac } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from 'jose';

/**
 * Bearer tokens are JWTs. The product issues HS256 tokens with its own secret (the CLI, the
 * demo); an organisation's single sign-on may issue them instead, verified against its JWKS
 * URL. Either way the token only says who the user is (`sub`); role, unit and jurisdiction
 * come from the users table.
 */
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64url');

export interface TokenSubject {
  userId: string;
  name?: string;
}

export function signToken(subject: TokenSubject, secret: string, ttlSeconds = 8 * 3600, now = Date.now()): string {
  const header = b64(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const iat = Math.floor(now / 1000);
  const payload = b64(
    JSON.stringify({
      sub: subject.userId,
      ...(subject.name ? { name: subject.name } : {}),
      iat,
      exp: iat + ttlSeconds,
    }),
  );
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** The longest a token may live: what `npm run user -- token --hours` issues at most (90 days). */
export const MAX_TOKEN_SECONDS = 90 * 24 * 3600;
/** Clocks of the issuer and this server may differ by this much. */
export const CLOCK_SKEW_SECONDS = 60;

/** A token issued in the future, or made to live longer than any token this product issues, is refused. */
export function lifetimeProblem(iat: number | undefined, exp: number, now: number): string | null {
  if (iat !== undefined && iat > now + CLOCK_SKEW_SECONDS) return '令牌签发时间晚于当前时间';
  if (exp - (iat ?? now) > MAX_TOKEN_SECONDS || exp > now + MAX_TOKEN_SECONDS + CLOCK_SKEW_SECONDS)
    return '令牌有效期超过 90 天上限';
  return null;
}

export type TokenResult = { ok: true; userId: string } | { ok: false; reason: string; unavailable?: boolean };

export interface VerifierOptions {
  /** HS256 secret (the product's own tokens). */
  secret?: string;
  /** The identity provider's JWKS (RS256/ES256/EdDSA tokens). */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

export type TokenVerifier = (token: string) => Promise<TokenResult>;

/**
 * How long a verified token is taken on trust without checking it again (never past its expiry):
 * bounds how long a key the identity provider withdraws from its JWKS still lets its tokens in.
 */
export const VERIFIED_CACHE_MS = 60_000;

export function createVerifier(opts: VerifierOptions): TokenVerifier {
  const secret = opts.secret ? new TextEncoder().encode(opts.secret) : undefined;
  const jwks: JWTVerifyGetKey | undefined = opts.jwksUrl
    ? createRemoteJWKSet(new URL(opts.jwksUrl), { timeoutDuration: 5000, cooldownDuration: 30_000 })
    : undefined;
  if (!secret && !jwks) throw new Error('token verification needs AUTH_SECRET or AUTH_JWKS_URL');
  const claims = {
    ...(opts.issuer ? { issuer: opts.issuer } : {}),
    ...(opts.audience ? { audience: opts.audience } : {}),
    requiredClaims: ['sub', 'exp'],
  };

  // Tokens verified lately, until their expiry and at most VERIFIED_CACHE_MS: a token is sent with
  // every request, and its signature and claims do not change. Only successes are kept.
  const verified = new Map<string, { userId: string; exp: number; until: number }>();
  const verify: TokenVerifier = async (token) => {
    const hit = verified.get(token);
    const now = Date.now();
    if (hit && now < hit.until && now / 1000 < hit.exp) return { ok: true, userId: hit.userId };
    const result = await verifyOnce(token);
    if (result.ok) {
      if (verified.size >= 10_000) verified.clear();
      verified.set(token, { userId: result.userId, exp: result.exp, until: now + VERIFIED_CACHE_MS });
      return { ok: true, userId: result.userId };
    }
    return result;
  };
  return verify;

  async function verifyOnce(
    token: string,
  ): Promise<Extract<TokenResult, { ok: false }> | { ok: true; userId: string; exp: number }> {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: '令牌格式错误' };
    let alg: unknown;
    try {
      alg = (JSON.parse(Buffer.from(parts[0] as string, 'base64url').toString('utf8')) as { alg?: unknown }).alg;
    } catch {
      return { ok: false, reason: '令牌格式错误' };
    }
    try {
      const { payload } =
        alg === 'HS256' && secret
          ? await jwtVerify(token, secret, { ...claims, algorithms: ['HS256'] })
          : jwks && typeof alg === 'string' && ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'].includes(alg)
            ? await jwtVerify(token, jwks, { ...claims, algorithms: ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] })
            : (() => {
                throw new errors.JOSEAlgNotAllowed('alg');
              })();
      if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 64)
        return { ok: false, reason: '令牌缺少用户标识（sub）' };
      const lifetime = lifetimeProblem(payload.iat, payload.exp as number, Date.now() / 1000);
      if (lifetime) return { ok: false, reason: lifetime };
      return { ok: true, userId: payload.sub, exp: payload.exp as number };
    } catch (err) {
      return { ok: false, ...reasonFor(err) };
    }
  }
}

function reasonFor(err: unknown): { reason: string; unavailable?: boolean } {
  if (err instanceof errors.JWTExpired) return { reason: '令牌已过期' };
  if (err instanceof errors.JWSSignatureVerificationFailed) return { reason: '令牌签名无效' };
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported)
    return { reason: '令牌签名算法不受支持' };
  if (err instanceof errors.JWKSNoMatchingKey) return { reason: '找不到签发该令牌的密钥' };
  if (err instanceof errors.JWTClaimValidationFailed) return { reason: `令牌声明无效（${err.claim}）` };
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid)
    return { reason: '无法取得单点登录的公钥', unavailable: true };
  // The key set could not be fetched (the endpoint answered other than 200).
  if (err instanceof errors.JOSEError && /JSON Web Key Set/i.test(err.message))
    return { reason: '无法取得单点登录的公钥', unavailable: true };
  if (err instanceof errors.JWSInvalid || err instanceof errors.JWTInvalid || err instanceof errors.JOSEError)
    return { reason: '令牌格式错误' };
  // fetch failures of the JWKS endpoint
  return { reason: '无法取得单点登录的公钥', unavailable: true };
}
