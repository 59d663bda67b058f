import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../lib/db';
import { UNSAFE_TEXT } from './errors';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Record reads of this route too (evidence downloads, the audit log itself). */
    audit?: boolean;
  }
}

function outcomeOf(status: number): string {
  if (status < 400) return 'ok';
  if (status === 401 || status === 403 || status === 404) return 'denied';
  if (status < 500) return 'refused';
  return 'error';
}

/** Longest target and URL kept in a row: the target is indexed, and a B-tree entry holds at most ~2.7 KB. */
const TARGET_CHARS = 200;
const URL_CHARS = 500;

/** What PostgreSQL or JSON cannot hold is kept visible as U+FFFD. */
const UNSAFE_TEXT_ALL = new RegExp(UNSAFE_TEXT.source, 'g');
const storable = (s: string) => s.replace(UNSAFE_TEXT_ALL, '\ufffd');
const clip = (s: string, n: number) => storable(s.length > n ? `${s.slice(0, n)}…` : s);

/** Whether a request leaves a row: every change, every read marked `audit`, and every refusal. */
export function audited(request: FastifyRequest, status: number): boolean {
  return (
    status >= 400 || !['GET', 'HEAD', 'OPTIONS'].includes(request.method) || request.routeOptions.config?.audit === true
  );
}

/**
 * One audit row for a request: time, user, action, target, outcome, source address, request
 * id. A target or URL of any length is kept clipped, with the SHA-256 of the whole URL, so a
 * request with a 3 KB path is recorded like any other.
 */
export async function writeAudit(db: Db, request: FastifyRequest, status: number): Promise<void> {
  const params = (request.params ?? {}) as Record<string, unknown>;
  const route = request.routeOptions.url ?? clip(request.url.split('?')[0] ?? '', URL_CHARS);
  // The route's parameters name the target: an item, item/file, a year, a user…
  const target = Object.values(params).map(String).join('/');
  try {
    await db.auditLog.create({
      data: {
        userId: request.actor?.userId ?? null,
        role: request.actor?.role ?? null,
        action: clip(`${request.method} ${route}`, URL_CHARS),
        target: target ? clip(target, TARGET_CHARS) : null,
        outcome: outcomeOf(status),
        status,
        ip: request.ip,
        requestId: String(request.id),
        detail: {
          url: clip(request.url, URL_CHARS),
          urlLength: request.url.length,
          urlSha256: createHash('sha256').update(request.url).digest('hex'),
        },
      },
    });
  } catch (err) {
    request.log.error({ err, requestId: request.id }, 'AUDIT WRITE FAILED');
  }
}

/** A request Node refused before it became one (unparseable request line, oversized headers): its address and what went wrong. */
export async function writeClientErrorAudit(db: Db, ip: string | null, status: number, code: string): Promise<void> {
  try {
    await db.auditLog.create({
      data: {
        userId: null,
        role: null,
        action: 'CLIENT_ERROR',
        target: null,
        outcome: outcomeOf(status),
        status,
        ip,
        requestId: null,
        detail: { code: clip(code, 100) },
      },
    });
  } catch {
    // Nothing to tell: the connection is already closed; the database being down is seen elsewhere.
  }
}

/**
 * The audit of access: every request that changes something (any method but GET/HEAD/OPTIONS),
 * every read marked `audit`, and every refused request of any kind (401, 403, 404 on an item
 * the caller may not see, 413, 414, 429…), so probing leaves a trace. Written just before the
 * answer goes out, so the row is there when the client has its answer; a failure to write is
 * logged loudly (a change itself has already happened and is in the item's own record).
 */
export const auditPlugin = fp(async (app: FastifyInstance, opts: { db: Db }) => {
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (audited(request, reply.statusCode)) await writeAudit(opts.db, request, reply.statusCode);
    return payload;
  });
});

/** Drops audit rows older than the retention period (never under 180 days: the table's trigger refuses). */
export async function purgeAudit(db: Db, retentionDays: number, now = Date.now()): Promise<number> {
  const days = Math.max(180, retentionDays);
  const { count } = await db.auditLog.deleteMany({ where: { at: { lt: new Date(now - days * 86_400_000) } } });
  return count;
}
