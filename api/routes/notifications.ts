import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ErrorBody } from '../contract';
import { AppError, notFound } from '../errors';
import { acknowledge, markAllRead, markRead } from '../notifications-service';
import { myNotifications, noticeByAckToken, undelivered } from '../read/notifications';
import type { Services } from '../services';
import {
  AckPage,
  MarkAllReadResponse,
  MarkReadResponse,
  MyNotificationsResponse,
  UndeliveredResponse,
} from './notifications.schemas';

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
    '/api/notifications/read-all',
    {
      config: { permission: 'signedIn' },
      schema: {
        summary: '全部标为已读：本人的未读通知（给出 upToId 时只到该编号为止）；重复调用不再改变',
        tags: ['notifications'],
        body: z.strictObject({
          upToId: z
            .string()
            .regex(/^\d{1,18}$/)
            .optional()
            .describe('只标记编号不大于此的通知（页面上最新的一条），此后新到的仍为未读'),
        }),
        response: { 200: MarkAllReadResponse },
      },
    },
    async (request) => markAllRead(services, request.actor, request.body.upToId),
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

const escapeHtml = (text: string) =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&#39;' })[c] ?? c);

const shownTime = (at: Date) =>
  new Intl.DateTimeFormat('zh-CN', {
    timeZone: 'Asia/Shanghai',
    dateStyle: 'long',
    timeStyle: 'short',
    hourCycle: 'h23',
  }).format(at);

/** The page itself may style itself and post its form to itself; nothing else (no script at all). */
const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** One small zh-CN page: a heading, paragraphs (already escaped) and, to confirm, a form that posts to this very address. */
function page(heading: string, paragraphs: string[], confirmButton = false): string {
  return [
    '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">',
    `<title>${escapeHtml(heading)}</title>`,
    '<style>body{font-family:sans-serif;line-height:1.6;margin:0;padding:24px;color:#1f2329}main{max-width:560px;margin:0 auto}',
    'h1{font-size:22px}.title{font-weight:600}.muted{color:#646a73}',
    'button{font-size:16px;padding:8px 24px;border:0;border-radius:4px;background:#1456f0;color:#fff;cursor:pointer}</style>',
    `</head><body><main><h1>${escapeHtml(heading)}</h1>`,
    ...paragraphs.map((p) => `<p>${p}</p>`),
    // No action: the form posts to the address the page was opened at, behind any proxy prefix.
    confirmButton ? '<form method="post"><button type="submit">确认已阅</button></form>' : '',
    '</main></body></html>',
  ].join('');
}

const noticeLines = (n: { subject: string; kindLabel: string }) => [
  `<span class="muted">通知类型：</span>${escapeHtml(n.kindLabel)}`,
  `<span class="muted">标题：</span><span class="title">${escapeHtml(n.subject)}</span>`,
];

const NOT_FOUND_PAGE = page('链接无效', [
  '该确认链接无效或已过期。',
  '<span class="muted">请核对邮件中的链接是否完整，或登录督查督办系统在“我的通知”中查看并确认。</span>',
]);

/** A JSON error for a client that asks for JSON only; the page for a person (a browser asks for HTML). */
const wantsJson = (accept: string | undefined) =>
  !!accept && accept.includes('application/json') && !accept.includes('text/html');

const Token = z.object({ token: z.string().regex(/^[0-9a-f]{32}$/) });

/** Only the pages are HTML (`produces` would put every status, the JSON errors too, under text/html); 404 is either. */
const pageResponses = (ok: string) => ({
  200: { description: ok, content: { 'text/html': { schema: AckPage } } },
  404: {
    description: '链接无效或已过期：给浏览器的页面，或（只接受 JSON 时）错误',
    content: { 'text/html': { schema: AckPage }, 'application/json': { schema: ErrorBody } },
  },
});

/**
 * The acknowledgement link in every mail (确认收到): public, the token is the secret. Opening it
 * (GET, HEAD) only shows the notice and a 确认已阅 button: mail security scanners follow links,
 * and a notice one of them opened was not seen by anyone (an ack-gated escalation rung would be
 * skipped for it). The button posts the form to the same address; only that marks it read.
 */
export const ackRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  // The button's form, as a browser sends it; its fields are not read. Scoped to these routes.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
    done(null, Object.fromEntries(new URLSearchParams(String(body)))),
  );

  const sendPage = (reply: FastifyReply, status: number, html: string) =>
    reply
      .status(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', PAGE_CSP)
      .send(html);

  app.get(
    '/api/ack/:token',
    {
      config: { public: true },
      schema: {
        summary: '邮件中的“确认收到”链接：显示通知与“确认已阅”按钮（打开链接不改变任何状态）',
        tags: ['notifications'],
        params: Token,
        response: pageResponses('确认页面（已确认过的，显示确认时间）'),
      },
    },
    async (request, reply) => {
      const notice = await noticeByAckToken(services, request.params.token);
      if (!notice) {
        if (wantsJson(request.headers.accept)) throw notFound('链接无效或已过期');
        return sendPage(reply, 404, NOT_FOUND_PAGE);
      }
      if (notice.readAt)
        return sendPage(
          reply,
          200,
          page('已确认收到', [
            ...noticeLines(notice),
            `该通知已于 ${escapeHtml(shownTime(notice.readAt))} 确认收到，无需再次确认。`,
          ]),
        );
      return sendPage(
        reply,
        200,
        page('确认已阅', [...noticeLines(notice), '请在阅读通知后点击下方按钮，系统将记录您已确认收到。'], true),
      );
    },
  );

  app.post(
    '/api/ack/:token',
    {
      config: { public: true },
      schema: {
        summary: '确认已阅：将邮件所述通知标记为已读（每日汇总连同其中各条）；重复确认不再改变',
        tags: ['notifications'],
        params: Token,
        consumes: ['application/x-www-form-urlencoded'],
        response: pageResponses('已确认收到'),
      },
    },
    async (request, reply) => {
      try {
        const done = await acknowledge(services, request.params.token);
        return sendPage(
          reply,
          200,
          page('已确认收到', [
            ...noticeLines(done),
            done.changed
              ? '已记录您确认收到此通知，可以关闭本页面。'
              : `该通知此前已于 ${escapeHtml(shownTime(done.readAt))} 确认收到。`,
          ]),
        );
      } catch (err) {
        if (err instanceof AppError && err.statusCode === 404 && !wantsJson(request.headers.accept))
          return sendPage(reply, 404, NOT_FOUND_PAGE);
        throw err;
      }
    },
  );
};
