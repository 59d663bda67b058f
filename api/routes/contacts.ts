import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CONTACT_ROLES } from '../../domain/contacts';
import { ContactBody, createContact, deleteContact, importContacts, updateContact } from '../contacts-service';
import { ErrorBody } from '../contract';
import { badRequest } from '../errors';
import { once, requestHash, sendOutcome } from '../idempotency';
import { CONTACT_PAGE_DEFAULT, CONTACT_PAGE_MAX, listContacts } from '../read/contacts';
import type { Services } from '../services';
import { ContactDeleted, ContactList, ContactSaved, ContactsImported } from './contacts.schemas';

const Id = z.object({
  id: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._:@-]{1,80}$/, '联系人编号只能包含字母、数字和 . _ : @ -'),
});

const ListQuery = z.strictObject({
  unitId: z.string().trim().min(1).max(64).optional().describe('只看某单位的联系人'),
  role: z.enum(CONTACT_ROLES).optional().describe('只看某角色'),
  missing: z.enum(['email']).optional().describe('email：只看缺少邮箱的联系人'),
  limit: z.coerce
    .number('应为整数')
    .int('应为整数')
    .min(1, '至少 1')
    .max(CONTACT_PAGE_MAX, `最多 ${CONTACT_PAGE_MAX}`)
    .default(CONTACT_PAGE_DEFAULT)
    .describe(`每页最多几位联系人（默认 ${CONTACT_PAGE_DEFAULT}，最多 ${CONTACT_PAGE_MAX}）`),
  offset: z.coerce
    .number('应为整数')
    .int('应为整数')
    .min(0, '不能为负数')
    .max(10_000_000)
    .default(0)
    .describe('跳过前几位联系人（按单位、角色、姓名排序），用于翻页'),
});

/** A new contact answers 201; with an Idempotency-Key, 409 while the same request is still running and 422 when the key was used for another. */
const CREATED = {
  201: ContactSaved,
  409: ErrorBody.describe('已有相同的联系人，或相同的请求（同一 Idempotency-Key）正在处理中'),
  422: ErrorBody.describe('该 Idempotency-Key 已用于另一个请求'),
};

/**
 * The address book (通讯录): whom each notice reaches. Read by those who work with units (a
 * unit: its own contacts); kept by the system administrator, one by one or from a CSV file.
 */
export const contactRoutes: FastifyPluginAsyncZod<{ services: Services }> = async (app, { services }) => {
  app.get(
    '/api/contacts',
    {
      config: { permission: 'contacts.read' },
      schema: {
        summary: '通讯录：联系人（分页：limit、offset，total 为总数）及其邮箱、手机，以及无人可收通知的单位角色',
        tags: ['contacts'],
        querystring: ListQuery,
        response: { 200: ContactList },
      },
    },
    async (request) => listContacts(services, request.actor, request.query),
  );

  app.post(
    '/api/contacts',
    {
      config: { permission: 'contacts.manage' },
      schema: {
        summary: '新增联系人（系统管理员；支持 Idempotency-Key，重试不会重复登记）',
        tags: ['contacts'],
        body: ContactBody,
        response: CREATED,
      },
    },
    async (request, reply) => {
      const outcome = await once(
        services.db,
        request.actor.userId,
        request.headers['idempotency-key'] as string | undefined,
        requestHash('POST', request.url, request.body),
        async () => ({ statusCode: 201, body: await createContact(services, request.body) }),
      );
      return sendOutcome(reply, outcome);
    },
  );

  app.put(
    '/api/contacts/:id',
    {
      config: { permission: 'contacts.manage' },
      schema: {
        summary: '修改联系人（系统管理员；整条替换）',
        tags: ['contacts'],
        params: Id,
        body: ContactBody,
        response: { 200: ContactSaved },
      },
    },
    async (request) => updateContact(services, request.params.id, request.body),
  );

  app.delete(
    '/api/contacts/:id',
    {
      config: { permission: 'contacts.manage' },
      schema: {
        summary: '删除联系人（系统管理员）',
        tags: ['contacts'],
        params: Id,
        response: { 200: ContactDeleted },
      },
    },
    async (request) => deleteContact(services, request.params.id),
  );

  app.post(
    '/api/contacts/csv',
    {
      config: { permission: 'contacts.manage' },
      schema: {
        summary:
          '以 CSV 导入通讯录（UTF-8；列名：姓名、单位、角色、邮箱、手机、即时通讯、用户编号、每日汇总，其上可有一行标题），逐行校验，全部通过才导入',
        tags: ['contacts'],
        consumes: ['text/csv'],
        response: { 200: ContactsImported },
      },
    },
    async (request) => {
      if (typeof request.body !== 'string')
        throw badRequest([{ field: 'body', reason: '请以 text/csv 上传 CSV 文本' }]);
      return importContacts(services, request.body);
    },
  );
};
