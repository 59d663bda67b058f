import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NOTIFICATION_KINDS, isKind } from '../../domain/notifications';
import { notFound } from '../errors';
import type { Services } from '../items-service';

const view = (m: { id: bigint; kind: string; itemId: string; subject: string; text: string; status: string; createdAt: Date; readAt: Date | null; sentAt: Date | null; recipientName: string; recipientEmail: string | null; lastError: string | null; attempts: number }) => ({
  id: String(m.id),
  kind: m.kind,
  kindLabel: isKind(m.kind) ? NOTIFICATION_KINDS[m.kind].label : m.kind,
  itemId: m.itemId,
  subject: m.subject,
  text: m.text,
  status: m.status,
  recipientName: m.recipientName,
  recipientEmail: m.recipientEmail,
  attempts: m.attempts,
  lastError: m.lastError,
  createdAt: m.createdAt.toISOString(),
  sentAt: m.sentAt?.toISOString() ?? null,
  readAt: m.readAt?.toISOString() ?? null,
});

/** In-app notifications: the same messages as the mail, listable by their recipient, read or unread. */
export const notificationRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/notifications',
    { schema: { summary: '我的通知', tags: ['notifications'], querystring: z.strictObject({ unread: z.enum(['true', 'false']).optional(), limit: z.coerce.number().int().min(1).max(200).default(50) }) } },
    async (request) => {
      const where = { userId: request.actor.userId, ...(request.query.unread === 'true' ? { readAt: null } : {}) };
      const [messages, unread] = await Promise.all([
        services.db.outboxMessage.findMany({ where, orderBy: { id: 'desc' }, take: request.query.limit }),
        services.db.outboxMessage.count({ where: { userId: request.actor.userId, readAt: null } }),
      ]);
      return { unread, notifications: messages.map(view) };
    },
  );

  app.post('/api/notifications/:id/read', { schema: { summary: '标记为已读（即确认收到）', tags: ['notifications'], params: z.object({ id: z.string().regex(/^\d{1,18}$/) }) } }, async (request) => {
    const updated = await services.db.outboxMessage.updateMany({ where: { id: BigInt(request.params.id), userId: request.actor.userId, readAt: null }, data: { readAt: new Date() } });
    const row = await services.db.outboxMessage.findFirst({ where: { id: BigInt(request.params.id), userId: request.actor.userId } });
    if (!row) throw notFound('通知不存在');
    return { notification: view(row), changed: updated.count === 1 };
  });

  app.get('/api/notifications/undelivered', { config: { permission: 'settings.read' }, schema: { summary: '发送失败或缺少邮箱的通知（督查人员、管理员）', tags: ['notifications'] } }, async () => {
    const rows = await services.db.outboxMessage.findMany({ where: { status: { in: ['failed', 'no_address'] } }, orderBy: { id: 'desc' }, take: 200 });
    return { notifications: rows.map(view) };
  });
};

/** The acknowledgement link in every mail (确认收到): public, the token is the secret. */
export const ackRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get('/api/ack/:token', { schema: { summary: '邮件中的“确认收到”链接', tags: ['notifications'], params: z.object({ token: z.string().regex(/^[0-9a-f]{32}$/) }) } }, async (request, reply) => {
    const row = await services.db.outboxMessage.findUnique({ where: { ackToken: request.params.token } });
    if (!row) throw notFound('链接无效或已过期');
    if (!row.readAt) {
      await services.db.outboxMessage.updateMany({ where: { OR: [{ id: row.id }, ...(row.kind === 'digest' ? [{ digestKey: row.key }] : [])], readAt: null }, data: { readAt: new Date() } });
    }
    const title = row.subject.replace(/[<>&"']/g, '');
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .send(`<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>已确认收到</title></head><body style="font-family:sans-serif"><h1>已确认收到</h1><p>${title}</p></body></html>`);
  });
};
