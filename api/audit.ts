import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Db } from '../lib/db';

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

/**
 * The audit of access: every request that changes something (any method but GET/HEAD/OPTIONS)
 * and every read marked `audit`, refused or not, as one row: time, user, action, target,
 * outcome, source address, request id. Written just before the answer goes out, so the row is
 * there when the client has its answer; a failure to write is logged loudly (the change itself
 * has already happened and is in the item's own record).
 */
export const auditPlugin = fp(async (app: FastifyInstance, opts: { db: Db }) => {
  app.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const changes = !['GET', 'HEAD', 'OPTIONS'].includes(request.method);
    if (!changes && !request.routeOptions.config?.audit) return payload;
    const params = (request.params ?? {}) as Record<string, unknown>;
    const route = request.routeOptions.url ?? request.url.split('?')[0];
    try {
      await opts.db.auditLog.create({
        data: {
          userId: request.actor?.userId ?? null,
          role: request.actor?.role ?? null,
          action: `${request.method} ${route}`,
          // The route's parameters name the target: an item, item/file, a year, a user…
          target: Object.values(params).map(String).join('/') || null,
          outcome: outcomeOf(reply.statusCode),
          status: reply.statusCode,
          ip: request.ip,
          requestId: String(request.id),
          detail: { url: request.url.slice(0, 500) },
        },
      });
    } catch (err) {
      request.log.error({ err, requestId: request.id }, 'AUDIT WRITE FAILED');
    }
    return payload;
  });
});

/** Drops audit rows older than the retention period (never under 180 days: the table's trigger refuses). */
export async function purgeAudit(db: Db, retentionDays: number, now = Date.now()): Promise<number> {
  const days = Math.max(180, retentionDays);
  const { count } = await db.auditLog.deleteMany({ where: { at: { lt: new Date(now - days * 86_400_000) } } });
  return count;
}
