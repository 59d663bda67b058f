import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { acknowledge, markRead } from '../notifications-service';
import { myNotifications, undelivered } from '../read/notifications';
import type { Services } from '../services';
import { AckPage, MarkReadResponse, MyNotificationsResponse, UndeliveredResponse } from './notifications.schemas';

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
    async (request) => myNotifications(services, request.actor, request.query),
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
    async (request) => markRead(services, request.actor, request.params.id),
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
    async (request) => undelivered(services, request.actor),
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
      const { subject } = await acknowledge(services, request.params.token);
      const title = subject.replace(/[<>&"']/g, '');
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .send(
          `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>已确认收到</title></head><body style="font-family:sans-serif"><h1>已确认收到</h1><p>${title}</p></body></html>`,
        );
    },
  );
};
