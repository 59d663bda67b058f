import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NOTIFICATION_KINDS, isKind } from '../../domain/notifications';
import { can } from '../../domain/permissions';
import { subjectOf } from '../../domain/subject';
import { notFound } from '../errors';
import type { Services } from '../items-service';
import { visibleNotices } from '../visibility';
import { AckPage, MarkReadResponse, MyNotificationsResponse, UndeliveredResponse } from './notifications.schemas';

const view = (m: {
  id: bigint;
  kind: string;
  subjectKind: string;
  subjectId: string;
  subject: string;
  text: string;
  status: string;
  createdAt: Date;
  readAt: Date | null;
  sentAt: Date | null;
  recipientName: string;
  recipientEmail: string | null;
  lastError: string | null;
  attempts: number;
}) => ({
  id: String(m.id),
  kind: m.kind,
  kindLabel: isKind(m.kind) ? NOTIFICATION_KINDS[m.kind].label : m.kind,
  // As it always was: the subject's id, a cycle's too (`about` says which it is).
  itemId: m.subjectId,
  about: subjectOf(m),
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

/**
 * An undelivered notice as the system administrator sees it: whom it was for and what went
 * wrong, enough to fix the address; never its subject, text or the item it is about (he reads
 * no items: separation of duties).
 */
const deliveryView = (m: {
  id: bigint;
  kind: string;
  status: string;
  createdAt: Date;
  recipientName: string;
  recipientEmail: string | null;
  userId: string | null;
  lastError: string | null;
  attempts: number;
}) => ({
  id: String(m.id),
  kind: m.kind,
  kindLabel: isKind(m.kind) ? NOTIFICATION_KINDS[m.kind].label : m.kind,
  status: m.status,
  recipientName: m.recipientName,
  recipientEmail: m.recipientEmail,
  recipientUserId: m.userId,
  attempts: m.attempts,
  lastError: m.lastError,
  createdAt: m.createdAt.toISOString(),
});

const UNDELIVERED = ['failed', 'no_address'];
const UNDELIVERED_SHOWN = 200;

/** In-app notifications: the same messages as the mail, listable by their recipient, read or unread. */
export const notificationRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/notifications',
    {
      config: { permission: 'signedIn' },
      schema: {
        summary: '我的通知',
        tags: ['notifications'],
        querystring: z.strictObject({
          unread: z.enum(['true', 'false']).optional(),
          limit: z.coerce.number().int().min(1).max(200).default(50),
        }),
        response: { 200: MyNotificationsResponse },
      },
    },
    async (request) => {
      const where = { userId: request.actor.userId, ...(request.query.unread === 'true' ? { readAt: null } : {}) };
      const [messages, unread] = await Promise.all([
        services.db.outboxMessage.findMany({ where, orderBy: { id: 'desc' }, take: request.query.limit }),
        services.db.outboxMessage.count({ where: { userId: request.actor.userId, readAt: null } }),
      ]);
      return { unread, notifications: messages.map(view) };
    },
  );

  app.post(
    '/api/notifications/:id/read',
    {
      config: { permission: 'signedIn' },
      schema: {
        summary: '标记为已读（即确认收到）',
        tags: ['notifications'],
        params: z.object({ id: z.string().regex(/^\d{1,18}$/) }),
        body: z.strictObject({}),
        response: { 200: MarkReadResponse },
      },
    },
    async (request) => {
      const updated = await services.db.outboxMessage.updateMany({
        where: { id: BigInt(request.params.id), userId: request.actor.userId, readAt: null },
        data: { readAt: new Date() },
      });
      const row = await services.db.outboxMessage.findFirst({
        where: { id: BigInt(request.params.id), userId: request.actor.userId },
      });
      if (!row) throw notFound('通知不存在');
      return { notification: view(row), changed: updated.count === 1 };
    },
  );

  app.get(
    '/api/notifications/undelivered',
    {
      config: { permission: 'notifications.undelivered' },
      schema: {
        summary: '发送失败或缺少邮箱的通知（督查人员、领导：所辖事项的通知；系统管理员：仅收件人与失败原因）',
        tags: ['notifications'],
        response: { 200: UndeliveredResponse },
      },
    },
    async (request) => {
      const actor = request.actor;
      if (!can(actor.role, 'item.read')) {
        const rows = await services.db.outboxMessage.findMany({
          where: { status: { in: UNDELIVERED } },
          orderBy: { id: 'desc' },
          take: UNDELIVERED_SHOWN,
        });
        return { notifications: rows.map(deliveryView) };
      }
      // Newest first, only those about what the caller sees: scanned in light batches until the page is full.
      const ids: bigint[] = [];
      for (let before: bigint | undefined; ids.length < UNDELIVERED_SHOWN;) {
        const batch = await services.db.outboxMessage.findMany({
          where: { status: { in: UNDELIVERED }, ...(before !== undefined ? { id: { lt: before } } : {}) },
          orderBy: { id: 'desc' },
          take: 1000,
          select: { id: true, key: true, kind: true, subjectKind: true, subjectId: true },
        });
        ids.push(...(await visibleNotices(services.db, actor, batch)).map((r) => r.id));
        if (batch.length < 1000) break;
        before = batch.at(-1)!.id;
      }
      const rows = await services.db.outboxMessage.findMany({
        where: { id: { in: ids.slice(0, UNDELIVERED_SHOWN) } },
        orderBy: { id: 'desc' },
      });
      return { notifications: rows.map(view) };
    },
  );
};

/** The acknowledgement link in every mail (确认收到): public, the token is the secret. */
export const ackRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/ack/:token',
    {
      config: { public: true },
      schema: {
        summary: '邮件中的“确认收到”链接',
        tags: ['notifications'],
        params: z.object({ token: z.string().regex(/^[0-9a-f]{32}$/) }),
        // Only the page is HTML: `produces` would put every status, the JSON errors too, under text/html.
        response: { 200: { description: '已确认收到', content: { 'text/html': { schema: AckPage } } } },
      },
    },
    async (request, reply) => {
      const row = await services.db.outboxMessage.findUnique({ where: { ackToken: request.params.token } });
      if (!row) throw notFound('链接无效或已过期');
      if (!row.readAt) {
        await services.db.outboxMessage.updateMany({
          where: { OR: [{ id: row.id }, ...(row.kind === 'digest' ? [{ digestKey: row.key }] : [])], readAt: null },
          data: { readAt: new Date() },
        });
      }
      const title = row.subject.replace(/[<>&"']/g, '');
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .send(
          `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>已确认收到</title></head><body style="font-family:sans-serif"><h1>已确认收到</h1><p>${title}</p></body></html>`,
        );
    },
  );
};
